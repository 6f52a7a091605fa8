"""Property-based fuzzing (hypothesis) of every input against the real servers."""
