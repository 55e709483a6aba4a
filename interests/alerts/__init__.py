"""Email alerts: follow a provider, a professional or a search, with no account."""
