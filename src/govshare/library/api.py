"""Library routes (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile

from govshare.deps import CurrentPrincipal, ReadSession, RuntimeDep, WriteSession
from govshare.library import service
from govshare.library.ingest import DEFAULT_BATCH, MAX_BATCH, IngestOptions
from govshare.library.schemas import (
    BaseSchemaRead,
    ChangesRead,
    DeleteRead,
    DeleteRequest,
    IngestRead,
    LibraryTableCreate,
    LibraryTableRead,
    LibraryTableUpdate,
    QualityRunRead,
    QualitySummary,
    QuarantineRead,
    RecordRead,
)

router = APIRouter(prefix="/api/v1/library", tags=["library 统一资源库"])


# Fixed paths first: /{code:path} below would otherwise take "schemas", "tables" and "ingests" for codes.
@router.get("/schemas", response_model=list[BaseSchemaRead], summary="The five base library schemas 基础库表结构")
def base_schemas(principal: CurrentPrincipal) -> list[BaseSchemaRead]:
    return service.list_base_schemas()


@router.get("/tables", response_model=list[LibraryTableRead], summary="Library tables 资源库表")
def list_tables(principal: CurrentPrincipal, session: ReadSession, provider_org_id: str | None = None):
    return [
        service.table_read(t) for t in service.list_tables(session, actor=principal, provider_org_id=provider_org_id)
    ]


@router.post(
    "/tables",
    response_model=LibraryTableRead,
    status_code=201,
    summary="Register a base library table or declare a thematic one 登记基础库/声明专题库",
)
def create_table(body: LibraryTableCreate, principal: CurrentPrincipal, session: WriteSession):
    return service.table_read(service.create_table(session, actor=principal, data=body))


@router.get("/ingests/{ingest_id}", response_model=IngestRead, summary="Ingest report 导入报告")
def get_ingest(ingest_id: int, principal: CurrentPrincipal, session: ReadSession):
    return service.ingest_read(service.get_ingest(session, actor=principal, ingest_id=ingest_id))


@router.get(
    "/ingests/{ingest_id}/quarantine",
    response_model=list[QuarantineRead],
    summary="Rejected values of an ingest 隔离区",
)
def quarantine(
    ingest_id: int,
    principal: CurrentPrincipal,
    session: ReadSession,
    rule: str | None = None,
    field: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    return service.list_quarantine(
        session, actor=principal, ingest_id=ingest_id, rule_code=rule, field=field, limit=limit, offset=offset
    )


@router.post(
    "/{code:path}/ingest",
    response_model=IngestRead,
    status_code=201,
    summary="Ingest a file (CSV, .xlsx, JSON Lines, Parquet) 导入数据",
)
def ingest(
    code: str,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    file: Annotated[UploadFile, File(description="CSV (UTF-8/GB18030), .xlsx, .jsonl or .parquet")],
    format: Annotated[str | None, Query(description="csv, xlsx, jsonl, parquet (default: by file name)")] = None,
    encoding: Annotated[str | None, Query(description="utf-8 or gb18030 (default: detected)")] = None,
    delimiter: Annotated[str, Query(min_length=1, max_length=1)] = ",",
    sheet: str | None = None,
    batch_size: Annotated[int, Query(ge=1, le=MAX_BATCH)] = DEFAULT_BATCH,
    source_system: Annotated[str | None, Query(description="system id or code of the provider")] = None,
    mode: Annotated[
        Literal["upsert", "snapshot"],
        Query(description="upsert (default) or snapshot: keys absent from the file are deleted 全量替换"),
    ] = "upsert",
) -> IngestRead:
    # A sync route: FastAPI runs it in a worker thread, so a long ingest does not block the event loop.
    name = Path(file.filename or "upload").name
    spool_dir = runtime.settings.data_dir / "uploads"
    spool_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=spool_dir, suffix=Path(name).suffix) as tmp:
        shutil.copyfileobj(file.file, tmp, length=1 << 20)
        tmp.flush()
        options = IngestOptions(
            format=format,
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            batch_size=batch_size,
            file_name=name,
            mode=mode,
        )
        ingest_id = service.ingest(
            runtime.db, actor=principal, code=code, path=Path(tmp.name), options=options, source_system=source_system
        )
    with runtime.db.read() as session:
        return service.ingest_read(service.get_ingest(session, actor=principal, ingest_id=ingest_id))


@router.get("/{code:path}/ingests", response_model=list[IngestRead], summary="Ingests of a table 导入记录")
def list_ingests(
    code: str, principal: CurrentPrincipal, session: ReadSession, limit: Annotated[int, Query(ge=1, le=500)] = 50
):
    return [service.ingest_read(i) for i in service.list_ingests(session, actor=principal, code=code, limit=limit)]


@router.get("/{code:path}/records/{key}", response_model=RecordRead, summary="A record, now or as of a time 记录")
def get_record(
    code: str,
    key: str,
    principal: CurrentPrincipal,
    session: ReadSession,
    as_of: Annotated[datetime | None, Query(description="ISO 8601 time: the version current then")] = None,
):
    return service.get_record(session, actor=principal, code=code, key=key, as_of=as_of)


@router.delete("/{code:path}/records/{key}", response_model=DeleteRead, summary="Delete a record (tombstone) 删除记录")
def delete_record(
    code: str,
    key: str,
    principal: CurrentPrincipal,
    session: WriteSession,
    source_system: Annotated[str | None, Query(description="system id or code of the provider")] = None,
):
    return service.delete_records(session, actor=principal, code=code, keys=[key], source_system=source_system)


@router.post("/{code:path}/records/delete", response_model=DeleteRead, summary="Delete records (batch) 批量删除")
def delete_records(code: str, body: DeleteRequest, principal: CurrentPrincipal, session: WriteSession):
    return service.delete_records(session, actor=principal, code=code, keys=body.keys, source_system=body.source_system)


@router.get(
    "/{code:path}/records/{key}/history", response_model=list[RecordRead], summary="Every version of a record 历史版本"
)
def record_history(code: str, key: str, principal: CurrentPrincipal, session: ReadSession):
    return service.record_history(session, actor=principal, code=code, key=key)


@router.get("/{code:path}/changes", response_model=ChangesRead, summary="Versions changed since a sequence 增量")
def changes(
    code: str,
    principal: CurrentPrincipal,
    session: ReadSession,
    since: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
):
    return service.changes(session, actor=principal, code=code, since=since, limit=limit)


@router.post("/{code:path}/quality", response_model=QualityRunRead, status_code=201, summary="Run quality 质量报告")
def run_quality(code: str, principal: CurrentPrincipal, session: WriteSession):
    run = service.run_quality(session, actor=principal, code=code)
    return service.quality_read(service.get_table(session, actor=principal, code=code), run)


@router.get("/{code:path}/quality", response_model=QualityRunRead, summary="The latest quality report 最新质量报告")
def latest_quality(code: str, principal: CurrentPrincipal, session: ReadSession):
    run = service.latest_quality(session, actor=principal, code=code)
    return service.quality_read(service.get_table(session, actor=principal, code=code), run)


@router.get("/{code:path}/quality/history", response_model=list[QualitySummary], summary="Quality history 质量历史")
def quality_history(code: str, principal: CurrentPrincipal, session: ReadSession):
    return [
        QualitySummary(id=r.id, run_at=r.run_at, rows=r.rows, score=r.score)
        for r in service.quality_history(session, actor=principal, code=code)
    ]


# Last: a code may contain "/", so /{code:path} would swallow the paths above.
@router.get("/{code:path}", response_model=LibraryTableRead, summary="A library table 资源库表")
def get_table(code: str, principal: CurrentPrincipal, session: ReadSession):
    return service.table_read(service.get_table(session, actor=principal, code=code))


@router.patch("/{code:path}", response_model=LibraryTableRead, summary="Change a table (append fields) 修改")
def update_table(code: str, body: LibraryTableUpdate, principal: CurrentPrincipal, session: WriteSession):
    return service.table_read(service.update_table(session, actor=principal, code=code, data=body))
