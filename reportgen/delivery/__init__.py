"""Delivery: the review's mail. Recipients and message, SMTP with retries, and the one decision whether a
review with error findings may go out."""
