"""Service basics: health, readiness, metrics, OpenAPI, request ids, keys."""

from __future__ import annotations


def test_health_ready_metrics(client):
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"store": "ok", "audit": "ok"}
    metrics = client.get("/metrics")
    assert "govshare_http_requests_total" in metrics.text


def test_openapi_and_docs(client):
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/systems/{system_id}/credentials/{key_id}/rotate" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_request_id_is_echoed_and_in_problems(client):
    resp = client.get("/api/v1/systems", headers={"X-Request-ID": "req-123"})
    assert resp.headers["X-Request-ID"] == "req-123"
    assert resp.json()["request_id"] == "req-123"


def test_unknown_route_is_problem_json(client):
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"


def test_public_keys_published(client, runtime):
    keys = client.get("/api/v1/keys").json()["keys"]
    assert keys[0]["kid"] == runtime.keys.signer.key_id and keys[0]["crv"] == "Ed25519"
