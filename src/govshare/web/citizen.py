"""我的数据使用记录: a person signs in with ID number, name and a one-time code, and sees every access to
their records in the audit log.

* **Identity.** :func:`check_identity` checks the name against the population library (人口基础库). The code
  (6 digits, 5 minutes, 5 tries) is "sent" by writing it to the server log (``citizen_otp``, a warning) — the
  demo's SMS gateway. Only an ID number that passed the name check gets a code.
* **Rate limits** (server-side, per process): per ID number and per client address, sign-in attempts and
  wrong codes count against a sliding window; over the limit the page answers 429 with the wait. Every attempt
  (passed, refused, limited) is audited as ``citizen.signin`` with the person as subject.
* **Sessions** are server-side too: the ``govshare_citizen`` cookie (HttpOnly, SameSite=Strict, path /me)
  carries a random token; the ID number stays on the server. 30 minutes, no renewal.
* **Records.** :func:`records_for` reads the audit log through :func:`govshare.audit.service.search`, as the
  platform (the only reader allowed to search by subject across departments), filtered to the signed-in
  person's subject reference — the log holds only a keyed hash of the ID number.

The stores are in memory: a restart signs everyone out and resets the counters, and several worker processes
would each count separately (see ``docs/web.md``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.orm import Session

from govshare.audit import service as audit_service
from govshare.errors import Problem
from govshare.identity.principal import PLATFORM, Principal
from govshare.runtime import Runtime
from govshare.standards.identifiers import is_valid_id_number

log = structlog.get_logger("govshare.web.citizen")

#: The population library's resource (人口基础信息, 公安局) whose records hold the name of each ID number.
PERSON_RESOURCE_CODE = "101001/000001"
OTP_TTL = 300.0
OTP_TRIES = 5
SESSION_TTL = 1800.0
WINDOW = 900.0  # 15 minutes
MAX_PER_ID = 5  # sign-in attempts (and wrong codes) per ID number and window
MAX_PER_IP = 20  # per client address and window
#: Audit actions that are not a use of the person's data (their own sign-ins) and are not listed.
OWN_ACTIONS = ("citizen.",)


# ---- identity ------------------------------------------------------------------------------------------
IdentityCheck = Callable[[Session, str, str], bool]
_identity_override: IdentityCheck | None = None


def set_identity_check(fn: IdentityCheck | None) -> None:
    """Tests (and a deployment with another identity source) replace the check; ``None`` restores it."""
    global _identity_override
    _identity_override = fn


def check_identity(session: Session, id_number: str, name: str) -> bool:
    """Does ``name`` belong to ``id_number`` in the population library (人口基础库)?

    Reads the person's current record through the library's hub adapter, which does not audit: the sign-in
    attempt itself is audited (``citizen.signin``) with the person as subject.
    """
    if _identity_override is not None:
        return _identity_override(session, id_number, name)
    from govshare.library.hub import LibraryHubSource
    from govshare.runtime import runtime_of

    try:
        adapter = LibraryHubSource(runtime_of(session).db).adapter_for(session, PERSON_RESOURCE_CODE)
        if adapter is None:
            return False
        rows = adapter.fetch("id_number", [id_number], ["name"])
    except Problem:
        return False
    row = rows.get(id_number)
    stored = str(row.values.get("name") or "").strip() if row else ""
    return bool(stored) and hmac.compare_digest(stored.encode(), name.strip().encode())


# ---- counters, codes and sessions -----------------------------------------------------------------------
class RateLimiter:
    """Sliding-window counters: ``hit(key)`` records an attempt; ``blocked(key)`` is the seconds to wait."""

    def __init__(self, limit: int, window: float = WINDOW) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        q = self._hits.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, key: str) -> int:
        now = time.monotonic()
        with self._lock:
            q = self._trim(key, now)
            if len(q) < self.limit:
                return 0
            return max(1, int(q[0] + self.window - now) + 1)

    def hit(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._trim(key, now).append(now)
            if len(self._hits) > 100_000:  # bound memory under a flood of distinct keys
                for k in [k for k, v in self._hits.items() if not v][:50_000]:
                    del self._hits[k]

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


@dataclass
class _Pending:
    id_number: str
    name: str
    code_hash: str
    expires: float
    tries: int = 0


@dataclass
class CitizenSession:
    id_number: str
    name: str
    expires: float
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def masked_id(self) -> str:
        return self.id_number[:6] + "*" * 8 + self.id_number[-4:]


class CitizenStore:
    def __init__(self) -> None:
        self.per_id = RateLimiter(MAX_PER_ID)
        self.per_ip = RateLimiter(MAX_PER_IP)
        self._pending: dict[str, _Pending] = {}
        self._sessions: dict[str, CitizenSession] = {}
        self._lock = threading.Lock()

    def _gc(self, now: float) -> None:
        for table in (self._pending, self._sessions):
            for k in [k for k, v in table.items() if v.expires <= now]:
                del table[k]

    def start(self, id_number: str, name: str) -> tuple[str, str]:
        """A new one-time code for a person who passed the name check: (pending token, code)."""
        code = f"{secrets.randbelow(10**6):06d}"
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._gc(now)
            self._pending[token] = _Pending(id_number, name, _hash(code), now + OTP_TTL)
        return token, code

    def pending(self, token: str | None) -> _Pending | None:
        if not token:
            return None
        with self._lock:
            p = self._pending.get(token)
            return p if p is not None and p.expires > time.monotonic() else None

    def verify(self, token: str, code: str) -> tuple[CitizenSession | None, _Pending | None]:
        """(session, pending): a session when the code is right; the pending state otherwise (None once spent)."""
        now = time.monotonic()
        with self._lock:
            p = self._pending.get(token)
            if p is None or p.expires <= now:
                return None, None
            if hmac.compare_digest(p.code_hash, _hash(code.strip())):
                del self._pending[token]
                session = CitizenSession(p.id_number, p.name, now + SESSION_TTL)
                return session, p
            p.tries += 1
            if p.tries >= OTP_TRIES:
                del self._pending[token]
            return None, p

    def open_session(self, session: CitizenSession) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[token] = session
        return token

    def session(self, token: str | None) -> CitizenSession | None:
        if not token:
            return None
        with self._lock:
            s = self._sessions.get(token)
            if s is None or s.expires <= time.monotonic():
                self._sessions.pop(token, None)
                return None
            return s

    def close(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._sessions.pop(token, None)

    def reset(self) -> None:
        with self._lock:
            self._pending.clear()
            self._sessions.clear()
        self.per_id.reset()
        self.per_ip.reset()


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


store = CitizenStore()


def valid_id_number(value: str) -> bool:
    return is_valid_id_number(value)


def send_code(id_number: str, code: str) -> None:
    """The demo's delivery channel: the server log (a real deployment sends an SMS to the registered phone)."""
    log.warning("citizen_otp", id_number=id_number[:6] + "********" + id_number[-4:], code=code)


def audit_signin(runtime: Runtime, id_number: str | None, outcome: str, step: str, reason: str, ip: str) -> None:
    """``citizen.signin`` with the person as subject (only for a well-formed ID number) and the client address."""
    runtime.audit.append(
        actor=Principal(kind="public", id="citizen", org_id=None, name="citizen"),
        action="citizen.signin",
        outcome=outcome,
        subject=id_number or None,
        detail={"step": step, "reason": reason, "ip": ip},
    )


# ---- the records ------------------------------------------------------------------------------------------
@dataclass
class AccessRecord:
    seq: int
    ts_us: int
    action: str
    outcome: str
    consumer_org_id: str | None
    system_id: str | None
    actor_kind: str
    on_behalf_of: str | None
    resource_code: str | None
    provider_org_id: str | None
    purpose: str | None
    case_ref: str | None
    items_clear: list[str]
    items_masked: list[str]


def records_for(session: Session, runtime: Runtime, id_number: str, *, limit: int = 200) -> list[AccessRecord]:
    """Every use of the person's data in the audit log, newest first (their own sign-ins left out)."""
    rows, _next = audit_service.search(session, actor=PLATFORM, audit=runtime.audit, subject=id_number, limit=limit)
    out = []
    for r in rows:
        if r.action.startswith(OWN_ACTIONS):
            continue
        detail: dict[str, Any] = {}
        if r.detail:
            try:
                detail = json.loads(r.detail)
            except ValueError:
                detail = {}
        is_resource = r.object_type == "resource" or r.action == "exchange.query"
        out.append(
            AccessRecord(
                seq=r.seq,
                ts_us=r.ts_us,
                action=r.action,
                outcome=r.outcome,
                consumer_org_id=r.actor_org_id,
                system_id=r.actor_id if r.actor_kind == "system" else None,
                actor_kind=r.actor_kind,
                on_behalf_of=r.on_behalf_of,
                resource_code=r.object_id if is_resource else None,
                provider_org_id=r.object_org_id,
                purpose=r.purpose,
                case_ref=detail.get("case_ref") or (r.object_id if r.object_type == "case" else None),
                items_clear=[str(i) for i in detail.get("items_clear", []) or []],
                items_masked=[str(i) for i in detail.get("items_masked", []) or []],
            )
        )
    return out


def record_for(session: Session, runtime: Runtime, id_number: str, seq: int) -> AccessRecord | None:
    """One of the person's records (an objection names it); None if it is not theirs."""
    return next((r for r in records_for(session, runtime, id_number, limit=500) if r.seq == seq), None)
