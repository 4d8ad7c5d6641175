"""`make check-backend`: the command, the checks every backend gets, and those of its protocol."""
