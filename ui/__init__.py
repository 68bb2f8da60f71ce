"""Streamlit-only helpers shared by the pages: model catalog, session/URL state, sidebar, rendering."""
