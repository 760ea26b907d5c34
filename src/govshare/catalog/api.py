"""Catalog routes (thin: parse, call the service, shape the answer).

``router`` serves ``/api/v1/catalog/...`` (staff; the search and resource reads also answer the public, who see
only the open catalog). ``open_router`` serves the open catalog for harvesters and the portal under
``/api/v1/open/...``: DCAT-AP as JSON-LD and Turtle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile, status

from govshare.catalog import service, spreadsheet
from govshare.catalog.checks import completeness as completeness_of
from govshare.catalog.dcat import serialize
from govshare.catalog.schemas import (
    ChecksRead,
    CompletenessOrg,
    CompletenessRead,
    DecisionBody,
    DiffRead,
    ImportResult,
    ResourceContent,
    ResourceCreate,
    ResourcePatch,
    ResourceRead,
    ReviewRead,
    RevokeBody,
    SearchResult,
    ServedByUpdate,
    SubmitBody,
    VersionRead,
    VersionSummary,
)
from govshare.catalog.search import SearchQuery
from govshare.catalog.vocab import vocabularies
from govshare.deps import CurrentPrincipal, OptionalPrincipal, ReadSession, WriteSession
from govshare.errors import invalid

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog 目录"])
open_router = APIRouter(prefix="/api/v1/open", tags=["open catalog 开放目录"])

MAX_UPLOAD = 20 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _read(session, principal, r) -> ResourceRead:  # noqa: ANN001
    return service.resource_read(session, actor=principal, r=r)


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"}


@router.get("/vocabularies", summary="Value lists with Chinese labels 值域")
def get_vocabularies() -> dict:
    return vocabularies()


# ---- search and reading ----------------------------------------------------------------------------
def _search_query(
    q: Annotated[str, Query(max_length=200, description="中文全文检索")] = "",
    provider: Annotated[list[str], Query(description="提供方单位 id")] = [],  # noqa: B006
    classification: Annotated[list[str], Query(description="分类: 1 位类或 3 位类+项")] = [],  # noqa: B006
    share_type: Annotated[list[str], Query()] = [],  # noqa: B006
    open_type: Annotated[list[str], Query()] = [],  # noqa: B006
    update_cycle: Annotated[list[str], Query()] = [],  # noqa: B006
    format: Annotated[list[str], Query()] = [],  # noqa: B006
    level: Annotated[list[str], Query(description="L1–L4 (highest item level)")] = [],  # noqa: B006
    status: Annotated[list[str], Query(description="lifecycle status (own entries / reviewers)")] = [],  # noqa: B006
    mine: bool = False,
    open_only: bool = False,
    sort: Annotated[str, Query(description="relevance | newest | name | code")] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
    facets: bool = True,
) -> SearchQuery:
    return SearchQuery(
        q=q,
        provider=provider,
        classification=classification,
        share_type=share_type,
        open_type=open_type,
        update_cycle=update_cycle,
        format=format,
        level=level,
        status=status,
        mine=mine,
        open_only=open_only,
        sort=sort,
        limit=limit,
        cursor=cursor,
        facets=facets,
    )


SearchParams = Annotated[SearchQuery, Depends(_search_query)]


@router.get("/resources", response_model=SearchResult, summary="Search the catalog 检索目录")
def search_resources(params: SearchParams, principal: OptionalPrincipal, session: ReadSession):
    return service.search(session, actor=principal, query=params)


@router.post("/resources", response_model=ResourceRead, status_code=201, summary="Create a draft 新建草稿")
def create_resource(body: ResourceCreate, principal: CurrentPrincipal, session: WriteSession):
    return _read(session, principal, service.create_resource(session, actor=principal, data=body))


@router.get("/resources/by-code/{code:path}", response_model=ResourceRead, summary="Resource by code 按资源代码")
def get_by_code(code: str, principal: OptionalPrincipal, session: ReadSession):
    return _read(session, principal, service.get_by_code(session, actor=principal, code=code))


@router.get("/resources/{resource_id}", response_model=ResourceRead, summary="Resource 资源详情")
def get_resource(resource_id: str, principal: OptionalPrincipal, session: ReadSession):
    return _read(session, principal, service.get_visible(session, actor=principal, resource_id=resource_id))


@router.put("/resources/{resource_id}", response_model=ResourceRead, summary="Replace the content 修改")
def replace_resource(resource_id: str, body: ResourceContent, principal: CurrentPrincipal, session: WriteSession):
    r = service.replace_content(session, actor=principal, resource_id=resource_id, content=body)
    return _read(session, principal, r)


@router.patch("/resources/{resource_id}", response_model=ResourceRead, summary="Change some fields 部分修改")
def patch_resource(resource_id: str, body: ResourcePatch, principal: CurrentPrincipal, session: WriteSession):
    r = service.patch_resource(session, actor=principal, resource_id=resource_id, patch=body)
    return _read(session, principal, r)


@router.delete("/resources/{resource_id}", status_code=204, summary="Delete a never-published draft 删除草稿")
def delete_resource(resource_id: str, principal: CurrentPrincipal, session: WriteSession) -> Response:
    service.delete_resource(session, actor=principal, resource_id=resource_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/resources/{resource_id}/revision", response_model=ResourceRead, summary="Discard a pending change")
def discard_revision(resource_id: str, principal: CurrentPrincipal, session: WriteSession):
    return _read(session, principal, service.discard_revision(session, actor=principal, resource_id=resource_id))


# ---- lifecycle -------------------------------------------------------------------------------------
@router.post("/resources/{resource_id}/submit", response_model=ReviewRead, summary="Submit for review 提交审核")
def submit(resource_id: str, body: SubmitBody, principal: CurrentPrincipal, session: WriteSession):
    review = service.submit(session, actor=principal, resource_id=resource_id, note=body.note)
    return service.review_read(session, review)


@router.post("/resources/{resource_id}/approve", response_model=ResourceRead, summary="Approve 审核通过")
def approve(resource_id: str, body: DecisionBody, principal: CurrentPrincipal, session: WriteSession):
    r = service.approve(session, actor=principal, resource_id=resource_id, reason=body.reason)
    return _read(session, principal, r)


@router.post("/resources/{resource_id}/reject", response_model=ResourceRead, summary="Reject 驳回")
def reject(resource_id: str, body: DecisionBody, principal: CurrentPrincipal, session: WriteSession):
    r = service.reject(session, actor=principal, resource_id=resource_id, reason=body.reason)
    return _read(session, principal, r)


@router.post("/resources/{resource_id}/revoke", response_model=ReviewRead, summary="Request revocation 申请撤销")
def revoke(resource_id: str, body: RevokeBody, principal: CurrentPrincipal, session: WriteSession):
    review = service.request_revoke(session, actor=principal, resource_id=resource_id, reason=body.reason)
    return service.review_read(session, review)


@router.get("/resources/{resource_id}/checks", response_model=ChecksRead, summary="Review checks 审核检查")
def checks(resource_id: str, principal: CurrentPrincipal, session: ReadSession):
    return service.run_checks(session, actor=principal, resource_id=resource_id)


@router.get("/resources/{resource_id}/completeness", response_model=CompletenessRead, summary="完整度")
def completeness(resource_id: str, principal: OptionalPrincipal, session: ReadSession):
    r = service.get_visible(session, actor=principal, resource_id=resource_id)
    return completeness_of(service.content_of(r))


@router.get("/resources/{resource_id}/reviews", response_model=list[ReviewRead], summary="Review history 审核记录")
def reviews_of(resource_id: str, principal: CurrentPrincipal, session: ReadSession):
    return service.list_reviews(session, actor=principal, resource_id=resource_id)


@router.get("/reviews", response_model=list[ReviewRead], summary="Review queue 待审核")
def review_queue(principal: CurrentPrincipal, session: ReadSession, pending: bool = True):
    return service.review_queue(session, actor=principal, pending=pending)


@router.get("/resources/{resource_id}/versions", response_model=list[VersionSummary], summary="Versions 历史版本")
def versions(resource_id: str, principal: OptionalPrincipal, session: ReadSession):
    return service.list_versions(session, actor=principal, resource_id=resource_id)


@router.get("/resources/{resource_id}/versions/{version}", response_model=VersionRead, summary="One version")
def version(resource_id: str, version: int, principal: OptionalPrincipal, session: ReadSession):
    return service.get_version(session, actor=principal, resource_id=resource_id, version=version)


@router.get("/resources/{resource_id}/diff", response_model=DiffRead, summary="Differences 版本差异")
def diff(
    resource_id: str,
    principal: OptionalPrincipal,
    session: ReadSession,
    from_: Annotated[str, Query(alias="from", description="version number")],
    to: Annotated[str, Query(description="version number, or 'working' for the pending change")],
):
    return service.diff(session, actor=principal, resource_id=resource_id, from_=from_, to=to)


@router.put("/resources/{resource_id}/served-by", response_model=ResourceRead, summary="How the data is served")
def served_by(resource_id: str, body: ServedByUpdate, principal: CurrentPrincipal, session: WriteSession):
    r = service.set_served_by(session, actor=principal, resource_id=resource_id, served_by=body.served_by, ref=body.ref)
    return _read(session, principal, r)


@router.get("/completeness", response_model=list[CompletenessOrg], summary="Completeness per department 完整度")
def completeness_by_org(principal: CurrentPrincipal, session: ReadSession, org_id: str | None = None):
    return service.completeness_by_org(session, actor=principal, org_id=org_id)


# ---- spreadsheets ----------------------------------------------------------------------------------
def _upload_bytes(upload: UploadFile | None, field: str) -> bytes | None:
    if upload is None:
        return None
    data = upload.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise invalid(field, "file_too_large", "文件超过 20 MB", "file larger than 20 MB")
    return data


@router.post("/import", response_model=ImportResult, summary="Import drafts from .xlsx or .csv 导入")
def import_catalog(
    principal: CurrentPrincipal,
    session: WriteSession,
    file: Annotated[UploadFile, File(description=".xlsx workbook, or the resources sheet as .csv")],
    items: Annotated[UploadFile | None, File(description="the items sheet as .csv (with a .csv file)")] = None,
    org_id: Annotated[str | None, Form()] = None,
):
    data = _upload_bytes(file, "file")
    item_data = _upload_bytes(items, "items")
    name = (file.filename or "").lower()
    if name.endswith(".csv"):
        res_rows = spreadsheet.read_csv(data or b"")
        item_rows = spreadsheet.read_csv(item_data) if item_data is not None else None
    elif name.endswith(".xlsx") or (file.content_type or "") == XLSX:
        res_rows, item_rows = spreadsheet.read_xlsx(data or b"")
    else:
        raise invalid("file", "file_type_unsupported", "只支持 .xlsx 和 .csv 文件", "only .xlsx and .csv are supported")
    # The session begins its transaction at its first statement: the file is parsed before the store is locked.
    return spreadsheet.import_catalog(session, actor=principal, res_rows=res_rows, item_rows=item_rows, org_id=org_id)


def _export_resources(session, principal, mine: bool, org_id: str | None):  # noqa: ANN001
    target = org_id or (principal.org_id if mine else None)
    return service.resources_for_export(session, actor=principal, org_id=target)


@router.get("/export.xlsx", summary="Export as .xlsx 导出")
def export_xlsx(principal: CurrentPrincipal, session: ReadSession, mine: bool = False, org_id: str | None = None):
    rows = spreadsheet.export_rows(
        session, actor=principal, resources=_export_resources(session, principal, mine, org_id)
    )
    return Response(spreadsheet.workbook_bytes(*rows), media_type=XLSX, headers=_attachment("政务信息资源目录.xlsx"))


@router.get("/export.csv", summary="Export one sheet as .csv 导出 CSV")
def export_csv(
    principal: CurrentPrincipal,
    session: ReadSession,
    sheet: Annotated[str, Query(pattern="^(resources|items)$")] = "resources",
    mine: bool = False,
    org_id: str | None = None,
):
    res, items = spreadsheet.export_rows(
        session, actor=principal, resources=_export_resources(session, principal, mine, org_id)
    )
    name = "资源" if sheet == "resources" else "信息项"
    return Response(
        spreadsheet.csv_bytes(res if sheet == "resources" else items),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(f"{name}.csv"),
    )


@router.get("/template.xlsx", summary="The import template 导入模板")
def template() -> Response:
    data = (
        spreadsheet.TEMPLATE_PATH.read_bytes() if spreadsheet.TEMPLATE_PATH.exists() else spreadsheet.template_bytes()
    )
    return Response(data, media_type=XLSX, headers=_attachment("政务信息资源目录导入模板.xlsx"))


# ---- the open catalog ------------------------------------------------------------------------------
def _base_url(request: Request) -> str:
    """Where the open catalog's links point: the configured public address, else the host the request came to."""
    configured = request.app.state.runtime.settings.public_base_url
    return service.public_base_url(configured, str(request.base_url))


def _dcat(request: Request, session, fmt: str, page: int, page_size: int, modified_since: datetime | None):  # noqa: ANN001
    graph = service.open_catalog_graph(
        session, base_url=_base_url(request), page=page, page_size=page_size, modified_since=modified_since
    )
    return serialize(graph, fmt)


@open_router.get("/catalog.jsonld", summary="Open catalog, DCAT-AP 3.0.1 JSON-LD 开放目录")
def catalog_jsonld(
    request: Request,
    session: ReadSession,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    modified_since: datetime | None = None,
) -> Response:
    body = _dcat(request, session, "jsonld", page, page_size, modified_since)
    return Response(body, media_type="application/ld+json")


@open_router.get("/catalog.ttl", summary="Open catalog, DCAT-AP 3.0.1 Turtle 开放目录")
def catalog_ttl(
    request: Request,
    session: ReadSession,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    modified_since: datetime | None = None,
) -> Response:
    body = _dcat(request, session, "turtle", page, page_size, modified_since)
    return Response(body, media_type="text/turtle; charset=utf-8")


@open_router.get("/datasets/{resource_id}", response_model=ResourceRead, summary="An open dataset 开放数据集")
def open_dataset(resource_id: str, session: ReadSession):
    return _read(session, None, service.get_visible(session, actor=None, resource_id=resource_id))


@open_router.get("/resources", response_model=SearchResult, summary="Search the open catalog 检索开放目录")
def open_search(params: SearchParams, session: ReadSession):
    params.open_only = True
    params.mine = False
    params.status = []
    return service.search(session, actor=None, query=params)
