"""The whole demo city goes into a real store through the identity service (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from govshare.audit.service import verify_chain
from govshare.seed.service import demo_credentials, seed_city, store_is_empty

pytestmark = pytest.mark.slow


def test_seed_city_loads_identities_and_persons(runtime, client, tmp_path):
    assert store_is_empty(runtime)
    summary = seed_city(runtime, seed=2026, persons=500, out_dir=tmp_path / "seed")
    assert summary.organizations >= 22 and summary.systems >= summary.organizations
    assert summary.persons_csv.read_text(encoding="utf-8").count("\n") == 501
    assert not store_is_empty(runtime)
    with pytest.raises(RuntimeError):
        seed_city(runtime, seed=2026, persons=10)

    text = demo_credentials(runtime, port=8000)
    assert "Demo@2026" in text and "gsk_" in text
    key = next(line.split()[-1] for line in text.splitlines() if "gsk_" in line and "curl" not in line)
    me = client.get("/api/v1/auth/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json()["kind"] == "system"
    # a seeded platform admin can log in and sees every department
    token = client.post("/api/v1/auth/token", json={"username": "sjj_platform", "password": "Demo@2026"})
    assert token.status_code == 200, token.text
    orgs = client.get("/api/v1/organizations", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert len(orgs.json()) == summary.organizations
    report = verify_chain(runtime.db, runtime.keys)
    assert report.ok and report.checkpoints == 1
