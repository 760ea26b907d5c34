"""Exchange routes: the query gateway (/exchange/v1) and provider bindings (/api/v1/exchange)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from govshare.deps import CurrentPrincipal, ReadSession, RuntimeDep, WriteSession, api_key_from
from govshare.errors import unauthenticated
from govshare.exchange import feeds, push, service
from govshare.exchange.gateway import Gateway
from govshare.exchange.push import SubscriptionCreate, SubscriptionRead
from govshare.exchange.schemas import AllowedResource, BindingCreate, BindingRead, QueryRequest


class ORJSONBytes(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


gateway_router = APIRouter(prefix="/exchange/v1", tags=["exchange 交换"])
router = APIRouter(prefix="/api/v1/exchange", tags=["exchange 交换"])


@gateway_router.get("/resources", response_model=list[AllowedResource], summary="What may I query? 可用资源")
def allowed(principal: CurrentPrincipal, session: ReadSession) -> list[AllowedResource]:
    return service.allowed_resources(session, actor=principal)


@gateway_router.post(
    "/resources/{code:path}/query",
    summary="Real-time query: decided, fetched from the source, masked, sealed, audited 实时查询",
    response_class=ORJSONBytes,
    responses={200: {"description": "A sealed answer: envelope + detached signature (see docs/exchange.md)"}},
)
async def query(code: str, body: QueryRequest, request: Request, runtime: RuntimeDep) -> Response:
    """Authenticated by the system's API key (``X-API-Key`` or ``Authorization: ApiKey …``), inside the same read
    transaction as the policy decision — the hot path makes one round trip to the store when its caches are warm."""
    answer = await Gateway.for_runtime(runtime).query(
        api_key=_api_key(request),
        on_behalf_of=request.headers.get("x-on-behalf-of"),
        code=code,
        body=body,
        request_id=request.state.request_id,
    )
    return Response(answer, media_type="application/json")


@gateway_router.get(
    "/feeds/{code:path}/changes",
    summary="Pull a feed page: the snapshot, then changes after a cursor 库表交换(增量)",
    response_class=Response,
    responses={
        200: {
            "content": {media: {} for media in feeds.MEDIA_TYPES.values()},
            "description": "JSON Lines, CSV or Parquet; see X-Next-Cursor and X-Chunk-SHA256 (docs/exchange.md)",
        }
    },
)
async def feed_changes(
    code: str,
    request: Request,
    runtime: RuntimeDep,
    purpose_category: str,
    purpose: Annotated[str, Query(min_length=2, max_length=256)],
    cursor: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    format: Annotated[str | None, Query(description="jsonl | csv | parquet (else from Accept; default jsonl)")] = None,
) -> Response:
    """Each page carries ``X-Chunk-SHA256`` (of the body), ``X-Cursor``, ``X-Next-Cursor``, ``X-Has-More``,
    ``X-Rows`` and ``X-Format``. Store the next cursor only after applying the page: resuming from it loses nothing.
    Pages hold at most 1000 rows."""
    fmt = feeds.negotiate_format(format, request.headers.get("accept"))
    api_key = _api_key(request)
    page = await run_in_threadpool(
        feeds.pull,
        runtime,
        api_key=api_key,
        code=code,
        cursor=cursor,
        limit=limit,
        purpose_category=purpose_category,
        purpose=purpose,
        fmt=fmt,
    )
    return Response(
        page.body,
        media_type=page.media_type,
        headers={
            "X-Chunk-SHA256": page.sha256,
            "X-Cursor": str(page.cursor),
            "X-Next-Cursor": str(page.next_cursor),
            "X-Has-More": "true" if page.has_more else "false",
            "X-Rows": str(page.rows),
            "X-Format": page.format,
        },
    )


# ---- push subscriptions (推送订阅) ---------------------------------------------------------------------------
@gateway_router.post(
    "/subscriptions",
    response_model=SubscriptionRead,
    status_code=201,
    summary="Subscribe an endpoint to a feed (push) 推送订阅",
)
async def create_subscription(
    body: SubscriptionCreate, principal: CurrentPrincipal, runtime: RuntimeDep, response: Response
) -> SubscriptionRead:
    """The purpose is checked by the policy exactly as for pull; pages are then POSTed to ``endpoint_url`` as
    described in docs/exchange.md (Idempotency-Key, X-Govshare-SHA256, X-Govshare-Signature)."""
    sub = await run_in_threadpool(push.create_subscription, runtime, actor=principal, data=body)
    response.headers["Location"] = f"/exchange/v1/subscriptions/{sub.id}"
    return push.subscription_read(sub)


@gateway_router.get("/subscriptions", response_model=list[SubscriptionRead], summary="My subscriptions 我的订阅")
def list_subscriptions(principal: CurrentPrincipal, session: ReadSession) -> list[SubscriptionRead]:
    return [push.subscription_read(s) for s in push.list_subscriptions(session, actor=principal)]


@gateway_router.get("/subscriptions/{subscription_id}", response_model=SubscriptionRead)
def get_subscription(subscription_id: str, principal: CurrentPrincipal, session: ReadSession) -> SubscriptionRead:
    return push.subscription_read(push.get_subscription(session, actor=principal, subscription_id=subscription_id))


@gateway_router.post("/subscriptions/{subscription_id}/pause", response_model=SubscriptionRead, summary="Pause 暂停")
def pause_subscription(subscription_id: str, principal: CurrentPrincipal, session: WriteSession) -> SubscriptionRead:
    return push.subscription_read(push.pause(session, actor=principal, subscription_id=subscription_id))


@gateway_router.post(
    "/subscriptions/{subscription_id}/resume", response_model=SubscriptionRead, summary="Resume (also failed ones) 恢复"
)
def resume_subscription(subscription_id: str, principal: CurrentPrincipal, session: WriteSession) -> SubscriptionRead:
    return push.subscription_read(push.resume(session, actor=principal, subscription_id=subscription_id))


@gateway_router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Delete 删除订阅")
def delete_subscription(subscription_id: str, principal: CurrentPrincipal, session: WriteSession) -> Response:
    push.delete_subscription(session, actor=principal, subscription_id=subscription_id)
    return Response(status_code=204)


@router.get(
    "/subscriptions",
    response_model=list[push.SubscriptionOverview],
    summary="Push subscriptions of my department's systems and to my department's resources 订阅情况",
)
def department_subscriptions(
    principal: CurrentPrincipal, session: ReadSession, resource_code: str | None = None
) -> list[push.SubscriptionOverview]:
    """For staff: who receives which of our resources by push, and how delivery goes; and our own systems'
    subscriptions. The platform's administrators and auditors see all."""
    return push.department_subscriptions(session, actor=principal, resource_code=resource_code)


def _api_key(request: Request) -> str:
    api_key = api_key_from(request)
    if not api_key:
        raise unauthenticated("数据接口需要应用系统的 API 密钥", "the exchange needs a system API key")
    return api_key


@router.put("/bindings/{code:path}", response_model=BindingRead, summary="Bind a resource to its source 绑定数据源")
def put_binding(code: str, body: BindingCreate, principal: CurrentPrincipal, session: WriteSession) -> BindingRead:
    return service.binding_read(service.bind(session, actor=principal, code=code, data=body))


@router.get("/bindings/{code:path}", response_model=BindingRead)
def get_binding(code: str, principal: CurrentPrincipal, session: ReadSession) -> BindingRead:
    return service.binding_read(service.get_binding(session, actor=principal, code=code))
