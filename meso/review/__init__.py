"""Content review: fact versions, unanswered questions and the dashboard's counts."""
