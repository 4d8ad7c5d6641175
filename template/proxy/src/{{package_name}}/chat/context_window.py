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

import math
from collections.abc import Sequence

from ..backend.request import ChatMessage
from ..observability.logs import logger

log = logger(__name__)

SAFETY_MARGIN = 1.25
MESSAGE_OVERHEAD = 8
REPLY_PRIMING = 8  # the template's opening of the assistant's turn


def _byte_classes() -> bytes:
    """A translation table that maps each UTF-8 byte to a class letter for counting."""
    table = bytearray(b"s" * 256)  # ASCII digits and symbols
    for byte in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz":
        table[byte] = ord("a")
    for byte in b" \t\n\r\x0b\x0c":
        table[byte] = ord(" ")
    table[0x80:0xC0] = b"c" * 0x40  # continuation bytes: counted through their lead byte
    table[0xC0:0xE0] = b"2" * 0x20
    table[0xE0:0xF0] = b"3" * 0x10
    table[0xF0:0x100] = b"4" * 0x10
    return bytes(table)


_CLASSES = _byte_classes()


def estimate_text(text: str) -> int:
    # One C-level translate and a few counts: cheap enough for long histories on the event loop.
    classes = text.encode("utf-8").translate(_CLASSES)
    letters, spaces, symbols = classes.count(b"a"), classes.count(b" "), classes.count(b"s")
    wide = classes.count(b"2") + classes.count(b"3") * 1.5 + classes.count(b"4") * 4
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
