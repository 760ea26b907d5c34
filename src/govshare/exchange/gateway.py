"""The query gateway (实时查询): authenticate → decide → fetch from the source → mask → seal → audit → answer.

One call asks one resource for up to 100 key values (e.g. ID numbers). The answer is sealed (see
``envelope.py``) and leaves only after one audit record per subject is durable (group commit), each
holding the request hash and the digest of the sealed answer, so the log proves what was answered to whom.
Every stage is timed into ``govshare_exchange_stage_seconds``.
"""

from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import structlog
from prometheus_client import Counter, Histogram
from sqlalchemy import bindparam, select

from govshare.audit.service import AuditEntry
from govshare.catalog.masking import mask
from govshare.db import HotQuery
from govshare.errors import Problem, forbidden
from govshare.exchange.adapters import Adapter, GuardRegistry
from govshare.exchange.envelope import (
    ENVELOPE_VERSION,
    body_digest,
    jcs_ready,
    request_hash,
    sealed_json,
    sign_envelope,
)
from govshare.exchange.models import ProviderBinding
from govshare.exchange.schemas import QueryRequest
from govshare.exchange.service import AdapterCache
from govshare.identity import service as identity
from govshare.identity.principal import PLATFORM, Principal
from govshare.library.hub import LibraryHubSource
from govshare.library.models import LibraryTable
from govshare.runtime import Runtime
from govshare.sharing import catalog_port
from govshare.sharing.models import PolicyEpoch
from govshare.sharing.policy import EPOCH_ID, Decision, PolicyQuery, engine_for

log = structlog.get_logger("govshare.exchange")

STAGE_SECONDS = Histogram(
    "govshare_exchange_stage_seconds",
    "Time per gateway stage",
    ["stage"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0),
)
CALLS = Counter("govshare_exchange_calls_total", "Gateway calls", ["resource", "consumer", "outcome"])


def visible_values(values: dict[str, Any], clear: set[str], masked: dict[str, str]) -> dict[str, Any]:
    """What of a row may leave: items in clear as they are, masked items by their pattern, nothing else."""
    out: dict[str, Any] = {}
    for item, value in values.items():
        if item in clear:
            out[item] = value
        elif item in masked:
            out[item] = mask(masked[item], None if value is None else str(value))
    return out


#: The gateway's check in one round trip: the API key with its system and department, the policy epoch (so
#: cached decisions are known to be current) and the versions of the resource's provider binding and library table.
_CHECK = identity.api_key_statement(
    select(PolicyEpoch.value).where(PolicyEpoch.id == EPOCH_ID).scalar_subquery().label("policy_epoch"),
    select(ProviderBinding.version)
    .where(ProviderBinding.resource_code == bindparam("code"))
    .scalar_subquery()
    .label("binding_version"),
    select(LibraryTable.id * 1_000_000 + LibraryTable.schema_version)
    .where(LibraryTable.resource_code == bindparam("code"), LibraryTable.active)
    .scalar_subquery()
    .label("hub_version"),
)
ORG_NAME_TTL_S = 300.0
_calls = functools.lru_cache(maxsize=8192)(CALLS.labels)  # resources × consumers × outcomes, resolved once each
AUDIT_WAIT_S = 30.0  # group commit answers in milliseconds; past this the store is in trouble
_STAGES = ("auth", "policy", "fetch", "mask", "sign", "audit")
_STAGE_CHILDREN = {stage: STAGE_SECONDS.labels(stage) for stage in _STAGES}


class _Timer:
    """Per-call stage timings into ``govshare_exchange_stage_seconds``."""

    __slots__ = ("mark", "timings")

    def __init__(self) -> None:
        self.mark = time.perf_counter()
        self.timings: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = elapsed = now - self.mark
        _STAGE_CHILDREN[stage].observe(elapsed)
        self.mark = now


@dataclass(slots=True)
class _Call:
    """What the checks established for one call."""

    principal: Principal
    user: str | None
    decision: Decision
    refusal: AuditEntry | None  # set when the policy refused: the record to append before answering
    resource: catalog_port.ResourceInfo | None = None
    key_item: str = ""
    adapter: Adapter | None = None
    provider_name: str | None = None
    consumer_name: str | None = None


@dataclass
class Gateway:
    runtime: Runtime
    adapters: AdapterCache
    guards: GuardRegistry
    hub: LibraryHubSource  # resources held in the platform's own library tables (统一资源库)
    check: HotQuery  # _CHECK, compiled once for the store
    #: Department names for envelopes, re-read after ORG_NAME_TTL_S: a renamed department shows its new name
    #: within minutes, and no call pays a look-up for a label.
    _org_cache: dict[str, tuple[str, float]] = field(default_factory=dict)
    _hub_cache: dict[str, tuple[int, Adapter | None]] = field(default_factory=dict)

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> Gateway:
        gw = getattr(runtime, "_gateway", None)
        if gw is None:
            db = runtime.db
            gw = cls(runtime, AdapterCache(), GuardRegistry(), LibraryHubSource(db), db.hot_query(_CHECK))
            runtime._gateway = gw  # one per process and runtime
        return gw

    def close(self) -> None:
        self.adapters.close()
        self.guards.close()

    async def query(
        self,
        *,
        api_key: str,
        code: str,
        body: QueryRequest,
        request_id: str,
        on_behalf_of: str | None = None,
    ) -> bytes:
        """Answer one query; returns the sealed answer as JSON bytes.

        Runs on the event loop: the checks are a few cached look-ups and one indexed round trip to the store
        (API key, policy epoch and binding version together), done inline as a bare lookup would; the provider
        fetch runs in the provider's bulkhead and the audit waits for group commit, both awaited, so the loop
        serves other calls meanwhile. No thread per call: 32 callers do not fight over the GIL."""
        timer = _Timer()
        keys = list(dict.fromkeys(k.strip() for k in body.keys))
        principal: Principal | None = None
        try:
            call = self._prepare(api_key, on_behalf_of, code, body, keys, timer)
            principal = call.principal
            if call.refusal is not None:
                async with asyncio.timeout(AUDIT_WAIT_S):
                    await self.runtime.audit.submit_async([call.refusal])
                raise call.decision.problem()
            decision, masked = call.decision, call.decision.masked_map
            fetch_items = [*decision.clear, *masked]
            guard = self.guards.get(f"{decision.provider_org_id}:{call.adapter.kind}")
            adapter, key_item = call.adapter, call.key_item
            rows = await guard.call_async(lambda: adapter.fetch(key_item, keys, fetch_items))
            timer.lap("fetch")
            signed, detail_base = self._seal(call, body, keys, rows, fetch_items, request_id, timer)
            audit = self.runtime.audit
            user, purpose = call.user, f"{body.purpose_category}: {body.purpose}"
            entries = [
                audit.entry(
                    actor=principal,
                    action="exchange.query",
                    object_type="resource",
                    object_id=code,
                    object_org_id=decision.provider_org_id,
                    subject=key,
                    on_behalf_of=user,
                    purpose=purpose,
                    detail={**detail_base, "found": key in rows},
                    request_id=request_id,
                )
                for key in keys
            ]
            async with asyncio.timeout(AUDIT_WAIT_S):
                receipts = await audit.submit_async(entries)  # durable before the answer leaves
            timer.lap("audit")
        except Problem as exc:
            _calls(code, principal.org_id or "" if principal else "", exc.code).inc()
            raise
        _calls(code, principal.org_id or "", "ok").inc()
        log.debug("gateway_call", resource=code, keys=len(keys), seconds=timer.timings)
        body_bytes, signature = signed
        return sealed_json(body_bytes, signature, audit={"first_seq": receipts[0].seq, "last_seq": receipts[-1].seq})

    def _prepare(
        self, api_key: str, on_behalf_of: str | None, code: str, body: QueryRequest, keys: list[str], timer: _Timer
    ) -> _Call:
        """Authenticate, decide, find the resource's adapter. Warm, that is one statement (:class:`HotQuery`) and
        no session: the policy, adapters and department names come from caches, and whatever misses opens a
        read session of its own."""
        key_id, secret = identity.split_api_key(api_key or "")
        engine = engine_for(self.runtime)
        row = self.check.first(key_id=key_id, code=code)
        principal = identity.principal_from_key_row(row, secret)
        if on_behalf_of:
            principal = replace(principal, on_behalf_of=on_behalf_of.strip()[:128])
        if not principal.is_system:
            raise forbidden("只有应用系统可以调用数据接口", "only systems call the query gateway")
        engine.observe_epoch(row.policy_epoch or 0)
        timer.lap("auth")
        user = body.on_behalf_of or principal.on_behalf_of
        q = PolicyQuery(
            system_id=principal.id,
            org_id=principal.org_id or "",
            resource_code=code,
            purpose_category=body.purpose_category,
            items=tuple(body.items) if body.items else None,
            purpose=body.purpose,
            user=user,
            case_ref=body.case_ref,
            subject=keys[0] if len(keys) == 1 else None,
        )
        decision = engine.authorize(q, records=len(keys), actor=principal, audit=False, sync=False)
        timer.lap("policy")
        if not decision.allowed:
            return _Call(principal, user, decision, engine.refusal_entry(q, decision, principal))
        resource = engine.resource(code)
        key_item = self._key_item(resource, body.key_item)
        adapter = self._adapter(code, row.binding_version, row.hub_version)
        if adapter is None:
            raise Problem(
                503, "resource_not_served", "该资源尚未配置数据来源", "no data source is bound to this resource"
            )
        return _Call(
            principal,
            user,
            decision,
            None,
            resource=resource,
            key_item=key_item,
            adapter=adapter,
            provider_name=self._org_name(decision.provider_org_id),
            consumer_name=self._org_name(principal.org_id),
        )

    def _adapter(self, code: str, binding_version: int | None, hub_version: int | None) -> Adapter | None:
        """The adapter of the resource's provider binding, else of its library table; cached by their versions."""
        if binding_version is not None:
            adapter = self.adapters.cached(code, binding_version)
            if adapter is None:
                with self.runtime.db.read() as session:
                    bound = self.adapters.adapter_for(session, code, version=binding_version)
                adapter = bound[1] if bound else None
            return adapter
        if hub_version is None:
            return None
        cached = self._hub_cache.get(code)
        if cached is not None and cached[0] == hub_version:
            return cached[1]
        with self.runtime.db.read() as session:
            adapter = self.hub.adapter_for(session, code)
        self._hub_cache[code] = (hub_version, adapter)
        return adapter

    def _seal(
        self,
        call: _Call,
        body: QueryRequest,
        keys: list[str],
        rows: dict[str, Any],
        fetch_items: list[str],
        request_id: str,
        timer: _Timer,
    ) -> tuple[tuple[bytes, dict[str, str]], dict[str, Any]]:
        """Mask the fetched rows, build the envelope and sign it. Returns (signed bytes and signature, the audit
        detail every subject's record shares)."""
        decision, key_item, principal = call.decision, call.key_item, call.principal
        masked = decision.masked_map
        clear = set(decision.clear)
        out_rows = []
        for key in keys:
            row = rows.get(key)
            if row is None:
                continue
            out_rows.append(
                {
                    "key": mask(masked[key_item], key) if key_item in masked else key,
                    "data": jcs_ready(visible_values(row.values, clear, masked)),  # the only untrusted values
                    "freshness": {"updated_at": row.updated_at, "verified_at": row.verified_at, "source": row.source},
                }
            )
        timer.lap("mask")

        request_doc = {"resource": call.resource.code, "keys": keys, "key_item": key_item}
        # the model's fields as model_dump() gives them (strings, lists of strings, None), without its cost
        request_doc.update({name: value for name, value in body.__dict__.items() if name != "keys"})
        req_hash = request_hash(request_doc, ready=True)  # strings, None and lists of strings
        envelope = {
            "version": ENVELOPE_VERSION,
            "request_id": request_id,
            "request_hash": req_hash,
            "at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "consumer": {
                "org_id": principal.org_id,
                "org_name": call.consumer_name,
                "system_id": principal.id,
                "system_name": principal.name,
                "on_behalf_of": call.user,
            },
            "purpose": {"category": body.purpose_category, "text": body.purpose},
            "case_ref": body.case_ref,
            "resource": {
                "code": call.resource.code,
                "name": call.resource.name,
                "version": decision.resource_version,
                "provider": {"org_id": decision.provider_org_id, "name": call.provider_name},
                "key_item": key_item,
            },
            "items_clear": sorted(clear & set(fetch_items)),
            "items_masked": sorted(masked),
            "items_absent": sorted(decision.absent),
            "requested": len(keys),
            "found": len(out_rows),
            "rows": out_rows,
        }
        signed = sign_envelope(envelope, self.runtime.keys.signer_for(body.signature_alg), ready=True)
        timer.lap("sign")
        detail_base = {
            "request_hash": req_hash,
            "answer_sha256": body_digest(signed[0]),
            "items_clear": envelope["items_clear"],
            "items_masked": envelope["items_masked"],
            "case_ref": body.case_ref,
            "grant_ids": list(decision.grant_ids),
        }
        return signed, detail_base

    @staticmethod
    def _key_item(resource: catalog_port.ResourceInfo, asked: str | None) -> str:
        keys = [i.machine_name for i in resource.items if i.is_key]
        if asked is None:
            if not keys:
                raise Problem(409, "resource_has_no_key", "该资源未定义查询键", "the resource defines no key item")
            return keys[0]
        if asked not in keys:
            raise Problem(
                422,
                "not_a_key_item",
                f"不是查询键: {asked}",
                f"not a key item: {asked}",
                field="key_item",
                extra={"key_items": keys},
            )
        return asked

    def _org_name(self, org_id: str | None) -> str | None:
        if org_id is None:
            return None
        now = time.monotonic()
        hit = self._org_cache.get(org_id)
        if hit is not None and now - hit[1] < ORG_NAME_TTL_S:
            return hit[0]
        with self.runtime.db.read() as session:
            name = identity.get_organization(session, actor=PLATFORM, org_id=org_id).name
        self._org_cache[org_id] = (name, now)
        return name
