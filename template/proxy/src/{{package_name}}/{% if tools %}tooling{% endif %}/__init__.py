"""Tools the model may call: their schemas, and the rounds between model and tools."""
