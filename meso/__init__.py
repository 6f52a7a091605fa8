"""Plain-Python core of the mesotherapy patient assistant (no Rasa imports)."""
