"""Data files the service layer ships (read through importlib.resources)."""
