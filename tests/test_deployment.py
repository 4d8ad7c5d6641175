"""Deployment files: no container engine runs here, so check what can be checked without one.

The compose file must parse and wire the services the answers call for, and the Dockerfiles
must start the app the project actually has.
"""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import render_ok


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_compose_file_wires_the_services_of_the_answers(copie, store):
    project = render_ok(copie, store=store, package_name="helpdesk")
    compose = yaml.safe_load((project / "compose.yaml").read_text(encoding="utf-8"))

    services = compose["services"]
    expected = (
        {"web", "proxy", "redis", "postgres"} if store == "postgres" else {"web", "proxy", "redis"}
    )
    assert set(services) == expected
    for name in ("web", "proxy"):
        context = services[name]["build"]
        context = context["context"] if isinstance(context, dict) else context
        assert (project / context / "Dockerfile").is_file(), f"{name}: no Dockerfile in {context}"
    assert services["web"]["environment"]["PROXY_URL"] == "http://proxy:8000"
    # Every replica of the proxy shares its rate limits and cached credentials through Redis.
    assert services["proxy"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert services["proxy"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["redis"]["image"].startswith("redis:")
    database_url = services["proxy"]["environment"]["DATABASE_URL"]
    if store == "postgres":
        assert database_url.startswith("postgresql://")
        assert "@postgres:5432/" in database_url
        assert services["proxy"]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert set(compose["volumes"]) == {"postgres-data"}
    else:
        assert database_url.startswith("sqlite:////app/data/")
        assert services["proxy"]["volumes"] == ["proxy-data:/app/data"]
        assert set(compose["volumes"]) == {"proxy-data"}
    # Every ${VAR} compose reads from .env is documented there (or has a default).
    env_example = (project / ".env.example").read_text(encoding="utf-8")
    text = (project / "compose.yaml").read_text(encoding="utf-8")
    for variable in re.findall(r"\$\{([A-Z_]+)(?::?[-?][^}]*)?\}", text):
        assert f"{variable}=" in env_example, f"{variable} is not in .env.example"


def test_proxy_image_runs_the_generated_app(copie):
    project = render_ok(copie, package_name="helpdesk")
    dockerfile = (project / "proxy" / "Dockerfile").read_text(encoding="utf-8")

    assert '"helpdesk.app:app"' in dockerfile
    assert (project / "proxy" / "src" / "helpdesk" / "app.py").is_file()
    assert "USER chat" in dockerfile
