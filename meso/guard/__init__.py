"""Input guards: hygiene, rate limits, the breaker and the replies to refused messages."""
