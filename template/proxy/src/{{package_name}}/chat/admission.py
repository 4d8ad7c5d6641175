"""What a request may store, decided before anything is stored or any backend is called: the
size of a message or a title, threads per user, items per thread, the model and its limits, the
user's token budget and the message rate limits.

The ChatKit SDK saves the thread and the user's message before `respond()` runs, so these
checks cannot wait for the reply: a refused request stores nothing.
"""

from __future__ import annotations

from chatkit.types import (
    ChatKitReq,
    ThreadsAddUserMessageReq,
    ThreadsCreateReq,
    ThreadsRetryAfterItemReq,
    ThreadsUpdateReq,
    UserMessageInput,
)

from ..backend.models import ModelCatalogue
from ..errors import PayloadTooLarge, QuotaExceeded
from ..state.rate_limit import RateLimit
from ..state.store import ChatStore
from .context import RequestContext
from .inference import check_new_message
from .usage import TokenBudget

# A message adds the user's item and the assistant's.
_ITEMS_PER_MESSAGE = 2


class Admission:
    def __init__(
        self,
        store: ChatStore,
        models: ModelCatalogue,
        *,
        per_user: RateLimit,
        per_address: RateLimit,
        budget: TokenBudget,
        max_message_chars: int,
        max_title_chars: int,
        max_threads_per_user: int,
        max_items_per_thread: int,
    ) -> None:
        self._store = store
        self._models = models
        self._per_user = per_user
        self._per_address = per_address
        self._budget = budget
        self._max_message_chars = max_message_chars
        self._max_title_chars = max_title_chars
        self._max_threads = max_threads_per_user
        self._max_items = max_items_per_thread

    async def chat_request(self, request: ChatKitReq, context: RequestContext) -> None:
        """Refuses a ChatKit request that would store more than its user may, or a message the
        backend request would refuse; those checks come first, so a refused message does not
        use up the rate limit."""
        if isinstance(request, ThreadsCreateReq):
            self._check_message(request.params.input, context)
            if await self._store.count_threads(context) >= self._max_threads:
                raise QuotaExceeded(
                    f"{self._max_threads} threads",
                    user_message=(
                        f"You have {self._max_threads} conversations, the most one person can "
                        "keep. Delete some to start a new one."
                    ),
                )
            await self.message(context)
        elif isinstance(request, ThreadsAddUserMessageReq):
            self._check_message(request.params.input, context)
            items = await self._store.count_items(request.params.thread_id, context)
            if items + _ITEMS_PER_MESSAGE > self._max_items:
                raise QuotaExceeded(
                    f"{items} items in thread",
                    user_message="This conversation is at its length limit: start a new chat.",
                )
            await self.message(context)
        elif isinstance(request, ThreadsRetryAfterItemReq):
            await self.message(context)
        elif (
            isinstance(request, ThreadsUpdateReq)
            and len(request.params.title) > self._max_title_chars
        ):
            raise PayloadTooLarge(
                f"title of {len(request.params.title)} characters",
                user_message=f"A title can be at most {self._max_title_chars} characters.",
            )

    def _check_message(self, message: UserMessageInput, context: RequestContext) -> None:
        text = "".join(part.text for part in message.content)
        self.message_text(text)
        # Tags and quoted text are stored with the message: together no more than its text.
        if _characters(message.model_dump()) - len(text) > self._max_message_chars:
            raise PayloadTooLarge(
                "message fields besides its text",
                user_message="This message carries too much besides its text.",
            )
        model = self._models.resolve(message.inference_options.model)
        check_new_message(model, text, context.overrides)

    def message_text(self, text: str) -> None:
        if len(text) > self._max_message_chars:
            raise PayloadTooLarge(
                f"message of {len(text)} characters",
                user_message=(
                    f"This message is too long: at most {self._max_message_chars} characters."
                ),
            )

    async def message(self, context: RequestContext) -> None:
        """Counts one message to the backend against its user's and its address's limits,
        once the user's token budget is known to have room."""
        await self._budget.check(context.user_id)
        await self._per_user.hit(context.user_id)
        await self._per_address.hit(context.client_address)


def _characters(value: object) -> int:
    """How many characters the strings in `value` (dicts and lists included) hold."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_characters(key) + _characters(item) for key, item in value.items())
    if isinstance(value, list):
        return sum(_characters(item) for item in value)
    return 0
