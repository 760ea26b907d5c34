"""Signers and the platform key store.

A :class:`Signer` signs bytes and publishes its public key as a JWK, so that a receiver can check a
signature offline with what ``/api/v1/keys`` returned. Ed25519 (``cryptography``) is the default;
an SM2 signer will implement the same protocol.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer(Protocol):
    key_id: str
    algorithm: str

    def sign(self, data: bytes) -> bytes: ...

    def public_jwk(self) -> dict[str, str]: ...


class Ed25519Signer:
    algorithm = "EdDSA"

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self._public_raw = raw
        self.key_id = "ed25519-" + hashlib.sha256(raw).hexdigest()[:16]

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def public_jwk(self) -> dict[str, str]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url(self._public_raw),
            "kid": self.key_id,
            "alg": self.algorithm,
            "use": "sig",
        }


def verify_jwk(jwk: dict[str, str], data: bytes, signature: bytes) -> bool:
    """Check ``signature`` over ``data`` with a public JWK as published at ``/api/v1/keys``."""
    if jwk.get("kty") == "EC" and jwk.get("crv") == "SM2":
        from govshare.crypto.sm2 import verify_sm2_jwk

        return verify_sm2_jwk(jwk, data, signature)
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        public = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
        try:
            public.verify(signature, data)
        except InvalidSignature:
            return False
        return True
    raise ValueError(f"unsupported key type: {jwk.get('kty')}/{jwk.get('crv')}")


def _create_exclusive(path: Path, content: bytes) -> bool:
    """Write ``content`` to a new file readable by the owner only; False if it already exists.

    O_EXCL makes two processes starting at once agree on one key instead of overwriting each other.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    return True


class KeyStore:
    """The platform's keys under ``{data_dir}/keys``: created on first start, then reused."""

    SIGNING_KEY = "platform-ed25519.pem"
    SM2_KEY = "platform-sm2.hex"
    SUBJECT_PEPPER = "subject-pepper.bin"
    DATA_KEY = "data-key.bin"

    def __init__(self, keys_dir: Path) -> None:
        self.dir = Path(keys_dir)
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.signer = self._load_signer()
        self.subject_pepper = self._load_or_create(self.SUBJECT_PEPPER, lambda: os.urandom(32))
        self._sm2: Signer | None = None
        self._data_key: bytes | None = None

    def seal_secret(self, plaintext: str, *, context: bytes = b"") -> str:
        """Encrypt a stored secret (a provider's password or token) with AES-256-GCM under the data key."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        return b64url(nonce + AESGCM(self._key()).encrypt(nonce, plaintext.encode(), context))

    def open_secret(self, sealed: str, *, context: bytes = b"") -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        raw = b64url_decode(sealed)
        return AESGCM(self._key()).decrypt(raw[:12], raw[12:], context).decode()

    def _key(self) -> bytes:
        if self._data_key is None:
            self._data_key = self._load_or_create(self.DATA_KEY, lambda: os.urandom(32))
        return self._data_key

    @property
    def sm2_signer(self) -> Signer:
        """The platform's SM2 key (national crypto), created on first use."""
        if self._sm2 is None:
            from govshare.crypto.sm2 import SM2Signer

            hex_key = self._load_or_create(self.SM2_KEY, lambda: SM2Signer().private_key_hex.encode())
            self._sm2 = SM2Signer(hex_key.decode().strip())
        return self._sm2

    def signer_for(self, algorithm: str) -> Signer:
        if algorithm in ("EdDSA", "ed25519"):
            return self.signer
        if algorithm in ("SM2-SM3", "sm2"):
            return self.sm2_signer
        raise ValueError(f"unknown signature algorithm {algorithm!r}")

    def _load_or_create(self, name: str, make) -> bytes:  # noqa: ANN001
        path = self.dir / name
        if not path.exists():
            _create_exclusive(path, make())
        data = path.read_bytes()
        if not data:
            raise RuntimeError(f"key file {path} is empty")
        return data

    def _load_signer(self) -> Ed25519Signer:
        def make() -> bytes:
            return Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )

        pem = self._load_or_create(self.SIGNING_KEY, make)
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError(f"{self.SIGNING_KEY} is not an Ed25519 key")
        return Ed25519Signer(key)

    def public_jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.signer.public_jwk(), self.sm2_signer.public_jwk()]}

    def find_jwk(self, key_id: str) -> dict[str, str] | None:
        return next((k for k in self.public_jwks()["keys"] if k["kid"] == key_id), None)
