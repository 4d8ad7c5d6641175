"""What a backend reply is made of, as every backend client hands it up the layers.

A reply is a sequence of events: text deltas, as plain `str` (the hot path allocates nothing
per token), then at most one `Finish` saying why the backend stopped. Each layer between the
client and the chat server (timeouts and retries, backup backends) passes every event on in
order; only adjacent text deltas may be joined.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finish:
    """How the reply ended, as the backend said (OpenAI's `finish_reason`)."""

    reason: str

    @property
    def at_length_limit(self) -> bool:
        """The reply stopped at `max_tokens`, not where the model meant to end it."""
        return self.reason == "length"


ReplyEvent = str | Finish
