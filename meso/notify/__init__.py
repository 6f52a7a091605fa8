"""Staff alerts: the senders and the outbox that delivers them."""
