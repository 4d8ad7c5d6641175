"""How the proxy authenticates to the LLM backend: a static API key as a Bearer token."""

from __future__ import annotations

from pydantic import SecretStr


class ApiKeyAuth:
    def __init__(self, key: SecretStr) -> None:
        secret = key.get_secret_value()
        self._headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    async def headers(self, user_id: str) -> dict[str, str]:
        return self._headers
