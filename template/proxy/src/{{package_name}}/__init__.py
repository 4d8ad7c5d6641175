"""ChatKit session and message proxy in front of a custom LLM backend."""
