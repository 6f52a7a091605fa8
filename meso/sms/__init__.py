"""SMS logic: message shaping, keywords and segment counting."""
