"""The chat: the ChatKit server that answers a thread, what it asks the backend and stores."""
