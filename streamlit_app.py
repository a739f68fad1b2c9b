"""Back coach — the Streamlit app: live webcam coaching, clip review and
threshold tuning.

    streamlit run streamlit_app.py

This file is only the router; the pages live in ``coach/webapp/``.

Streamlit runs it as ``__main__``. The processes that review a clip on
several cores (coach.session.parallel, started with ``spawn``) import it
again as ``__mp_main__``: the guard keeps them from running the app.
"""
if __name__ == "__main__":
    import streamlit as st

    from coach.webapp.desk_page import desk_page
    from coach.webapp.history_page import history_page
    from coach.webapp.live_page import live_page
    from coach.webapp.review_page import review_page
    from coach.webapp.routine_page import routine_page
    from coach.webapp.tune_page import tune_page

    st.set_page_config(page_title="Back coach", page_icon=":material/self_improvement:", layout="wide")

    PAGES = [
        st.Page(live_page, title="Live coach", icon=":material/videocam:", default=True),
        st.Page(routine_page, title="Routine", icon=":material/checklist:", url_path="routine"),
        st.Page(desk_page, title="Desk", icon=":material/chair:", url_path="desk"),
        st.Page(review_page, title="Review a clip", icon=":material/movie:", url_path="review"),
        st.Page(tune_page, title="Tune thresholds", icon=":material/tune:", url_path="tune"),
        st.Page(history_page, title="History", icon=":material/history:", url_path="history"),
    ]

    page = st.navigation(PAGES)
    with st.sidebar:
        st.markdown("**Back coach** watches your form for lower-back exercises and counts only good-form time.")
        st.caption("Runs locally; no video leaves this computer.")
    page.run()
