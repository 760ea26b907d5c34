"""Feeds (库表交换, pull): a consumer with a grant pages through a library resource's change log.

Cursor = the library's change sequence. Starting at 0 replays every version in order (the snapshot); later
pages carry only what changed. Applying rows by key in seq order gives the provider's current state, and a page
fetched twice is recognisable by its seqs, so a consumer that dies mid-stream resumes from the last cursor it
stored without losing or silently duplicating anything. Each page is JSON Lines with its SHA-256; masking and
the policy apply as to queries, and each page is audited (durable before it leaves).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson

from govshare.errors import Problem, forbidden
from govshare.exchange.gateway import visible_values
from govshare.identity import service as identity
from govshare.library import service as library
from govshare.runtime import Runtime
from govshare.sharing.policy import PolicyQuery, engine_for


@dataclass(slots=True)
class FeedPage:
    body: bytes  # JSON Lines, one changed record per line
    sha256: str
    cursor: int
    next_cursor: int
    rows: int
    has_more: bool


def pull(
    runtime: Runtime, *, api_key: str, code: str, cursor: int, limit: int, purpose_category: str, purpose: str
) -> FeedPage:
    engine = engine_for(runtime)
    with runtime.db.read() as session:
        principal = identity.authenticate_api_key(session, api_key)
        if not principal.is_system:
            raise forbidden("只有应用系统可以订阅数据", "only systems pull feeds")
        q = PolicyQuery(
            system_id=principal.id,
            org_id=principal.org_id or "",
            resource_code=code,
            purpose_category=purpose_category,
            purpose=purpose,
        )
        decision = engine.decide(q, session=session)
        if not decision.allowed:
            engine.authorize(q, session=session, actor=principal)  # audits the refusal
            raise decision.problem()
        try:
            names, records = library.feed_page(session, code=code, since=cursor, limit=limit + 1)
        except Problem as exc:
            if exc.status == 404:
                raise Problem(
                    409,
                    "feed_not_available",
                    "该资源不在统一资源库中, 不能订阅",
                    "this resource is not held in the library; it has no feed",
                ) from None
            raise
    has_more = len(records) > limit
    records = records[:limit]
    decision = engine.authorize(q, records=len(records), actor=principal)  # quota counts the records sent
    if not decision.allowed:
        raise decision.problem()
    clear, masked = set(decision.clear), decision.masked_map
    lines = []
    for r in records:
        data = visible_values(dict(zip(names, r.values, strict=False)), clear, masked)
        lines.append(
            orjson.dumps(
                {
                    "seq": r.seq,
                    "op": "upsert",
                    "key": r.key,
                    "data": data,
                    "valid_from": r.valid_from.isoformat(),
                    "verified_at": r.verified_at.isoformat(),
                }
            )
        )
    body = b"\n".join(lines) + (b"\n" if lines else b"")
    digest = hashlib.sha256(body).hexdigest()
    next_cursor = records[-1].seq if records else cursor
    runtime.audit.append(
        actor=principal,
        action="exchange.feed",
        object_type="resource",
        object_id=code,
        object_org_id=decision.provider_org_id,
        purpose=f"{purpose_category}: {purpose}",
        detail={
            "cursor": cursor,
            "next_cursor": next_cursor,
            "rows": len(records),
            "sha256": digest,
            "items_clear": sorted(clear),
            "items_masked": sorted(masked),
            "grant_ids": list(decision.grant_ids),
        },
    )
    return FeedPage(body, digest, cursor, next_cursor, len(records), has_more)
