"""The staff console: escalation queue, transcripts, audit log and JSON API (FastAPI + Jinja2)."""

from __future__ import annotations
