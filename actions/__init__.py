"""Custom actions: thin adapters from Rasa to the `meso` package."""
