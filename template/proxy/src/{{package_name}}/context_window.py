"""Fits a conversation into a model's context window, with an offline token estimate.

The backend's tokenizer is unknown here (and nothing is downloaded at run time), so token
counts are estimated from the text itself, erring on the high side:

- an ASCII letter counts 1/3 token (English words average 4 to 5 characters per token),
- ASCII whitespace 1/4 (a space mostly joins the next word's token; indentation runs merge),
- an ASCII digit or symbol 1 token (many tokenizers split digits; code symbols rarely merge),
- any other character half a token per UTF-8 byte (1 for Cyrillic, Greek, Arabic; 1.5 for
  CJK, Hindi, Thai), and 4 tokens for a 4-byte character (emoji, rare CJK) since 32k-entry
  vocabularies spell those byte by byte;

then multiplied by SAFETY_MARGIN, plus MESSAGE_OVERHEAD per message for the chat template's
role markers. Against real tokenizers (GPT-4's cl100k, Mistral's 32k SentencePiece and its
131k Tekken) this is 1.1x to 2.3x the largest count for prose in a dozen scripts, code, JSON
and emoji; random identifiers such as base64 or hex, and dense mathematical symbols, can
exceed it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from .conversation import ChatMessage

log = logging.getLogger(__name__)

SAFETY_MARGIN = 1.25
MESSAGE_OVERHEAD = 8
REPLY_PRIMING = 8  # the template's opening of the assistant's turn

_LETTERS = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))
_SPACES = b" \t\n\r\x0b\x0c"
_ASCII = bytes(range(128))
_LEAD_2 = bytes(range(0xC0, 0xE0))
_LEAD_3 = bytes(range(0xE0, 0xF0))
_LEAD_4 = bytes(range(0xF0, 0xF8))


def _count(data: bytes, members: bytes) -> int:
    # bytes.translate runs in C: this stays fast for long histories on the event loop.
    return len(data) - len(data.translate(None, members))


def estimate_text(text: str) -> int:
    data = text.encode("utf-8")
    ascii_count = _count(data, _ASCII)
    letters = _count(data, _LETTERS)
    spaces = _count(data, _SPACES)
    symbols = ascii_count - letters - spaces
    wide = _count(data, _LEAD_2) * 1.0 + _count(data, _LEAD_3) * 1.5 + _count(data, _LEAD_4) * 4
    return math.ceil((letters / 3 + spaces / 4 + symbols + wide) * SAFETY_MARGIN)


def estimate_message(message: ChatMessage) -> int:
    return estimate_text(message.content) + MESSAGE_OVERHEAD


def estimate_prompt(messages: Sequence[ChatMessage]) -> int:
    return sum(estimate_message(m) for m in messages) + REPLY_PRIMING


def fit(messages: Sequence[ChatMessage], budget: int) -> list[ChatMessage]:
    """The system messages and the newest turns whose estimate fits in `budget` tokens.

    Older turns are dropped first, and the kept history starts with a user message (some chat
    templates refuse an assistant turn first). The newest message is always kept: the caller
    checks that it fits on its own.
    """
    system = [m for m in messages if m.role == "system"]
    turns = [m for m in messages if m.role != "system"]
    used = estimate_prompt(system)
    kept: list[ChatMessage] = []
    for message in reversed(turns):
        cost = estimate_message(message)
        if kept and used + cost > budget:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    while len(kept) > 1 and kept[0].role != "user":
        kept.pop(0)
    dropped = len(turns) - len(kept)
    if dropped:
        log.info(
            "context window: dropped %d of %d earlier messages to fit %d tokens (estimated)",
            dropped,
            len(turns),
            budget,
        )
    return [*system, *kept]
