"""Metrics, request logs and keeping secrets out of them."""
