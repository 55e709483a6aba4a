"""The declaration journey's pages (issue 3): one module per step, sharing a professional who
works at two providers (conftest.py) and the form helpers (helpers.py)."""
