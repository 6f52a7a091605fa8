"""How the Rasa server is run fast: a leaner tracker store and fixes to Rasa hot spots."""
