"""Who is asking: the browser user's identity and the short-lived session tokens."""
