"""`make check-backend`: what each configured backend does with what the proxy will ask of it."""
