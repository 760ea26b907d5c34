"""Sealed answers: canonical form = RFC 8785, signatures (Ed25519, SM2), any altered byte fails."""

from __future__ import annotations

import copy
import json

import pytest
import rfc8785
from typer.testing import CliRunner

from govshare.crypto.signer import KeyStore
from govshare.exchange.envelope import SealError, canonical_json, seal, verify_sealed

ENVELOPE = {
    "version": 1,
    "request_id": "7f3c9e",
    "request_hash": "ab" * 32,
    "at": "2026-11-25T20:00:00.123456Z",
    "purpose": "婚姻登记受理",
    "consumer": {"org_id": "o1", "org_name": "示范市民政局", "system_id": "s1", "on_behalf_of": "clerk-7"},
    "resource": {"code": "1010010001", "version": 3, "provider": {"org_id": "o2", "name": "示范市公安局"}},
    "items_clear": ["name", "gender"],
    "items_masked": ["id_number"],
    "rows": [
        {
            "id_number": "110105********002X",
            "name": "张三",
            "gender": "男",
            "lat": 30.123456,
            "n": 2**60,
            "_freshness": {"updated_at": "2026-11-01T00:00:00Z", "verified_at": "2026-11-02T00:00:00Z"},
        },
    ],
}


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> KeyStore:
    return KeyStore(tmp_path_factory.mktemp("keys"))


def test_canonical_form_is_rfc8785():
    safe = copy.deepcopy(ENVELOPE)
    safe["rows"][0]["n"] = str(2**60)  # JCS has no integers beyond 2^53: we send them as strings
    assert canonical_json(ENVELOPE) == rfc8785.dumps(safe)
    for value in [
        0.1,
        1e21,
        1e-7,
        -0.0,
        2.0,
        1e300,
        5e-324,
        123456789.125,
        '\u2028\x1f"\\',
        {"b": 1, "a": [True, None]},
    ]:
        assert canonical_json(value) == rfc8785.dumps(value), value


@pytest.mark.parametrize("alg", ["EdDSA", "SM2-SM3"])
def test_sealed_answer_verifies_offline(keys: KeyStore, alg: str):
    sealed = json.loads(json.dumps(seal(ENVELOPE, keys.signer_for(alg)), ensure_ascii=False))  # over the wire
    assert verify_sealed(sealed, keys.public_jwks())["request_id"] == "7f3c9e"


def _leaves(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, (*path, i))
    else:
        yield path


def _altered(value):
    if isinstance(value, bool) or value is None:
        return "x"
    if isinstance(value, int | float):
        return value + 1
    return value[:-1] + ("Y" if not value.endswith("Y") else "Z") if value else "Y"


def test_altering_any_value_of_data_or_metadata_fails(keys: KeyStore):
    sealed = seal(ENVELOPE, keys.signer)
    paths = list(_leaves(sealed["envelope"]))
    assert len(paths) > 20
    for path in paths:
        forged = copy.deepcopy(sealed)
        node = forged["envelope"]
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = _altered(node[path[-1]])
        with pytest.raises(SealError) as err:
            verify_sealed(forged, keys.public_jwks())
        assert err.value.code == "signature_invalid", path


def test_added_or_removed_member_fails(keys: KeyStore):
    sealed = seal(ENVELOPE, keys.signer)
    forged = copy.deepcopy(sealed)
    forged["envelope"]["rows"][0]["extra"] = "1"
    with pytest.raises(SealError):
        verify_sealed(forged, keys.public_jwks())
    forged = copy.deepcopy(sealed)
    del forged["envelope"]["items_masked"]
    with pytest.raises(SealError):
        verify_sealed(forged, keys.public_jwks())


def test_every_byte_of_the_file_matters(keys: KeyStore):
    raw = json.dumps(seal(ENVELOPE, keys.signer), ensure_ascii=False, sort_keys=True).encode()
    start = raw.index(b'"envelope"')
    checked = 0
    for i in range(start, len(raw), 7):  # every 7th byte of the envelope and signature
        forged = bytearray(raw)
        forged[i] = (forged[i] + 1) % 256 or 1
        try:
            doc = json.loads(bytes(forged))
        except ValueError:
            continue  # no longer JSON: a receiver rejects it anyway
        if doc == json.loads(raw):
            continue  # the change fell on insignificant white space
        with pytest.raises((SealError, ValueError, KeyError, TypeError)):
            verify_sealed(doc, keys.public_jwks())
        checked += 1
    assert checked > 50


def test_wrong_or_unknown_key_fails(keys: KeyStore, tmp_path):
    other = KeyStore(tmp_path / "other")
    sealed = seal(ENVELOPE, other.signer)
    with pytest.raises(SealError) as err:
        verify_sealed(sealed, keys.public_jwks())
    assert err.value.code == "unknown_key"


def test_cli_verify(keys: KeyStore, tmp_path, monkeypatch):
    from govshare.cli import app

    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps(seal(ENVELOPE, keys.signer), ensure_ascii=False), encoding="utf-8")
    jwks = tmp_path / "keys.json"
    jwks.write_text(json.dumps(keys.public_jwks()), encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(app, ["verify", str(answer), "--keys", str(jwks)])
    assert ok.exit_code == 0 and "VALID" in ok.output
    answer.write_text(answer.read_text(encoding="utf-8").replace("张三", "李四"), encoding="utf-8")
    bad = runner.invoke(app, ["verify", str(answer), "--keys", str(jwks)])
    assert bad.exit_code == 1 and "INVALID" in bad.output
