"""One-time sign-in links for professionals invited by a provider."""
