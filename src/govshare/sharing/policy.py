"""The policy decision (共享策略判定): may system S of organization O, acting for user U, with purpose P (and case C
where required), see items I of resource R about subject K?

Three layers, from pure to stateful:

* :func:`evaluate` — a pure function of the query, the resource's catalog facts and the system's grants for that
  resource at an instant. It is the whole rule set; the parametrized decision table tests it row by row.
* :class:`PolicyEngine` — caches the decision inputs (resource facts, grants per system and resource) and memoizes
  decisions, so the hot path is a few dictionary lookups. Every change of an input bumps the *policy epoch*
  (one row, ``sharing_epoch``) in the changing transaction; the engine reads the epoch before deciding (a
  primary-key lookup) and drops everything when it moved. Thus a revocation committed by any process is seen
  by every process on its next call. Expiry needs no epoch: validity is compared with the clock on each call.
* :meth:`PolicyEngine.authorize` — the gateway's entry: decision, case check (a hook the services domain fills
  in), quota (see :mod:`govshare.sharing.quota`); every refusal is appended to the audit log (group commit).

The rules (deny by default):

1. The resource must be in the published catalog; a 不予共享 resource is refused naming its basis.
2. A purpose category is required. Only grants of this system, for this purpose, active (agreement confirmed, not
   revoked) and valid now count. No grant: refused (``use_not_registered`` for unconditional data — every use is
   registered — ``no_grant`` otherwise).
3. A grant that is bound to cases (按办件使用) counts only when the call names a case; the case hook checks it.
4. Per item: 不予共享 and 涉密 items are absent. Items in a grant's clear list come in clear, in its masked list
   masked. Through a *registration* (unconditional use without approval) L3/L4 items come masked: sensitive data
   in clear needs a provider's approval. Items not covered by any grant are masked, or absent when L4.
   Masking uses the item's pattern (``full`` when it has none).
5. If no requested item can be given at all, the call is refused (``items_not_shared``).
6. Quotas are per grant and day; over the limit is 429 with ``Retry-After``.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare.errors import Problem
from govshare.identity.principal import Principal
from govshare.sharing import catalog_port
from govshare.sharing.catalog_port import ResourceInfo
from govshare.sharing.models import Grant, PolicyEpoch
from govshare.sharing.quota import Limit, QuotaLedger
from govshare.sharing.vocab import GrantStatus, PurposeCategory, RequestKind, label

if TYPE_CHECKING:
    from govshare.audit.service import AuditEntry

EPOCH_ID = 1


# ---- values -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PolicyQuery:
    system_id: str
    org_id: str
    resource_code: str
    purpose_category: str | None
    #: Data items asked for (machine names); None means every item of the resource.
    items: tuple[str, ...] | None = None
    purpose: str = ""  # free text, recorded with refusals
    user: str | None = None  # the end user (operator) the system acts for
    case_ref: str | None = None  # 办件编号, for case-bound grants
    subject: str | None = None  # whose data (ID number / USCC); recorded as a keyed hash only

    def __post_init__(self) -> None:
        if self.items is not None and type(self.items) is not tuple:  # a list would not do as a cache key
            object.__setattr__(self, "items", tuple(dict.fromkeys(self.items)))


@dataclass(frozen=True, slots=True)
class GrantInfo:
    """What the decision needs of a grant (validity as Unix seconds: one float comparison per call)."""

    id: str
    kind: str
    org_id: str
    system_id: str
    resource_code: str
    items: frozenset[str]
    masked_items: frozenset[str]
    purpose_category: str
    case_required: bool
    valid_from: float
    valid_until: float
    status: str
    daily_calls: int | None
    daily_records: int | None

    @classmethod
    def of(cls, g: Grant) -> GrantInfo:
        return cls(
            id=g.id,
            kind=g.kind,
            org_id=g.consumer_org_id,
            system_id=g.system_id,
            resource_code=g.resource_code,
            items=frozenset(g.items or ()),
            masked_items=frozenset(g.masked_items or ()),
            purpose_category=g.purpose_category,
            case_required=bool(g.case_required),
            valid_from=g.valid_from.timestamp(),
            valid_until=g.valid_until.timestamp(),
            status=g.status,
            daily_calls=g.daily_calls,
            daily_records=g.daily_records,
        )


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    code: str  # stable reason code
    message_zh: str
    message_en: str
    status: int = 200  # the HTTP status of a refusal
    resource_code: str = ""
    provider_org_id: str | None = None
    resource_version: int | None = None
    clear: tuple[str, ...] = ()
    masked: tuple[tuple[str, str], ...] = ()  # (item, masking pattern)
    absent: tuple[str, ...] = ()
    grant_ids: tuple[str, ...] = ()
    limits: tuple[Limit, ...] = field(default=(), repr=False)
    case_required: bool = False
    case_verified: bool | None = None
    retry_after: int | None = None
    field: str | None = None

    @property
    def masked_map(self) -> dict[str, str]:
        return dict(self.masked)

    def problem(self) -> Problem:
        """The RFC 9457 problem for a refusal (429 carries ``Retry-After``)."""
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after else None
        extra: dict[str, Any] = {"resource_code": self.resource_code}
        if self.grant_ids:
            extra["grant_ids"] = list(self.grant_ids)
        return Problem(
            self.status, self.code, self.message_zh, self.message_en, field=self.field, extra=extra, headers=headers
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "status": self.status,
            "resource_code": self.resource_code,
            "provider_org_id": self.provider_org_id,
            "resource_version": self.resource_version,
            "clear": list(self.clear),
            "masked": dict(self.masked),
            "absent": list(self.absent),
            "grant_ids": list(self.grant_ids),
            "case_required": self.case_required,
            "case_verified": self.case_verified,
            "retry_after": self.retry_after,
        }


def deny(
    code: str, zh: str, en: str, status: int = 403, *, res: ResourceInfo | None = None, code_of: str = "", **kw: Any
) -> Decision:
    return Decision(
        False,
        code,
        zh,
        en,
        status,
        resource_code=res.code if res else code_of,
        provider_org_id=res.provider_org_id if res else None,
        resource_version=res.version if res else None,
        **kw,
    )


# ---- the rules --------------------------------------------------------------------------------------
_STATE_REASONS = {
    "expired": ("grant_expired", "授权已过期", "the grant has expired"),
    "not_yet": ("grant_not_yet_valid", "授权尚未生效", "the grant is not valid yet"),
    "revoked": ("grant_revoked", "授权已撤销", "the grant has been revoked"),
    "pending": ("agreement_not_confirmed", "共享协议尚未经双方确认", "the sharing agreement is not confirmed yet"),
}
_STATE_ORDER = ("expired", "not_yet", "revoked", "pending")

FOREVER = float("inf")


def _state(g: GrantInfo, now: float) -> str:
    if g.status == GrantStatus.revoked:
        return "revoked"
    if g.status != GrantStatus.active:
        return "pending"
    if now < g.valid_from:
        return "not_yet"
    if now >= g.valid_until:
        return "expired"
    return "active"


def evaluate(
    q: PolicyQuery, res: ResourceInfo | None, grants: Sequence[GrantInfo], now: float
) -> tuple[Decision, float, float]:
    """The decision, and the time window ``[from, until)`` in which the same inputs give the same decision."""
    if res is None or not res.listed:
        return (
            deny(
                "resource_not_found",
                f"目录中没有已发布的资源 {q.resource_code}",
                f"no published catalog resource {q.resource_code}",
                404,
                code_of=q.resource_code,
            ),
            -FOREVER,
            FOREVER,
        )
    if q.items is None:
        names = tuple(i.machine_name for i in res.items)
    else:
        unknown = [n for n in q.items if res.item(n) is None]
        if unknown:
            return (
                deny(
                    "item_unknown",
                    f"资源 {res.code} 没有信息项: {', '.join(unknown)}",
                    f"resource {res.code} has no item(s): {', '.join(unknown)}",
                    422,
                    res=res,
                    field="items",
                ),
                -FOREVER,
                FOREVER,
            )
        names = q.items
    if res.share_type in (None, "none"):
        basis = res.share_basis or res.share_condition or "未说明"
        return (
            deny(
                "share_type_none",
                f"资源 {res.code} 为不予共享, 依据: {basis}",
                f"resource {res.code} is not shared (不予共享); basis: {basis}",
                403,
                res=res,
            ),
            -FOREVER,
            FOREVER,
        )
    if not q.purpose_category:
        return (
            deny(
                "purpose_required",
                "必须说明用途类别",
                "a purpose category is required",
                422,
                res=res,
                field="purpose_category",
            ),
            -FOREVER,
            FOREVER,
        )

    # Which of this system's grants count now, and until when that stays so.
    lo, hi = -FOREVER, FOREVER
    usable: list[GrantInfo] = []
    same_purpose_states: set[str] = set()
    other_purpose_active = False
    for g in grants:
        if g.system_id != q.system_id or g.org_id != q.org_id or g.resource_code != res.code:
            continue  # defensive: a cache must never hand one system another's grant
        if g.status == GrantStatus.active:
            for t in (g.valid_from, g.valid_until):
                if t <= now:
                    lo = max(lo, t)
                else:
                    hi = min(hi, t)
        state = _state(g, now)
        if g.purpose_category != q.purpose_category:
            other_purpose_active = other_purpose_active or state == "active"
            continue
        if state == "active":
            usable.append(g)
        else:
            same_purpose_states.add(state)
    if not usable:
        if same_purpose_states:
            state = next(s for s in _STATE_ORDER if s in same_purpose_states)
            code, zh, en = _STATE_REASONS[state]
            return deny(code, zh, en, 403, res=res), lo, hi
        if other_purpose_active:
            return (
                deny(
                    "purpose_not_granted",
                    f"授权不包含该用途: {label(PurposeCategory, q.purpose_category)}",
                    f"no grant for purpose {q.purpose_category}",
                    403,
                    res=res,
                    field="purpose_category",
                ),
                lo,
                hi,
            )
        if all(res.by_name[n].share_type == "unconditional" for n in names):
            return (
                deny(
                    "use_not_registered",
                    "无条件共享资源也须先登记使用(说明用途)后调用",
                    "register the use (with its purpose) before using unconditionally shared data",
                    403,
                    res=res,
                ),
                lo,
                hi,
            )
        return (
            deny(
                "no_grant",
                "有条件共享资源须经提供部门同意后使用, 请先提交共享申请",
                "conditionally shared data needs the provider's approval: file an access request first",
                403,
                res=res,
            ),
            lo,
            hi,
        )
    if q.case_ref is None:
        with_case = [g for g in usable if g.case_required]
        usable = [g for g in usable if not g.case_required]
        if not usable:
            return (
                deny(
                    "case_required",
                    "该授权限于办件使用, 请提供办件编号",
                    "this grant is bound to cases: give the case reference",
                    403,
                    res=res,
                    field="case_ref",
                    grant_ids=tuple(g.id for g in with_case),
                ),
                lo,
                hi,
            )

    clear: list[str] = []
    masked: list[tuple[str, str]] = []
    absent: list[str] = []
    for name in names:
        item = res.by_name[name]
        if item.share_type == "none" or item.is_secret:
            absent.append(name)
            continue
        level = item.level
        pattern = item.masking if item.masking not in (None, "none") else "full"
        treatment = None
        for g in usable:
            if name in g.items:
                t = "masked" if g.kind == RequestKind.registration and level >= 3 else "clear"
            elif name in g.masked_items:
                t = "masked"
            else:
                continue
            if t == "clear":
                treatment = "clear"
                break
            treatment = "masked"
        if treatment is None:
            treatment = "absent" if level >= 4 else "masked"
        if treatment == "clear":
            clear.append(name)
        elif treatment == "masked":
            masked.append((name, pattern))
        else:
            absent.append(name)
    if not clear and not masked:
        return (
            deny(
                "items_not_shared",
                "所请求的信息项均不能提供",
                "none of the requested items can be given",
                403,
                res=res,
                field="items",
                absent=tuple(absent),
            ),
            lo,
            hi,
        )
    decision = Decision(
        True,
        "allowed",
        "允许",
        "allowed",
        200,
        resource_code=res.code,
        provider_org_id=res.provider_org_id,
        resource_version=res.version,
        clear=tuple(clear),
        masked=tuple(masked),
        absent=tuple(absent),
        grant_ids=tuple(g.id for g in usable),
        limits=tuple(
            Limit(g.id, g.daily_calls, g.daily_records)
            for g in usable
            if g.daily_calls is not None or g.daily_records is not None
        ),
        case_required=any(g.case_required for g in usable),
    )
    return decision, lo, hi


# ---- the case hook ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CaseCheck:
    case_ref: str
    org_id: str
    system_id: str
    user: str | None
    subject: str | None
    resource_code: str
    purpose_category: str | None


@dataclass(frozen=True, slots=True)
class CaseVerdict:
    ok: bool
    verified: bool  # False: accepted as declared, nobody could check it
    code: str = ""
    message_zh: str = ""
    message_en: str = ""


CaseValidator = Callable[[Session | None, CaseCheck], CaseVerdict]


def declared_case(session: Session | None, check: CaseCheck) -> CaseVerdict:
    """Until the services domain registers its validator: a well-formed case reference is accepted as declared
    (``verified`` False, recorded so) — the audit trail still ties every case-bound call to a case number."""
    ref = check.case_ref.strip()
    if not ref or len(ref) > 64 or any(ord(c) < 32 for c in ref):
        return CaseVerdict(False, False, "case_invalid", "办件编号无效", "invalid case reference")
    return CaseVerdict(True, False)


_case_validator: CaseValidator = declared_case


def set_case_validator(validator: CaseValidator | None) -> None:
    """The services domain registers the function that checks "an open case whose applicant is the subject"."""
    global _case_validator
    _case_validator = validator or declared_case


# ---- epoch --------------------------------------------------------------------------------------------
_EPOCH_SELECT = select(PolicyEpoch.value).where(PolicyEpoch.id == EPOCH_ID)
_engines: weakref.WeakSet[PolicyEngine] = weakref.WeakSet()


def read_epoch(session: Session) -> int:
    return session.execute(_EPOCH_SELECT).scalar() or 0


def notify_local_change() -> None:
    """Called after a commit that bumped the epoch: engines of this process drop their caches at once."""
    for engine in list(_engines):
        engine.mark_stale()


# ---- the engine ---------------------------------------------------------------------------------------
class _Cache:
    """One generation of cached decision inputs and decisions; replaced whole when the epoch moves."""

    __slots__ = ("resources", "grants", "memo")

    def __init__(self) -> None:
        self.resources: dict[str, tuple[ResourceInfo | None, float]] = {}
        self.grants: dict[tuple[str, str], tuple[tuple[GrantInfo, ...], float]] = {}
        #: (system, org, resource, purpose, items, has case) → (decision, valid from, valid until, fresh until)
        self.memo: dict[tuple, tuple[Decision, float, float, float]] = {}


class PolicyEngine:
    """Cached decisions for one process. Create one per runtime (:func:`engine_for`)."""

    def __init__(
        self,
        runtime,  # noqa: ANN001 — govshare.runtime.Runtime (db + audit)
        *,
        epoch_check_interval: float = 0.0,
        max_age: float = 60.0,
        memo_max: int = 200_000,
        quota: QuotaLedger | None = None,
    ) -> None:
        self.runtime = runtime
        self.db = runtime.db
        #: 0: read the epoch before every decision (a revocation is seen on the very next call). A positive value
        #: reads it at most that often — a trade of staleness for throughput, never needed within one process
        #: because local changes mark the cache stale directly.
        self.epoch_check_interval = epoch_check_interval
        #: Safety net: cached inputs are reloaded after this many seconds even if the epoch did not move
        #: (a change made outside the services, e.g. by hand in the store).
        self.max_age = max_age
        self.memo_max = memo_max
        self.quota = quota or QuotaLedger(self.db)
        self._epoch: int | None = None
        self._epoch_checked = 0.0
        self._stale = True
        self._cache = _Cache()
        _engines.add(self)

    # ---- cache control ----------------------------------------------------------------------------
    def mark_stale(self) -> None:
        self._stale = True

    def clear(self) -> None:
        # A new cache object rather than emptying the old one: a thread that loaded inputs before the change
        # committed writes them into the cache it started with, which nobody reads any more.
        self._cache = _Cache()
        self.quota.forget_exhaustion()

    def sync(self, session: Session | None = None) -> int | None:
        """Read the policy epoch; drop every cached input if it moved. Returns the epoch."""
        mono = time.monotonic()
        if not self._stale and self.epoch_check_interval and mono - self._epoch_checked < self.epoch_check_interval:
            return self._epoch
        with self._session(session) as s:
            value = read_epoch(s)
        self.observe_epoch(value)
        return value

    def observe_epoch(self, value: int) -> None:
        """Take an epoch value the caller read itself (e.g. in the same round trip as its API-key lookup:
        ``(SELECT value FROM sharing_epoch WHERE id = 1)``) and then decide with ``sync=False``."""
        if value != self._epoch or self._stale:
            self.clear()
            self._epoch = value
            self._stale = False
        self._epoch_checked = time.monotonic()

    def _session(self, session: Session | None):  # noqa: ANN202
        return nullcontext(session) if session is not None else self.db.read()

    # ---- loading ----------------------------------------------------------------------------------
    def resource(self, code: str, *, session: Session | None = None) -> ResourceInfo:
        """The cached catalog facts of a published resource (what the gateway needs besides the decision)."""
        info = self._resource(self._cache, code, session, time.monotonic())
        if info is None:
            raise Problem(404, "resource_not_found", f"资源不存在: {code}", f"resource not found: {code}")
        return info

    def _resource(self, cache: _Cache, code: str, session: Session | None, mono: float) -> ResourceInfo | None:
        hit = cache.resources.get(code)
        if hit is not None and mono - hit[1] < self.max_age:
            return hit[0]
        with self._session(session) as s:
            info = catalog_port.resource_by_code(s, code)
        cache.resources[code] = (info, mono)
        return info

    def _grants_for(
        self, cache: _Cache, system_id: str, code: str, session: Session | None, mono: float
    ) -> tuple[GrantInfo, ...]:
        hit = cache.grants.get((system_id, code))
        if hit is not None and mono - hit[1] < self.max_age:
            return hit[0]
        with self._session(session) as s:
            rows = s.scalars(select(Grant).where(Grant.system_id == system_id, Grant.resource_code == code))
            grants = tuple(GrantInfo.of(g) for g in rows)
        cache.grants[(system_id, code)] = (grants, mono)
        return grants

    def preload(self, session: Session | None = None) -> int:
        """Warm the cache with every grant and its resource (gateway start-up). Returns grants loaded."""
        self.sync(session)
        cache, mono = self._cache, time.monotonic()
        by_key: dict[tuple[str, str], list[GrantInfo]] = {}
        with self._session(session) as s:
            for g in s.scalars(select(Grant)):
                by_key.setdefault((g.system_id, g.resource_code), []).append(GrantInfo.of(g))
            codes = {code for _, code in by_key}
            for code in codes:
                if code not in cache.resources:
                    cache.resources[code] = (catalog_port.resource_by_code(s, code), mono)
        for key, grants in by_key.items():
            cache.grants[key] = (tuple(grants), mono)
        return sum(len(v) for v in by_key.values())

    # ---- deciding ---------------------------------------------------------------------------------
    def decide(
        self, q: PolicyQuery, *, session: Session | None = None, now: float | None = None, sync: bool = True
    ) -> Decision:
        """The decision without side effects (no quota spent, nothing audited)."""
        if sync:
            self.sync(session)
        cache = self._cache  # taken after the epoch check: what we load below is at least that new
        if now is None:
            now = time.time()
        key = (q.system_id, q.org_id, q.resource_code, q.purpose_category, q.items, q.case_ref is not None)
        hit = cache.memo.get(key)
        mono = time.monotonic()
        if hit is not None and hit[1] <= now < hit[2] and mono < hit[3]:
            return hit[0]
        res = self._resource(cache, q.resource_code, session, mono)
        grants = self._grants_for(cache, q.system_id, q.resource_code, session, mono)
        decision, lo, hi = evaluate(q, res, grants, now)
        if len(cache.memo) >= self.memo_max:
            cache.memo.clear()
        cache.memo[key] = (decision, lo, hi, mono + self.max_age)
        return decision

    def authorize(
        self,
        q: PolicyQuery,
        *,
        session: Session | None = None,
        records: int = 1,
        now: float | None = None,
        actor: Principal | None = None,
        audit: bool = True,
        sync: bool = True,
    ) -> Decision:
        """The gateway's check before it fetches: decision, case, quota (1 call and ``records`` records).

        Refusals are appended to the audit log (durable before this returns) when ``audit``; the allowed call is
        audited by the gateway with its answer. ``session`` may be a read session; never a SQLite write session
        (leasing quota opens its own short write transaction). ``sync=False`` when the caller has just passed
        the epoch to :meth:`observe_epoch` (read in the same round trip as its own look-ups)."""
        d = self.decide(q, session=session, now=now, sync=sync)
        if d.allowed and d.case_required and q.case_ref is not None:
            verdict = _case_validator(
                session,
                CaseCheck(q.case_ref, q.org_id, q.system_id, q.user, q.subject, q.resource_code, q.purpose_category),
            )
            if not verdict.ok:
                d = replace(
                    d,
                    allowed=False,
                    code=verdict.code or "case_invalid",
                    message_zh=verdict.message_zh or "办件校验未通过",
                    message_en=verdict.message_en or "the case check failed",
                    status=403,
                    field="case_ref",
                )
            else:
                d = replace(d, case_verified=verdict.verified)
        if d.allowed and d.limits:
            verdict = self.quota.take(d.limits, calls=1, records=max(records, 0), now=now)
            if not verdict.ok:
                kind_zh = "调用次数" if verdict.kind == "calls" else "记录数"
                d = replace(
                    d,
                    allowed=False,
                    code="quota_exceeded",
                    message_zh=f"已超过授权的每日{kind_zh}上限 ({verdict.limit})",
                    message_en=f"daily {verdict.kind} quota of the grant exceeded ({verdict.limit})",
                    status=429,
                    retry_after=verdict.retry_after,
                    grant_ids=(verdict.grant_id,) if verdict.grant_id else d.grant_ids,
                )
        if not d.allowed and audit:
            self._audit_refusal(q, d, actor)
        return d

    def _audit_refusal(self, q: PolicyQuery, d: Decision, actor: Principal | None) -> None:
        audit = self.runtime.audit
        audit.submit(self.refusal_entry(q, d, actor)).result(30)

    def refusal_entry(self, q: PolicyQuery, d: Decision, actor: Principal | None) -> AuditEntry:
        """The audit record of a refused call (an async caller submits it and awaits it itself)."""
        actor = actor or Principal(kind="system", id=q.system_id, org_id=q.org_id, name=q.system_id)
        return self.runtime.audit.entry(
            actor=actor,
            action="sharing.quota.exceeded" if d.code == "quota_exceeded" else "sharing.policy.deny",
            outcome="denied",
            object_type="resource",
            object_id=q.resource_code,
            object_org_id=d.provider_org_id,
            subject=q.subject,
            purpose=(f"{q.purpose_category or ''}: {q.purpose}" if q.purpose else q.purpose_category),
            on_behalf_of=q.user,
            detail={
                "code": d.code,
                "items": list(q.items) if q.items is not None else None,
                "grant_ids": list(d.grant_ids),
                "case_ref": q.case_ref,
            },
        )

    def close(self) -> None:
        """Report quota use and hand back unspent leases (call when the process stops)."""
        self.quota.flush(release=True)


_by_runtime: weakref.WeakKeyDictionary[Any, PolicyEngine] = weakref.WeakKeyDictionary()
_by_runtime_lock = threading.Lock()


def engine_for(runtime) -> PolicyEngine:  # noqa: ANN001
    """The process's engine for ``runtime`` (created on first use)."""
    engine = _by_runtime.get(runtime)
    if engine is None:
        with _by_runtime_lock:
            engine = _by_runtime.get(runtime)
            if engine is None:
                engine = PolicyEngine(runtime)
                _by_runtime[runtime] = engine
    return engine


def close_engine(runtime) -> None:  # noqa: ANN001
    """At shutdown (before the runtime closes): report quota use and hand back unspent leases, if an engine ran."""
    engine = _by_runtime.pop(runtime, None)
    if engine is not None:
        engine.close()
