"""我的数据使用记录: a person signs in with ID number, name and a one-time code, and sees every access to
their records in the audit log.

* **Identity.** :func:`check_identity` checks the name against the population library (人口基础库). The code
  (6 digits, 5 minutes, 5 tries) is "sent" by writing it to the server log (``citizen_otp``, a warning) — the
  demo's SMS gateway. Only an ID number that passed the name check gets a code.
* **Rate limits** (server-side, in the database): per ID number and per client address, sign-in attempts and
  wrong codes count against a sliding window; over the limit the page answers 429 with the wait. Every attempt
  (passed, refused, limited) is audited as ``citizen.signin`` with the person as subject.
* **Sessions** are server-side too: the ``govshare_citizen`` cookie (HttpOnly, SameSite=Strict, path /me)
  carries a random token; the ID number stays on the server. 30 minutes, no renewal.
* **Records.** :func:`records_for` reads the audit log through :func:`govshare.audit.service.search`, as the
  platform (the only reader allowed to search by subject across departments), filtered to the signed-in
  person's subject reference — the log holds only a keyed hash of the ID number.

Codes, sessions and counters live in the tables of :mod:`govshare.web.models` (migration 0007w), so several
worker processes share them and a restart signs nobody out. The cookies carry random tokens; the tables hold
their SHA-256, the codes as HMAC keyed with the pending token, and the counters' keys as keyed hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from govshare.audit import service as audit_service
from govshare.db import utcnow
from govshare.errors import Problem
from govshare.identity.principal import PLATFORM, Principal
from govshare.runtime import Runtime
from govshare.standards.identifiers import is_valid_id_number
from govshare.web.models import CitizenSignin, CitizenSigninAttempt

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
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _code_hash(token: str, code: str) -> str:
    """The code keyed with the pending token (only in the person's cookie): the table alone does not reveal it."""
    return hmac.new(token.encode(), code.encode(), hashlib.sha256).hexdigest()


class RateLimiter:
    """Sliding-window counters in ``citizen_signin_attempt``: ``hit(key)`` records an attempt; ``blocked(key)`` is
    the seconds to wait. Keys are stored as a keyed hash (the audit log's subject reference), never in clear."""

    def __init__(self, runtime: Runtime, scope: str, limit: int, window: float = WINDOW) -> None:
        self.runtime, self.scope, self.limit, self.window = runtime, scope, limit, window

    def _key(self, key: str) -> str:
        return self.runtime.audit.subject_ref(f"{self.scope}:{key}")

    def blocked(self, key: str) -> int:
        now = utcnow()
        since = now - timedelta(seconds=self.window)
        with self.runtime.db.read() as s:
            hits = list(
                s.scalars(
                    select(CitizenSigninAttempt.at)
                    .where(
                        CitizenSigninAttempt.scope == self.scope,
                        CitizenSigninAttempt.key_hash == self._key(key),
                        CitizenSigninAttempt.at > since,
                    )
                    .order_by(CitizenSigninAttempt.at.desc())
                    .limit(self.limit)
                )
            )
        if len(hits) < self.limit:
            return 0
        oldest_counted = hits[-1]
        return max(1, int((oldest_counted + timedelta(seconds=self.window) - now).total_seconds()) + 1)

    def hit(self, key: str) -> None:
        now = utcnow()
        with self.runtime.db.write() as s:
            s.add(CitizenSigninAttempt(scope=self.scope, key_hash=self._key(key), at=now))


@dataclass
class Pending:
    id_number: str
    name: str
    expires: datetime
    tries: int = 0


@dataclass
class CitizenSession:
    id_number: str
    name: str
    expires: datetime
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def masked_id(self) -> str:
        return self.id_number[:6] + "*" * 8 + self.id_number[-4:]


class CitizenStore:
    """Codes, sessions and counters in the database, so every worker process sees the same state.

    Cheap to construct (it holds the runtime only): ``store(runtime)`` gives one per request.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.per_id = RateLimiter(runtime, "id", MAX_PER_ID)
        self.per_ip = RateLimiter(runtime, "ip", MAX_PER_IP)

    def _gc(self, s: Session, now: datetime) -> None:
        s.execute(delete(CitizenSignin).where(CitizenSignin.expires_at <= now))
        s.execute(delete(CitizenSigninAttempt).where(CitizenSigninAttempt.at <= now - timedelta(seconds=WINDOW)))

    def start(self, id_number: str, name: str) -> tuple[str, str]:
        """A new one-time code for a person who passed the name check: (pending token, code)."""
        code = f"{secrets.randbelow(10**6):06d}"
        token = secrets.token_urlsafe(24)
        now = utcnow()
        with self.runtime.db.write() as s:
            self._gc(s, now)
            s.add(
                CitizenSignin(
                    token_hash=_token_hash(token),
                    kind="code",
                    id_number=id_number,
                    name=name,
                    code_hash=_code_hash(token, code),
                    tries=0,
                    expires_at=now + timedelta(seconds=OTP_TTL),
                    created_at=now,
                )
            )
        return token, code

    def _row(self, s: Session, token: str | None, kind: str) -> CitizenSignin | None:
        if not token:
            return None
        row = s.get(CitizenSignin, _token_hash(token))
        if row is None or row.kind != kind or row.expires_at <= utcnow():
            return None
        return row

    def pending(self, token: str | None) -> Pending | None:
        with self.runtime.db.read() as s:
            row = self._row(s, token, "code")
            return Pending(row.id_number, row.name, row.expires_at, row.tries) if row else None

    def verify(self, token: str, code: str) -> tuple[CitizenSession | None, Pending | None]:
        """(session, pending): a session when the code is right; the pending state otherwise (None once spent)."""
        key = _token_hash(token) if token else ""
        with self.runtime.db.write() as s:
            row = self._row(s, token, "code")
            if row is None:
                return None, None
            pending = Pending(row.id_number, row.name, row.expires_at, row.tries)
            if row.code_hash and hmac.compare_digest(row.code_hash, _code_hash(token, code.strip())):
                # single use: only the request that deletes the row signs in
                gone = s.execute(delete(CitizenSignin).where(CitizenSignin.token_hash == key)).rowcount
                if gone != 1:
                    return None, None
                expires = utcnow() + timedelta(seconds=SESSION_TTL)
                return CitizenSession(pending.id_number, pending.name, expires), pending
            s.execute(
                update(CitizenSignin).where(CitizenSignin.token_hash == key).values(tries=CitizenSignin.tries + 1)
            )
            pending.tries += 1
            if pending.tries >= OTP_TRIES:
                s.execute(delete(CitizenSignin).where(CitizenSignin.token_hash == key))
                return None, None
            return None, pending

    def open_session(self, session: CitizenSession) -> str:
        token = secrets.token_urlsafe(32)
        with self.runtime.db.write() as s:
            s.add(
                CitizenSignin(
                    token_hash=_token_hash(token),
                    kind="session",
                    id_number=session.id_number,
                    name=session.name,
                    csrf=session.csrf,
                    tries=0,
                    expires_at=session.expires,
                    created_at=utcnow(),
                )
            )
        return token

    def session(self, token: str | None) -> CitizenSession | None:
        with self.runtime.db.read() as s:
            row = self._row(s, token, "session")
            return CitizenSession(row.id_number, row.name, row.expires_at, row.csrf or "") if row else None

    def close(self, token: str | None) -> None:
        if token:
            with self.runtime.db.write() as s:
                s.execute(delete(CitizenSignin).where(CitizenSignin.token_hash == _token_hash(token)))

    def reset(self) -> None:
        """Forget every code, session and counter (tests; an operator clearing a lock-out)."""
        with self.runtime.db.write() as s:
            s.execute(delete(CitizenSignin))
            s.execute(delete(CitizenSigninAttempt))


def store(runtime: Runtime) -> CitizenStore:
    return CitizenStore(runtime)


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
