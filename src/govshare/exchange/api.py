"""Exchange routes: the query gateway (/exchange/v1) and provider bindings (/api/v1/exchange)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from govshare.deps import CurrentPrincipal, ReadSession, RuntimeDep, WriteSession
from govshare.exchange import service
from govshare.exchange.gateway import Gateway
from govshare.exchange.schemas import AllowedResource, BindingCreate, BindingRead, QueryRequest

gateway_router = APIRouter(prefix="/exchange/v1", tags=["exchange 交换"])
router = APIRouter(prefix="/api/v1/exchange", tags=["exchange 交换"])


@gateway_router.get("/resources", response_model=list[AllowedResource], summary="What may I query? 可用资源")
def allowed(principal: CurrentPrincipal, session: ReadSession) -> list[AllowedResource]:
    return service.allowed_resources(session, actor=principal)


@gateway_router.post(
    "/resources/{code:path}/query",
    summary="Real-time query: decided, fetched from the source, masked, sealed, audited 实时查询",
)
async def query(
    code: str, body: QueryRequest, request: Request, principal: CurrentPrincipal, runtime: RuntimeDep
) -> dict[str, Any]:
    gateway = Gateway.for_runtime(runtime)
    return await run_in_threadpool(
        gateway.query, principal=principal, code=code, body=body, request_id=request.state.request_id
    )


@router.put("/bindings/{code:path}", response_model=BindingRead, summary="Bind a resource to its source 绑定数据源")
def put_binding(code: str, body: BindingCreate, principal: CurrentPrincipal, session: WriteSession) -> BindingRead:
    return service.binding_read(service.bind(session, actor=principal, code=code, data=body))


@router.get("/bindings/{code:path}", response_model=BindingRead)
def get_binding(code: str, principal: CurrentPrincipal, session: ReadSession) -> BindingRead:
    return service.binding_read(service.get_binding(session, actor=principal, code=code))
