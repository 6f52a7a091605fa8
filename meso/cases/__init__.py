"""Escalation cases: the store of cases, the spool, unhandled messages and the hand-off wording."""
