"""Patients ask a provider about its register."""
