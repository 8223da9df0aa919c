"""Streamlit pages for store managers and head office; each page module exposes render()."""
