"""The Streamlit app's pages (``streamlit run streamlit_app.py``).

Only this package imports streamlit; the pages are thin: the coaching logic
lives in :mod:`coach.session.live`, :mod:`coach.session.review`, :mod:`coach.webapp.charts` and the
rest of the core.
"""
