"""The hash chain: canonical form of a record, its hash, and verification of a whole chain.

hash(record) = H(prev_hash || 0x1e || canonical(record)), where canonical joins the fields in a fixed order
with 0x1f and writes a missing value as 0x1d. H is SHA-256 (default) or SM3. The first record's prev_hash is
64 zeros. Anything changed, removed, inserted or reordered breaks the chain at the first record affected.

Field values never contain C0 control characters (``clean_text`` replaces them when a record is built), so
the separators are unambiguous, and the same bytes can be produced by SQL string concatenation: that is
what lets PostgreSQL verify the chain inside the database (see :func:`sql_canonical`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes

GENESIS = "0" * 64

#: Column order of the canonical form. Changing it invalidates every existing chain: don't.
FIELDS = (
    "seq",
    "ts_us",
    "actor_kind",
    "actor_id",
    "actor_org_id",
    "on_behalf_of",
    "action",
    "object_type",
    "object_id",
    "object_org_id",
    "subject_ref",
    "purpose",
    "outcome",
    "request_id",
    "detail",
)
#: Columns a verifier reads, in this order: the hashed fields, then prev_hash and hash.
VERIFY_COLUMNS = (*FIELDS, "prev_hash", "hash")


def _sm3_hexdigest(data: bytes) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def _sha256_hexdigest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hasher(alg: str) -> Callable[[bytes], str]:
    if alg == "sha256":
        return _sha256_hexdigest
    if alg == "sm3":
        return _sm3_hexdigest
    raise ValueError(f"unknown audit hash algorithm {alg!r}")


NULL_MARK = "\x1d"
_CONTROL = re.compile("[\x00-\x1f]")


def clean_text(value: str | None) -> str | None:
    """Replace C0 control characters (they are the canonical form's separators) with U+FFFD."""
    if value is None or not _CONTROL.search(value):
        return value
    return _CONTROL.sub("\ufffd", value)


def canonical(values: Iterable[object]) -> bytes:
    return "\x1f".join(NULL_MARK if v is None else str(v) for v in values).encode()


def sql_canonical(chr_fn: str = "chr") -> str:
    """The canonical form as a SQL expression (integers cast to text print the same as Python's ``str``)."""
    return f" || {chr_fn}(31) || ".join(f"COALESCE(CAST({f} AS TEXT), {chr_fn}(29))" for f in FIELDS)


def record_hash(digest: Callable[[bytes], str], prev_hash: str, values: Iterable[object]) -> str:
    return digest(prev_hash.encode() + b"\x1e" + canonical(values))


@dataclass(frozen=True, slots=True)
class ChainFault:
    seq: int
    kind: str  # changed | removed | inserted_or_reordered | truncated | checkpoint_mismatch | bad_signature
    message: str


@dataclass(slots=True)
class ChainCheck:
    """Running verification over rows in seq order; feed it with :meth:`feed`, then read ``fault``."""

    digest: Callable[[bytes], str]
    expected_seq: int = 1
    prev_hash: str = GENESIS
    count: int = 0
    fault: ChainFault | None = None

    def feed(self, rows: Iterable[tuple]) -> bool:
        """Check rows (columns as :data:`VERIFY_COLUMNS`); False once a fault is found."""
        if self.fault is not None:
            return False
        digest = self.digest
        expected = self.expected_seq
        prev = self.prev_hash
        n = 0
        for row in rows:
            seq = row[0]
            if seq != expected:
                if seq > expected:
                    self.fault = ChainFault(expected, "removed", f"record {expected} is missing")
                else:
                    self.fault = ChainFault(seq, "inserted_or_reordered", f"record {seq} is out of order")
                break
            stored_prev, stored_hash = row[15], row[16]
            if stored_prev != prev:
                self.fault = ChainFault(seq, "inserted_or_reordered", f"record {seq} does not link to record {seq - 1}")
                break
            if digest(prev.encode() + b"\x1e" + canonical(row[:15])) != stored_hash:
                self.fault = ChainFault(seq, "changed", f"record {seq} was changed")
                break
            prev = stored_hash
            expected += 1
            n += 1
        self.expected_seq = expected
        self.prev_hash = prev
        self.count += n
        return self.fault is None
