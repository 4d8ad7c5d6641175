"""All configuration, read once from environment variables (and a `.env` file)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    custom_backend_url: str = Field(
        default="http://127.0.0.1:8001/v1",
        description="Base URL of the OpenAI-compatible API, including /v1.",
    )
    custom_backend_key: SecretStr = SecretStr("")
    custom_model: str = Field(default="dev-model", min_length=1)

    session_secret: SecretStr
    session_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    session_cookie_secure: bool = False

    database_url: str = "sqlite:///./data/chat.db"
    allowed_origins: Annotated[list[str], NoDecode] = ["http://localhost:3000"]

    backend_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    backend_read_timeout_seconds: float = Field(default=120.0, gt=0)
    history_max_items: int = Field(default=100, ge=1, le=1000)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("session_secret")
    @classmethod
    def _secret_is_strong(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"SESSION_SECRET must be at least {MIN_SECRET_LENGTH} characters; "
                "generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("custom_backend_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("CUSTOM_BACKEND_URL must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _sqlite_only(cls, value: str) -> str:
        if not value.startswith("sqlite:///"):
            raise ValueError("DATABASE_URL must look like sqlite:///path/to/chat.db")
        return value

    @property
    def sqlite_path(self) -> str:
        return self.database_url.removeprefix("sqlite:///")
