"""The Streamlit app's pages (``streamlit run streamlit_app.py``).

Only this package imports streamlit; the pages are thin: the coaching logic
lives in :mod:`coach.live`, :mod:`coach.review`, :mod:`coach.charts` and the
rest of the core.
"""
