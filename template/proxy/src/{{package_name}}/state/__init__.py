"""What the proxy keeps: the thread store, state shared by replicas, rate limits, retention."""
