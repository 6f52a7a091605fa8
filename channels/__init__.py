"""Rasa input channels and server-side guards."""
