"""One error type per failure the proxy can meet, each knowing its HTTP status and user message."""

from __future__ import annotations


class ProxyError(Exception):
    """A failure with a message that is safe to show to the end user."""

    status_code = 500
    code = "internal_error"
    user_message = "Something went wrong on our side. Please try again."
    allow_retry = True

    def __init__(self, detail: str | None = None, *, user_message: str | None = None) -> None:
        # `detail` is for logs only: it may name hosts or quote upstream bodies.
        super().__init__(detail or self.user_message)
        if user_message is not None:
            self.user_message = user_message

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.user_message}}


class BadRequest(ProxyError):
    status_code = 400
    code = "bad_request"
    allow_retry = False


class Unauthorized(ProxyError):
    status_code = 401
    code = "unauthorized"
    user_message = "Your session has expired. Please reload the page."
    allow_retry = False


class Forbidden(ProxyError):
    status_code = 403
    code = "forbidden"
    user_message = "You are signed in but not allowed to use the chat."
    allow_retry = False


class PayloadTooLarge(ProxyError):
    status_code = 413
    code = "payload_too_large"
    user_message = "The request is too large."
    allow_retry = False


class RateLimited(ProxyError):
    status_code = 429
    code = "rate_limited"
    allow_retry = True

    def __init__(self, retry_after: int, refusal: str) -> None:
        """`refusal`: what was over which limit, as a sentence for the user."""
        super().__init__(refusal, user_message=f"{refusal} Please try again in {retry_after} s.")
        self.retry_after = retry_after


class TokenBudgetUsed(RateLimited):
    """The user has used up the day's TOKEN_BUDGET_PER_DAY."""

    code = "token_budget_used"
    allow_retry = False

    def __init__(self, retry_after: int, budget: int) -> None:
        ProxyError.__init__(
            self,
            f"daily budget of {budget} tokens used",
            user_message=f"You have used today's {budget:,} tokens. More are available after "
            "midnight UTC.",
        )
        self.retry_after = retry_after


class QuotaExceeded(ProxyError):
    """A cap on what one user may store (threads, messages per thread, message size)."""

    status_code = 409
    code = "quota_exceeded"
    allow_retry = False


class CrossSiteRequest(Forbidden):
    code = "cross_site_request"
    user_message = "This request did not come from the chat page."


class SharedStateUnavailable(ProxyError):
    """Redis (REDIS_URL), where the replicas keep rate-limit counts and credentials, is down."""

    status_code = 503
    code = "shared_state_unavailable"
    user_message = "The chat service is briefly unavailable. Please try again in a moment."


class NotFound(ProxyError):
    status_code = 404
    code = "not_found"
    user_message = "This conversation does not exist."
    allow_retry = False


class UnknownModel(ProxyError):
    status_code = 400
    code = "unknown_model"
    allow_retry = False


class BackendError(ProxyError):
    """The LLM backend could not give an answer."""

    status_code = 502
    code = "backend_error"
    user_message = "The assistant could not answer right now. Please try again."
    # Seconds the backend asked us to wait (its `Retry-After`), when it said.
    retry_after: float | None = None
    # Attempts this failure is worth at most; None: as many as RETRY_MAX_ATTEMPTS allows.
    max_attempts: int | None = None
    # The backend's HTTP status, when it answered with an error status.
    status: int | None = None


class BackendUnavailable(BackendError):
    status_code = 503
    code = "backend_unavailable"
    user_message = "The assistant is unavailable at the moment. Please try again in a little while."


class BackendBusy(BackendUnavailable):
    """The backend is up but serving others: it cut this reply when another request came, or
    answered 503 while it had another of ours in hand."""

    code = "backend_busy"
    user_message = "The assistant is busy with other requests. Please try again in a moment."


class BackendCutOff(BackendUnavailable):
    """The reply's stream ended before the backend said it was complete."""

    code = "backend_cut_off"
    user_message = "The assistant's backend ended the reply unexpectedly. Please try again."
    # Asked the same again, a backend mostly ends the same way (llama.cpp does so for a prompt
    # over its context): one more try, not RETRY_MAX_ATTEMPTS.
    max_attempts = 2


class BackendTimeout(BackendError):
    status_code = 504
    code = "backend_timeout"
    user_message = "The assistant took too long to answer. Please try again."


class GenerationTimeout(BackendTimeout):
    """A complete reply was not ready in time: each try costs the backend a whole generation."""

    code = "backend_generation_timeout"
    max_attempts = 2


class CircuitOpen(BackendUnavailable):
    """The endpoint failed repeatedly and is skipped until its cooldown ends."""

    code = "backend_cooling_down"


class BackendRateLimited(BackendError):
    status_code = 429
    code = "backend_rate_limited"
    user_message = "The assistant is receiving too many requests. Please wait a moment and retry."


class BackendRejected(BackendError):
    """The backend refused the request itself: retrying the same request will not help."""

    code = "backend_rejected"
    user_message = "The assistant could not process this message."
    allow_retry = False


class ContextTooLong(BackendRejected):
    code = "context_too_long"
    user_message = (
        "This conversation is too long for the assistant. "
        "Start a new chat or send a shorter message."
    )


class BackendAuthFailed(BackendRejected):
    code = "backend_auth_failed"
    user_message = "The assistant is misconfigured (the backend refused our credentials)."


class BackendProtocolError(BackendError):
    code = "backend_bad_response"
    user_message = "The assistant sent a reply we could not read. Please try again."


class BackendSessionRefused(BackendAuthFailed):
    """The backend no longer accepts the session it gave: a new one may work."""
