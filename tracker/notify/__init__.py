"""Email: the message, the outbox, SMTP."""
