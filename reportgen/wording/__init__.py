"""Wording: figures turned into words and documents. Locale formatting (Babel), the sentences for findings
and mapping sources, and the JSON documents (`build --json`, `check --json`)."""
