"""Rasa's command line after `serving.preload`: `python -m serving train ...`."""

from __future__ import annotations

import importlib

if __name__ == "__main__":
    importlib.import_module("serving.preload")  # first: see that module
    importlib.import_module("rasa.__main__").main()
