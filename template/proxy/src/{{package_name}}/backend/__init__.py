"""Talking to the LLM backend: one client interface, its transports, auth, retries and routing."""
