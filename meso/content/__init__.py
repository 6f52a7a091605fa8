"""What the assistant knows and how a question finds it: the answer index, the
decision whether a fact answers a question, and the reply composed from it."""
