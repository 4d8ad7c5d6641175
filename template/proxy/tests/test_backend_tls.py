"""A backend behind HTTPS: its certificate is checked, and a private CA is trusted through
SSL_CERT_FILE (the standard variable the proxy's HTTP client reads)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dev_backend import DevBackend
from tests.harness import Proxy
from tests.servers import Certificate


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return Certificate.create(tmp_path)


@pytest.fixture
def https_url(backend: DevBackend, serve: Callable[..., str], certificate: Certificate) -> str:
    url = serve(backend, tls=certificate)
    assert url.startswith("https://")
    return url


def test_a_backend_with_a_certificate_from_a_private_ca_answers(
    make_proxy: Callable[..., Proxy],
    https_url: str,
    certificate: Certificate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert_file))
    user = make_proxy(custom_backend_url=https_url).user()
    user.new_session()

    stream = user.create_thread("hello over TLS")

    assert stream.error is None
    assert stream.text


def test_a_certificate_nobody_trusts_is_refused_with_a_readable_error(
    make_proxy: Callable[..., Proxy], https_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    user = make_proxy(custom_backend_url=https_url, retry_max_attempts=1).user()
    user.new_session()

    stream = user.create_thread("is this you?")

    assert stream.error is not None
    assert "unavailable" in stream.error["message"]
    assert stream.error["allow_retry"] is True
    assert [item["type"] for item in user.items(stream.thread_id)] == ["user_message"]
