"""Reading the proxy's GET /metrics the way Prometheus does."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.harness import Proxy


def sample(proxy: Proxy, name: str, **labels: str) -> float:
    """The value of one sample (0 when it has not been recorded yet)."""
    response = proxy.user().http.get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for each in family.samples:
            if each.name == name and each.labels == labels:
                return each.value
    return 0.0
