"""The tokens each reply takes: as the backend counts them, or estimated when it does not say;
counted in the metrics and the log; and charged to a per-user daily budget.

The budget (TOKEN_BUDGET_PER_DAY; 0: none) is counted in the shared state, so every replica
sees one total per user (in Redis with REDIS_URL). A message is refused before it is stored
once the day's budget is used up; each reply is charged with the tokens it took, so the reply
that crosses the budget is still answered. Days are UTC days.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from limits.aio.storage import Storage
from limits.errors import StorageError

from ..backend.events import Usage
from ..backend.request import ChatRequest
from ..errors import SharedStateUnavailable, TokenBudgetUsed
from ..observability.logs import logger
from ..observability.metrics import TOKENS
from .context_window import estimate_prompt, estimate_text

log = logger(__name__)


async def settle(
    budget: TokenBudget,
    model_id: str,
    user_id: str,
    reported: Usage | None,
    request: ChatRequest,
    answer: str,
) -> Usage:
    """What a reply took (as the backend reported it, or the proxy's estimate of the prompt and
    the answer): counted in the metrics and the log, and charged to the user's budget."""
    used = reported or Usage(
        estimate_prompt(request.messages), estimate_text(answer), estimated=True
    )
    _count(model_id, used)
    await budget.charge(user_id, used.total)
    return used


def _count(model_id: str, usage: Usage) -> None:
    source = "estimate" if usage.estimated else "backend"
    TOKENS.labels(model_id, "prompt", source).inc(usage.prompt_tokens)
    TOKENS.labels(model_id, "completion", source).inc(usage.completion_tokens)
    log.info(
        "reply usage",
        extra={
            "fields": {
                "model": model_id,
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "estimated": usage.estimated,
            }
        },
    )


class TokenBudget:
    def __init__(self, per_day: int, counts: Storage) -> None:
        self._per_day = per_day
        self._counts = counts

    async def check(self, user_id: str) -> None:
        """TokenBudgetUsed when the user has used up today's budget."""
        if not self._per_day:
            return
        now = datetime.now(UTC)
        try:
            used = await self._counts.get(_key(user_id, now))
        except StorageError as exc:
            raise SharedStateUnavailable(f"token budget: {exc.storage_error!r}") from exc
        if used >= self._per_day:
            tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            raise TokenBudgetUsed(int((tomorrow - now).total_seconds()) + 1, self._per_day)

    async def charge(self, user_id: str, tokens: int) -> None:
        """Counts `tokens` against the user's budget for today. The reply is already out: when
        the count cannot be kept (Redis away), the log says so and the user is not told."""
        if not self._per_day or tokens <= 0:
            return
        try:
            await self._counts.incr(_key(user_id, datetime.now(UTC)), _TWO_DAYS, tokens)
        except StorageError as exc:
            log.warning("token budget: %d tokens not counted: %r", tokens, exc.storage_error)


# The count outlives its day by a day, then expires.
_TWO_DAYS = 2 * 24 * 3600


def _key(user_id: str, now: datetime) -> str:
    return f"tokens/{user_id}/{now:%Y-%m-%d}"
