"""The query gateway (实时查询): authenticate → decide → fetch from the source → mask → seal → audit → answer.

One call asks one resource for up to 100 key values (e.g. ID numbers). The answer is sealed (see
``envelope.py``) and leaves only after one audit record per subject is durable (group commit), each
holding the request hash and the digest of the sealed answer, so the log proves what was answered to whom.
Every stage is timed into ``govshare_exchange_stage_seconds``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import structlog
from prometheus_client import Counter, Histogram

from govshare.catalog.masking import mask
from govshare.errors import Problem, forbidden
from govshare.exchange.adapters import GuardRegistry
from govshare.exchange.envelope import ENVELOPE_VERSION, request_hash, seal, sealed_digest
from govshare.exchange.schemas import QueryRequest
from govshare.exchange.service import AdapterCache
from govshare.identity import service as identity
from govshare.identity.principal import PLATFORM, Principal
from govshare.library.hub import LibraryHubSource
from govshare.runtime import Runtime
from govshare.sharing import catalog_port
from govshare.sharing.policy import PolicyQuery, engine_for

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


@dataclass
class Gateway:
    runtime: Runtime
    adapters: AdapterCache
    guards: GuardRegistry
    hub: LibraryHubSource  # resources held in the platform's own library tables (统一资源库)
    #: Department names for envelopes; names change rarely and a stale one is only a label.
    _org_cache: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> Gateway:
        gw = getattr(runtime, "_gateway", None)
        if gw is None:
            gw = cls(runtime, AdapterCache(), GuardRegistry(), LibraryHubSource(runtime.db))
            runtime._gateway = gw  # one per process and runtime
        return gw

    def close(self) -> None:
        self.adapters.close()
        self.guards.close()

    def query(
        self,
        *,
        principal: Principal | None = None,
        api_key: str | None = None,
        on_behalf_of: str | None = None,
        code: str,
        body: QueryRequest,
        request_id: str,
    ) -> dict[str, Any]:
        """Answer one query. Give ``principal``, or ``api_key`` to authenticate in the same read transaction as
        the policy and binding look-ups (the HTTP route does: one session per call instead of three)."""
        timings: dict[str, float] = {}
        mark = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal mark
            now = time.perf_counter()
            timings[stage] = now - mark
            STAGE_SECONDS.labels(stage).observe(now - mark)
            mark = now

        keys = list(dict.fromkeys(k.strip() for k in body.keys))
        engine = engine_for(self.runtime)
        db = self.runtime.db
        try:
            with db.read() as session:
                if principal is None:
                    principal = identity.authenticate_api_key(session, api_key or "")
                    if on_behalf_of:
                        principal = replace(principal, on_behalf_of=on_behalf_of.strip()[:128])
                    lap("auth")
                if not principal.is_system:
                    raise forbidden("只有应用系统可以调用数据接口", "only systems call the query gateway")
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
                decision = engine.authorize(q, session=session, records=len(keys), actor=principal)
                lap("policy")
                if not decision.allowed:
                    raise decision.problem()
                resource = engine.resource(code, session=session)
                key_item = self._key_item(resource, body.key_item)
                bound = self.adapters.adapter_for(session, code)
                adapter = bound[1] if bound else self.hub.adapter_for(session, code)
                if adapter is None:
                    raise Problem(
                        503, "resource_not_served", "该资源尚未配置数据来源", "no data source is bound to this resource"
                    )
                provider_name = self._org_name(session, decision.provider_org_id)
                consumer_name = self._org_name(session, principal.org_id)
            masked = decision.masked_map
            fetch_items = [*decision.clear, *masked]
            guard = self.guards.get(f"{decision.provider_org_id}:{adapter.kind}")
            rows = guard.call(lambda: adapter.fetch(key_item, keys, fetch_items))
            lap("fetch")

            clear = set(decision.clear)
            out_rows = []
            for key in keys:
                row = rows.get(key)
                if row is None:
                    continue
                data = visible_values(row.values, clear, masked)
                out_rows.append(
                    {
                        "key": mask(masked[key_item], key) if key_item in masked else key,
                        "data": data,
                        "freshness": {
                            "updated_at": row.updated_at,
                            "verified_at": row.verified_at,
                            "source": row.source,
                        },
                    }
                )
            lap("mask")

            request_doc = {"resource": code, "keys": keys, "key_item": key_item, **body.model_dump(exclude={"keys"})}
            req_hash = request_hash(request_doc)
            envelope = {
                "version": ENVELOPE_VERSION,
                "request_id": request_id,
                "request_hash": req_hash,
                "at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "consumer": {
                    "org_id": principal.org_id,
                    "org_name": consumer_name,
                    "system_id": principal.id,
                    "system_name": principal.name,
                    "on_behalf_of": user,
                },
                "purpose": {"category": body.purpose_category, "text": body.purpose},
                "case_ref": body.case_ref,
                "resource": {
                    "code": code,
                    "name": resource.name,
                    "version": decision.resource_version,
                    "provider": {"org_id": decision.provider_org_id, "name": provider_name},
                    "key_item": key_item,
                },
                "items_clear": sorted(clear & set(fetch_items)),
                "items_masked": sorted(masked),
                "items_absent": sorted(decision.absent),
                "requested": len(keys),
                "found": len(out_rows),
                "rows": out_rows,
            }
            sealed = seal(envelope, self.runtime.keys.signer_for(body.signature_alg))
            lap("sign")

            digest = sealed_digest(sealed)
            audit = self.runtime.audit
            detail_base = {
                "request_hash": req_hash,
                "answer_sha256": digest,
                "items_clear": envelope["items_clear"],
                "items_masked": envelope["items_masked"],
                "case_ref": body.case_ref,
                "grant_ids": list(decision.grant_ids),
            }
            futures = [
                audit.submit(
                    audit.entry(
                        actor=principal,
                        action="exchange.query",
                        object_type="resource",
                        object_id=code,
                        object_org_id=decision.provider_org_id,
                        subject=key,
                        on_behalf_of=user,
                        purpose=f"{body.purpose_category}: {body.purpose}",
                        detail={**detail_base, "found": key in rows},
                    )
                )
                for key in keys
            ]
            receipts = [f.result(30) for f in futures]  # durable before the answer leaves
            lap("audit")
        except Problem as exc:
            CALLS.labels(code, principal.org_id if principal else "", exc.code).inc()
            raise
        CALLS.labels(code, principal.org_id or "", "ok").inc()
        sealed["audit"] = {"first_seq": receipts[0].seq, "last_seq": receipts[-1].seq}
        log.debug("gateway_call", resource=code, keys=len(keys), ms={k: round(v * 1000, 3) for k, v in timings.items()})
        return sealed

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

    def _org_name(self, session, org_id: str | None) -> str | None:  # noqa: ANN001
        if org_id is None:
            return None
        name = self._org_cache.get(org_id)
        if name is None:
            name = identity.get_organization(session, actor=PLATFORM, org_id=org_id).name
            self._org_cache[org_id] = name
        return name
