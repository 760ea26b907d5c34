"""Identities over the real HTTP API on SQLite and PostgreSQL: validation, credentials, scoping, logins."""

from __future__ import annotations

from tests.conftest import World, login_headers, uscc_for


def _assert_problem(resp, status: int, code: str, field: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["code"] == code
    assert body["message_zh"] and body["message_en"]
    assert body["type"].endswith(code)
    if field is not None:
        assert body["field"] == field
    return body


# ---- organizations: USCC and region validation ------------------------------------------------------
def test_register_organization_with_valid_uscc(client, world: World):
    h = login_headers(client, world.operator.admin)
    resp = client.post(
        "/api/v1/organizations",
        headers=h,
        json={"name": "示范市教育局", "uscc": uscc_for(10000010), "level": "city", "region_code": "331900"},
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["uscc"] == uscc_for(10000010)


def test_register_organization_rejects_bad_uscc_checksum(client, world: World):
    h = login_headers(client, world.operator.admin)
    good = uscc_for(10000011)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    resp = client.post(
        "/api/v1/organizations",
        headers=h,
        json={"name": "示范市卫健委", "uscc": bad, "level": "city", "region_code": "331900"},
    )
    _assert_problem(resp, 422, "uscc_checksum", "uscc")
    # nothing was written
    names = [o["name"] for o in client.get("/api/v1/organizations", headers=h).json()]
    assert "示范市卫健委" not in names


def test_register_organization_rejects_bad_region_and_length(client, world: World):
    h = login_headers(client, world.operator.admin)
    resp = client.post(
        "/api/v1/organizations",
        headers=h,
        json={"name": "某局", "uscc": uscc_for(10000012), "level": "city", "region_code": "999999"},
    )
    _assert_problem(resp, 422, "region_code_invalid", "region_code")
    resp = client.post(
        "/api/v1/organizations",
        headers=h,
        json={"name": "某局", "uscc": "12345", "level": "city", "region_code": "331900"},
    )
    _assert_problem(resp, 422, "uscc_length", "uscc")


def test_duplicate_uscc_conflicts(client, world: World):
    h = login_headers(client, world.operator.admin)
    resp = client.post(
        "/api/v1/organizations",
        headers=h,
        json={"name": "另一个局", "uscc": uscc_for(10000002), "level": "city", "region_code": "331900"},
    )
    _assert_problem(resp, 409, "organization_uscc_taken", "uscc")


def test_only_platform_admin_registers_organizations(client, world: World):
    h = login_headers(client, world.a.admin)
    resp = client.post(
        "/api/v1/organizations",
        headers=h,
        json={"name": "示范市交通局", "uscc": uscc_for(10000013), "level": "city", "region_code": "331900"},
    )
    _assert_problem(resp, 403, "forbidden")


def test_validation_error_is_problem_json_with_field(client, world: World):
    h = login_headers(client, world.operator.admin)
    resp = client.post("/api/v1/organizations", headers=h, json={"name": "x", "level": "galaxy"})
    body = _assert_problem(resp, 422, "validation_failed")
    fields = {e["field"] for e in body["errors"]}
    assert {"name", "uscc", "level", "region_code"} <= fields


def test_malformed_json_is_a_problem_not_a_500(client, world: World):
    h = login_headers(client, world.operator.admin) | {"content-type": "application/json"}
    resp = client.post("/api/v1/organizations", headers=h, content=b"{not json")
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_failed"


# ---- credentials ----------------------------------------------------------------------------------
def test_api_key_authenticates_the_system(client, world: World):
    resp = client.get("/api/v1/auth/me", headers={"X-API-Key": world.a.api_key})
    assert resp.status_code == 200
    assert resp.json()["kind"] == "system" and resp.json()["org_id"] == world.a.org_id


def test_wrong_secret_is_refused(client, world: World):
    key = world.a.api_key[:-2] + ("AA" if not world.a.api_key.endswith("AA") else "BB")
    resp = client.get("/api/v1/auth/me", headers={"X-API-Key": key})
    _assert_problem(resp, 401, "unauthenticated")


def test_revocation_takes_effect_on_the_next_call(client, world: World):
    key_h = {"Authorization": f"ApiKey {world.a.api_key}"}
    assert client.get("/api/v1/auth/me", headers=key_h).status_code == 200
    h = login_headers(client, world.a.admin)
    resp = client.post(f"/api/v1/systems/{world.a.system_id}/credentials/{world.a.key_id}/revoke", headers=h)
    assert resp.status_code == 200 and resp.json()["revoked_at"]
    _assert_problem(client.get("/api/v1/auth/me", headers=key_h), 401, "unauthenticated")


def test_rotation_without_grace_switches_at_once(client, world: World):
    h = login_headers(client, world.a.admin)
    resp = client.post(
        f"/api/v1/systems/{world.a.system_id}/credentials/{world.a.key_id}/rotate", headers=h, json={"grace_seconds": 0}
    )
    assert resp.status_code == 201, resp.text
    new_key = resp.json()["api_key"]
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": new_key}).status_code == 200
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": world.a.api_key}).status_code == 401
    creds = client.get(f"/api/v1/systems/{world.a.system_id}/credentials", headers=h).json()
    old = next(c for c in creds if c["key_id"] == world.a.key_id)
    assert old["replaced_by"] == resp.json()["key_id"]
    assert all("api_key" not in c and "secret_hash" not in c for c in creds)


def test_rotation_with_grace_keeps_both_keys_working(client, world: World):
    h = login_headers(client, world.a.admin)
    resp = client.post(
        f"/api/v1/systems/{world.a.system_id}/credentials/{world.a.key_id}/rotate",
        headers=h,
        json={"grace_seconds": 3600},
    )
    new_key = resp.json()["api_key"]
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": new_key}).status_code == 200
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": world.a.api_key}).status_code == 200
    # rotating a rotated-away key again is fine until its grace ends; revoking it ends it now
    client.post(f"/api/v1/systems/{world.a.system_id}/credentials/{world.a.key_id}/revoke", headers=h)
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": world.a.api_key}).status_code == 401


def test_disabling_a_system_stops_its_keys(client, world: World):
    h = login_headers(client, world.a.admin)
    assert client.patch(f"/api/v1/systems/{world.a.system_id}", headers=h, json={"active": False}).status_code == 200
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": world.a.api_key}).status_code == 401


# ---- organization scoping: A never reaches B's private objects -------------------------------------
def test_systems_are_scoped_to_the_callers_organization(client, world: World):
    ha = login_headers(client, world.a.admin)
    listed = {s["id"] for s in client.get("/api/v1/systems", headers=ha).json()}
    assert listed == {world.a.system_id}
    _assert_problem(client.get(f"/api/v1/systems/{world.b.system_id}", headers=ha), 404, "system_not_found")
    _assert_problem(
        client.patch(f"/api/v1/systems/{world.b.system_id}", headers=ha, json={"name": "抢来的系统"}),
        404,
        "system_not_found",
    )
    resp = client.post(
        "/api/v1/systems", headers=ha, json={"org_id": world.b.org_id, "name": "冒名系统", "code": "fake-app"}
    )
    _assert_problem(resp, 403, "forbidden")


def test_credentials_are_scoped(client, world: World):
    ha = login_headers(client, world.a.admin)
    base = f"/api/v1/systems/{world.b.system_id}/credentials"
    _assert_problem(client.get(base, headers=ha), 404, "system_not_found")
    _assert_problem(client.post(base, headers=ha, json={}), 404, "system_not_found")
    _assert_problem(client.post(f"{base}/{world.b.key_id}/revoke", headers=ha), 404, "system_not_found")
    _assert_problem(client.post(f"{base}/{world.b.key_id}/rotate", headers=ha, json={}), 404, "system_not_found")
    # B's key still works
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": world.b.api_key}).status_code == 200


def test_users_are_scoped(client, world: World):
    ha = login_headers(client, world.a.admin)
    hb = login_headers(client, world.b.admin)
    b_me = client.get("/api/v1/auth/me", headers=hb).json()
    users_a = client.get("/api/v1/users", headers=ha).json()
    assert {u["org_id"] for u in users_a} == {world.a.org_id}
    _assert_problem(client.get(f"/api/v1/users/{b_me['id']}", headers=ha), 404, "user_not_found")
    _assert_problem(
        client.patch(f"/api/v1/users/{b_me['id']}", headers=ha, json={"active": False}), 404, "user_not_found"
    )
    _assert_problem(client.post(f"/api/v1/users/{b_me['id']}/unlock", headers=ha), 404, "user_not_found")
    resp = client.post(
        "/api/v1/users",
        headers=ha,
        json={"org_id": world.b.org_id, "username": "mole", "display_name": "内鬼", "password": "Passw0rd!x"},
    )
    _assert_problem(resp, 403, "forbidden")


def test_platform_admin_role_only_for_operator_staff(client, world: World):
    ha = login_headers(client, world.a.admin)
    resp = client.post(
        "/api/v1/users",
        headers=ha,
        json={
            "org_id": world.a.org_id,
            "username": "gaj_boss",
            "display_name": "越权",
            "password": "Passw0rd!x",
            "roles": ["platform_admin"],
        },
    )
    _assert_problem(resp, 422, "role_not_allowed", "roles")


def test_systems_cannot_manage_identities(client, world: World):
    h = {"X-API-Key": world.a.api_key}
    _assert_problem(client.get("/api/v1/users", headers=h), 403, "forbidden")
    _assert_problem(
        client.post(f"/api/v1/systems/{world.a.system_id}/credentials", headers=h, json={}), 403, "forbidden"
    )


def test_platform_admin_sees_every_organization(client, world: World):
    h = login_headers(client, world.operator.admin)
    ids = {s["id"] for s in client.get("/api/v1/systems", headers=h).json()}
    assert {world.a.system_id, world.b.system_id} <= ids
    assert client.get(f"/api/v1/systems/{world.b.system_id}", headers=h).status_code == 200


def test_audit_records_are_scoped(client, world: World):
    ha = login_headers(client, world.a.admin)
    hb = login_headers(client, world.b.admin)
    items_a = client.get("/api/v1/audit/records?limit=500", headers=ha).json()["items"]
    assert items_a and all(world.a.org_id in (r["actor_org_id"], r["object_org_id"]) for r in items_a)
    assert not any(r["object_org_id"] == world.b.org_id for r in items_a)
    items_b = client.get("/api/v1/audit/records?limit=500", headers=hb).json()["items"]
    assert {r["seq"] for r in items_a}.isdisjoint({r["seq"] for r in items_b})
    # the platform auditor sees both
    ho = login_headers(client, world.operator.admin)
    all_items = client.get("/api/v1/audit/records?limit=500", headers=ho).json()["items"]
    assert {r["seq"] for r in items_a} | {r["seq"] for r in items_b} <= {r["seq"] for r in all_items}
    # only the platform auditor verifies the whole chain
    _assert_problem(client.post("/api/v1/audit/verify", headers=ha), 403, "forbidden")
    assert client.post("/api/v1/audit/verify", headers=ho).json()["ok"] is True


# ---- logins ---------------------------------------------------------------------------------------
def test_lockout_after_repeated_failures_and_unlock(client, world: World, runtime):
    for _ in range(runtime.settings.login_max_failures):
        resp = client.post("/api/v1/auth/token", json={"username": world.a.admin, "password": "wrong-password"})
        _assert_problem(resp, 401, "login_failed")
    # now even the right password is refused until unlocked
    resp = client.post("/api/v1/auth/token", json={"username": world.a.admin, "password": World.password})
    _assert_problem(resp, 423, "account_locked")
    ho = login_headers(client, world.operator.admin)
    me_a = next(u for u in client.get("/api/v1/users", headers=ho).json() if u["username"] == world.a.admin)
    assert client.post(f"/api/v1/users/{me_a['id']}/unlock", headers=ho).status_code == 200
    assert (
        client.post("/api/v1/auth/token", json={"username": world.a.admin, "password": World.password}).status_code
        == 200
    )
    records = client.get("/api/v1/audit/records?action=identity.login&outcome=denied&limit=500", headers=ho).json()[
        "items"
    ]
    assert len(records) >= runtime.settings.login_max_failures + 1


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, world: World):
    resp = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "whatever"})
    _assert_problem(resp, 401, "login_failed")


def test_console_session_cookie_and_csrf(client, world: World):
    resp = client.post("/api/v1/auth/login", json={"username": world.a.admin, "password": World.password})
    assert resp.status_code == 200
    set_cookie = resp.headers.get_list("set-cookie")
    session_cookie = next(c for c in set_cookie if c.startswith("govshare_session="))
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
    csrf = resp.json()["csrf_token"]
    assert client.get("/api/v1/auth/me").json()["kind"] == "user"
    body = {"org_id": world.a.org_id, "name": "档案系统", "code": "archive"}
    _assert_problem(client.post("/api/v1/systems", json=body), 403, "csrf_failed")
    _assert_problem(client.post("/api/v1/systems", json=body, headers={"X-CSRF-Token": "forged"}), 403, "csrf_failed")
    assert client.post("/api/v1/systems", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    _assert_problem(client.get("/api/v1/auth/me"), 401, "unauthenticated")


def test_logged_out_session_token_is_dead(client, world: World):
    resp = client.post("/api/v1/auth/login", json={"username": world.a.admin, "password": World.password})
    token = resp.cookies.get("govshare_session")
    csrf = resp.json()["csrf_token"]
    client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    client.cookies.clear()
    client.cookies.set("govshare_session", token)
    _assert_problem(client.get("/api/v1/auth/me"), 401, "unauthenticated")


def test_password_change_revokes_tokens(client, world: World):
    h = login_headers(client, world.a.admin)
    resp = client.post(
        "/api/v1/auth/password", headers=h, json={"old_password": World.password, "new_password": "N3w-Passw0rd"}
    )
    assert resp.status_code == 204
    _assert_problem(client.get("/api/v1/auth/me", headers=h), 401, "unauthenticated")
    assert (
        client.post("/api/v1/auth/token", json={"username": world.a.admin, "password": "N3w-Passw0rd"}).status_code
        == 200
    )
