"""Sealed answers (电子签章的数据应答): the envelope, its canonical form and its detached signature.

An answer is ``{"envelope": {...}, "signature": {"alg", "kid", "value"}}``. The signature covers the RFC 8785
(JSON Canonicalization Scheme) serialization of ``envelope``: keys sorted, no insignificant white space,
UTF-8, shortest round-trip numbers. A receiver in any language canonicalizes the ``envelope`` member it
received with a JCS library and checks the signature with the key named by ``kid`` from ``/api/v1/keys``
— no call to the platform needed. We serialize with orjson (sorted keys), which produces the JCS bytes for
everything an envelope holds once integral floats are written as integers (tests compare it with the
``rfc8785`` reference implementation); integers outside ±2^53, which JCS cannot carry, are sent as strings.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from govshare.crypto.signer import Signer, b64url, b64url_decode, verify_jwk

ENVELOPE_VERSION = 1
_MAX_SAFE_INT = 2**53 - 1


def _jcs_safe(value: Any) -> Any:
    """Bring values to what JCS prints: integral floats as integers (2.0 → 2, -0.0 → 0), big integers as strings."""
    if isinstance(value, str | bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT else str(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) <= _MAX_SAFE_INT else value
    if isinstance(value, dict):
        return {str(k): _jcs_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jcs_safe(v) for v in value]
    return value


def jcs_ready(value: Any) -> Any:
    """``value`` with integral floats as integers and big integers as strings: what :func:`canonical_json`
    does first. A caller that builds a document from known-safe parts applies it to the other parts only and
    passes ``ready=True`` (the gateway: only the provider's values can hold floats or big integers)."""
    return _jcs_safe(value)


def canonical_json(obj: Any, *, ready: bool = False) -> bytes:
    """RFC 8785 bytes of ``obj`` (see module docstring). ``ready``: ``obj`` already holds only what JCS prints
    as is (see :func:`jcs_ready`): an integral float left in it would print as ``2.0``, not ``2``."""
    return orjson.dumps(obj if ready else _jcs_safe(obj), option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER)


def request_hash(request: dict[str, Any], *, ready: bool = False) -> str:
    """SHA-256 of the canonical request, echoed in the envelope and the audit record."""
    return hashlib.sha256(canonical_json(request, ready=ready)).hexdigest()


def seal(envelope: dict[str, Any], signer: Signer) -> dict[str, Any]:
    _, signature = sign_envelope(envelope, signer)
    return {"envelope": envelope, "signature": signature}


def sign_envelope(envelope: dict[str, Any], signer: Signer, *, ready: bool = False) -> tuple[bytes, dict[str, str]]:
    """The canonical bytes of ``envelope`` and their signature block. A caller that already holds the bytes
    writes the answer from them (:func:`sealed_json`) instead of serializing the envelope a second time."""
    body = canonical_json(envelope, ready=ready)
    return body, {"alg": signer.algorithm, "kid": signer.key_id, "value": b64url(signer.sign(body))}


def sealed_json(body: bytes, signature: dict[str, str], **extra: Any) -> bytes:
    """``{"envelope": …, "signature": …, **extra}`` as JSON, the envelope spliced in as the signed bytes."""
    parts = [b'{"envelope":', body, b',"signature":', orjson.dumps(signature)]
    for name, value in extra.items():
        parts += [b',"', name.encode(), b'":', orjson.dumps(value)]
    parts.append(b"}")
    return b"".join(parts)


def sealed_digest(sealed: dict[str, Any]) -> str:
    """SHA-256 of the signed bytes: what the audit record keeps to bind the answer to the log."""
    return hashlib.sha256(canonical_json(sealed["envelope"])).hexdigest()


def body_digest(body: bytes) -> str:
    """:func:`sealed_digest` of an answer, from the signed bytes themselves."""
    return hashlib.sha256(body).hexdigest()


class SealError(ValueError):
    def __init__(self, code: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code


def verify_sealed(sealed: dict[str, Any], jwks: dict[str, Any]) -> dict[str, Any]:
    """Check a sealed answer against a JWKS. Returns the envelope; raises :class:`SealError` if it fails."""
    if not isinstance(sealed, dict) or "envelope" not in sealed or "signature" not in sealed:
        raise SealError("not_sealed", "not a sealed answer: needs 'envelope' and 'signature'")
    sig = sealed["signature"]
    if not isinstance(sig, dict) or not {"alg", "kid", "value"} <= sig.keys():
        raise SealError("bad_signature_block", "signature needs alg, kid and value")
    jwk = next((k for k in jwks.get("keys", []) if k.get("kid") == sig["kid"]), None)
    if jwk is None:
        raise SealError("unknown_key", f"no public key with kid {sig['kid']!r}")
    if jwk.get("alg") and jwk["alg"] != sig["alg"]:
        raise SealError("algorithm_mismatch", "signature algorithm does not match the key")
    try:
        signature = b64url_decode(sig["value"])
    except ValueError as exc:
        raise SealError("bad_signature_encoding", "signature is not base64url") from exc
    if not verify_jwk(jwk, canonical_json(sealed["envelope"]), signature):
        raise SealError("signature_invalid", "signature does not match the envelope: the answer was altered")
    return sealed["envelope"]
