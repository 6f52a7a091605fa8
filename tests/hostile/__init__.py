"""Hostile input and rate limits, against the real servers."""
