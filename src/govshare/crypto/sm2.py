"""SM2 signatures with SM3 (GB/T 32918, GB/T 32905) — the national-crypto signer.

Choice of implementation: ``cryptography`` (OpenSSL) has SM3 but no SM2 signing, and the maintained
bindings of a C implementation (GmSSL, Tongsuo) need a system library that Debian does not ship. We use
the curve arithmetic of ``gmssl`` (pure Python, the most used SM2 package on PyPI) and never its random
source: the private key and every per-signature nonce come from :mod:`secrets` here. Known limits, stated
so operators can choose: pure-Python arithmetic is slow (see docs/benchmarks.md) and not constant-time,
so for high volume or hostile co-tenancy sign SM2 in an HSM and keep Ed25519 for the platform's own seal.
"""

from __future__ import annotations

import hashlib
import secrets

from gmssl import sm2 as _gm

from govshare.crypto.signer import b64url, b64url_decode

_N = int(_gm.default_ecc_table["n"], 16)
#: GB/T 35276 default signer identity used in the Z value when none is agreed.
DEFAULT_USER_ID = b"1234567812345678"


def _public_from_private(d: int) -> str:
    curve = _gm.CryptSM2(private_key=f"{d:064x}", public_key="")
    return curve._kg(d, _gm.default_ecc_table["g"])  # uncompressed x||y, 128 hex chars


class SM2Signer:
    algorithm = "SM2-SM3"

    def __init__(self, private_key_hex: str | None = None) -> None:
        d = int(private_key_hex, 16) if private_key_hex else secrets.randbelow(_N - 2) + 1
        if not 1 <= d <= _N - 2:
            raise ValueError("SM2 private key out of range")
        self._d_hex = f"{d:064x}"
        self._public_hex = _public_from_private(d)
        self._curve = _gm.CryptSM2(private_key=self._d_hex, public_key=self._public_hex)
        self.key_id = "sm2-" + hashlib.sha256(bytes.fromhex(self._public_hex)).hexdigest()[:16]

    @property
    def private_key_hex(self) -> str:
        return self._d_hex

    def sign(self, data: bytes) -> bytes:
        e = bytes.fromhex(self._curve._sm3_z(data))  # SM3(Z_A || M) with the default user id
        while True:  # a nonce giving r = 0, r + k = n or s = 0 is discarded, per the standard
            k = secrets.randbelow(_N - 1) + 1
            sig = self._curve.sign(e, f"{k:064x}")
            if sig:
                return bytes.fromhex(sig)  # r || s, 64 bytes

    def public_jwk(self) -> dict[str, str]:
        raw = bytes.fromhex(self._public_hex)
        return {
            "kty": "EC",
            "crv": "SM2",
            "x": b64url(raw[:32]),
            "y": b64url(raw[32:]),
            "kid": self.key_id,
            "alg": self.algorithm,
            "use": "sig",
        }


def verify_sm2_jwk(jwk: dict[str, str], data: bytes, signature: bytes) -> bool:
    public_hex = (b64url_decode(jwk["x"]) + b64url_decode(jwk["y"])).hex()
    curve = _gm.CryptSM2(private_key="", public_key=public_hex)
    if len(signature) != 64:
        return False
    return bool(curve.verify_with_sm3(signature.hex(), data))
