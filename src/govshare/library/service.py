"""Library logic: the only code that declares library tables, ingests data, reads records and runs quality.

Rights:

- a **base library** (基础库) table is registered by the platform administrator, who names its data-source
  department (数源部门); a **thematic library** (专题库) is declared by a department itself (单位管理员 or
  目录管理员) or by the platform administrator for it;
- **ingest** into a table: its provider department's systems, org admins and catalog managers, and the
  platform administrator;
- **records** (the data itself) are read by the provider department (systems, org admins, catalog managers,
  auditors) and platform administrators and auditors. Other departments get data through the sharing and
  exchange systems, under a grant; not here;
- table **definitions** (schemas) are metadata and visible to every authenticated caller.

Every write appends an audit record in its transaction; every data read appends one through group commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govshare.db import Database, utcnow
from govshare.errors import Problem, conflict, forbidden, invalid, not_found
from govshare.identity import service as identity
from govshare.identity.principal import Principal, Role
from govshare.library import quality, store
from govshare.library.base_schemas import BASE_LIBRARIES, base_schema
from govshare.library.ingest import IngestOptions, run_ingest
from govshare.library.models import LibraryIngest, LibraryQualityRun, LibraryQuarantine, LibraryRecord, LibraryTable
from govshare.library.rules import rule
from govshare.library.schemas import (
    BaseSchemaRead,
    ChangesRead,
    DeleteRead,
    IngestRead,
    LibraryTableCreate,
    LibraryTableRead,
    LibraryTableUpdate,
    Provenance,
    QualityRunRead,
    QuarantineRead,
    RecordRead,
    RuleCount,
)
from govshare.library.tableschema import TableSchema, TargetRef, check_evolution
from govshare.runtime import audit_of

WRITE_ROLES = (Role.org_admin, Role.catalog_manager)
READ_ROLES = (Role.org_admin, Role.catalog_manager, Role.auditor)
MAX_PAGE = 1000


# ---- helpers ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _parse_schema(schema_json: str) -> TableSchema:
    return TableSchema.model_validate_json(schema_json)


def schema_of(table: LibraryTable) -> TableSchema:
    return _parse_schema(table.schema_json)


def _schema_json(schema: TableSchema) -> str:
    return orjson.dumps(schema.model_dump(mode="json", exclude_none=True), option=orjson.OPT_SORT_KEYS).decode()


def _table(session: Session, code: str) -> LibraryTable:
    table = session.scalar(select(LibraryTable).where(LibraryTable.resource_code == code))
    if table is None:
        raise not_found("library_table", "资源库表", code)
    return table


def _can_write(actor: Principal, table: LibraryTable) -> bool:
    if actor.is_platform_admin:
        return True
    return actor.org_id == table.provider_org_id and (actor.is_system or actor.has(*WRITE_ROLES))


def _require_write(actor: Principal, table: LibraryTable) -> None:
    if not _can_write(actor, table):
        raise forbidden(
            "只有数源部门(单位管理员、目录管理员或其业务系统)和平台管理员可以向该库写入数据",
            "only the providing department (org admins, catalog managers, its systems) or platform admins may write",
        )


def _require_read_data(actor: Principal, table: LibraryTable) -> None:
    if actor.is_platform_auditor:
        return
    if actor.org_id == table.provider_org_id and (actor.is_system or actor.has(*READ_ROLES)):
        return
    raise forbidden(
        "库中数据只能由数源部门直接查看; 其他部门请通过共享申请获取",
        "records are readable by the providing department only; other departments request sharing",
    )


def table_read(table: LibraryTable) -> LibraryTableRead:
    return LibraryTableRead(
        id=table.id,
        resource_code=table.resource_code,
        name=table.name,
        kind=table.kind,
        base=table.base,
        description=table.description,
        provider_org_id=table.provider_org_id,
        update_cycle=table.update_cycle,
        table_schema=schema_of(table),
        schema_version=table.schema_version,
        active=table.active,
        current_rows=table.current_rows,
        last_change_seq=table.last_change_seq,
        last_change_at=table.last_change_at,
        last_verified_at=table.last_verified_at,
        created_at=table.created_at,
    )


# ---- schemas and tables ----------------------------------------------------------------------------------
def list_base_schemas() -> list[BaseSchemaRead]:
    return [BaseSchemaRead(base=b, name=name, table_schema=s) for b, (name, s) in BASE_LIBRARIES.items()]


def create_table(session: Session, *, actor: Principal, data: LibraryTableCreate) -> LibraryTable:
    provider = data.provider_org_id or actor.org_id
    if provider is None:
        raise invalid("provider_org_id", "provider_required", "须指定数源部门", "provider_org_id is required")
    identity.get_organization(session, actor=actor, org_id=provider)  # 404 for an unknown organization
    if data.base is not None:
        if not actor.is_platform_admin:
            raise forbidden("基础库由平台管理员登记", "base libraries are registered by platform administrators")
        schema, kind = base_schema(data.base), "base"
    else:
        actor.require_org(provider, *WRITE_ROLES)
        schema, kind = data.table_schema, "thematic"
    if session.scalar(select(LibraryTable.id).where(LibraryTable.resource_code == data.resource_code)):
        raise conflict(
            "library_table_exists",
            f"资源代码已登记资源库表: {data.resource_code}",
            f"a library table already serves resource code {data.resource_code}",
            field="resource_code",
        )
    table = LibraryTable(
        resource_code=data.resource_code,
        name=data.name,
        kind=kind,
        base=data.base,
        description=data.description,
        provider_org_id=provider,
        update_cycle=data.update_cycle,
        schema_json=_schema_json(schema),
        schema_version=1,
        active=True,
        current_rows=0,
        last_change_seq=0,
        created_by=actor.id,
    )
    session.add(table)
    session.flush()
    audit_of(session).record(
        session,
        actor=actor,
        action="library.table.create",
        object_type="library_table",
        object_id=table.resource_code,
        object_org_id=provider,
        detail={"name": table.name, "kind": kind, "base": data.base, "fields": len(schema.fields)},
    )
    _mark_catalog_served(session, table)
    return table


def _mark_catalog_served(session: Session, table: LibraryTable) -> None:
    """The catalog resource of ``table`` is now served from the library (服务方式: 统一资源库表), unless the
    catalog already records another way (a binding set it first: that one is kept)."""
    from govshare.catalog import service as catalog
    from govshare.catalog.models import Resource
    from govshare.catalog.vocab import ServedBy
    from govshare.identity.principal import PLATFORM

    resource = session.scalar(select(Resource).where(Resource.code == table.resource_code))
    if resource is not None and resource.served_by is None:
        # The right to declare the table was checked by the caller; the catalog records it on the platform's
        # authority (as the exchange does for its bindings).
        catalog.set_served_by(
            session, actor=PLATFORM, resource_id=resource.id, served_by=ServedBy.hub_library, ref=f"library:{table.id}"
        )


def update_table(session: Session, *, actor: Principal, code: str, data: LibraryTableUpdate) -> LibraryTable:
    table = _table(session, code)
    if table.kind == "base" and not actor.is_platform_admin:
        raise forbidden("基础库由平台管理员维护", "base libraries are maintained by platform administrators")
    actor.require_org(table.provider_org_id, *WRITE_ROLES)
    changes: dict[str, object] = {}
    if data.table_schema is not None:
        if table.kind == "base":
            raise invalid(
                "schema", "base_schema_fixed", "基础库表结构由标准规定, 不能修改", "base library schemas are standard"
            )
        problems = check_evolution(schema_of(table), data.table_schema, has_rows=table.last_change_seq > 0)
        if problems:
            raise Problem(
                422,
                "schema_change_incompatible",
                "表结构变更不兼容: 字段只能追加, 已有数据时主键不能改变",
                "incompatible schema change: fields may only be appended; the key is fixed once rows exist",
                field="schema",
                extra={"problems": problems},
            )
        table.schema_json = _schema_json(data.table_schema)
        table.schema_version += 1
        changes["schema_version"] = table.schema_version
    for name in ("name", "update_cycle", "description"):
        value = getattr(data, name)
        if value is not None and value != getattr(table, name):
            setattr(table, name, value)
            changes[name] = value
    session.flush()
    audit_of(session).record(
        session,
        actor=actor,
        action="library.table.update",
        object_type="library_table",
        object_id=table.resource_code,
        object_org_id=table.provider_org_id,
        detail={"changes": changes},
    )
    return table


def list_tables(session: Session, *, actor: Principal, provider_org_id: str | None = None) -> list[LibraryTable]:
    stmt = select(LibraryTable).order_by(LibraryTable.resource_code)
    if provider_org_id:
        stmt = stmt.where(LibraryTable.provider_org_id == provider_org_id)
    return list(session.scalars(stmt))


def get_table(session: Session, *, actor: Principal, code: str) -> LibraryTable:
    return _table(session, code)


# ---- ingestion -------------------------------------------------------------------------------------------
def _source_system(
    session: Session, actor: Principal, table: LibraryTable, named: str | None
) -> tuple[str | None, str]:
    """The system the data comes from: the calling system itself, or a provider's system named by id or code."""
    if actor.is_system:
        if named and named != actor.id:
            raise invalid(
                "source_system", "source_system_mismatch", "系统只能以自身名义导入", "a system ingests as itself"
            )
        return actor.id, actor.name
    if not named:
        return None, "人工导入 (manual upload)"
    for system in identity.list_systems(session, actor=actor):
        if system.org_id == table.provider_org_id and named in (system.id, system.code):
            return system.id, f"{system.name} ({system.code})"
    raise invalid(
        "source_system",
        "source_system_unknown",
        f"数源部门没有该业务系统: {named}",
        f"the providing department has no system {named}",
    )


def ingest(
    db: Database,
    *,
    actor: Principal,
    code: str,
    path: Path,
    options: IngestOptions | None = None,
    source_system: str | None = None,
) -> int:
    """Ingest a file into table ``code``; returns the ingest id (see :func:`get_ingest` for the report).

    Unlike other service functions this one opens its own transactions: an ingest is a series of atomic
    batches, not one transaction (a 10-million-row file must not be all-or-nothing, nor hold a lock for minutes).
    """
    with db.read() as session:
        table = _table(session, code)
        _require_write(actor, table)
        if not table.active:
            raise conflict("library_table_inactive", "资源库表已停用", "the library table is inactive")
        system_id, system_label = _source_system(session, actor, table, source_system)
        schema = schema_of(table)
    return run_ingest(
        db,
        actor=actor,
        table=table,
        schema=schema,
        path=path,
        options=options or IngestOptions(),
        source_system_id=system_id,
        source_system=system_label,
    )


def _rule_counts(counts: dict[str, int], kind: str) -> list[RuleCount]:
    out = []
    for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        r = rule(code)
        if r.kind == kind:
            out.append(RuleCount(rule=code, kind=kind, count=n, message_zh=r.zh, message_en=r.en))
    return out


def ingest_read(ingest: LibraryIngest) -> IngestRead:
    counts = ingest.counts or {}
    rules = counts.get("rules", {})
    return IngestRead(
        id=ingest.id,
        resource_code=ingest.resource_code,
        status=ingest.status,
        file_name=ingest.file_name,
        file_size=ingest.file_size,
        file_sha256=ingest.file_sha256,
        file_format=ingest.file_format,
        encoding=ingest.encoding,
        source_system=ingest.source_system,
        actor_id=ingest.actor_id,
        batch_size=ingest.batch_size,
        batches=ingest.batches,
        rows_read=ingest.rows_read,
        rows_accepted=ingest.rows_accepted,
        rows_rejected=ingest.rows_rejected,
        inserted=ingest.inserted,
        updated=ingest.updated,
        unchanged=ingest.unchanged,
        deleted=counts.get("deleted", 0),
        mode=counts.get("mode", "upsert"),
        cleaning=_rule_counts(rules, "cleaning"),
        validation=_rule_counts(rules, "validation"),
        warnings=_rule_counts(rules, "warning"),
        fields=counts.get("fields", {}),
        ignored_columns=counts.get("ignored_columns", []),
        missing_columns=counts.get("missing_columns", []),
        error_code=ingest.error_code,
        error_message=ingest.error_message,
        started_at=ingest.started_at,
        finished_at=ingest.finished_at,
        seconds=ingest.seconds,
        rows_per_second=round(ingest.rows_read / ingest.seconds, 1) if ingest.seconds else None,
    )


def get_ingest(session: Session, *, actor: Principal, ingest_id: int) -> LibraryIngest:
    ingest = session.get(LibraryIngest, ingest_id)
    visible = ingest is not None and (
        actor.is_platform_auditor or actor.org_id in (ingest.provider_org_id, ingest.actor_org_id)
    )
    if not visible:
        raise not_found("ingest", "导入批次", str(ingest_id))
    return ingest


def list_ingests(session: Session, *, actor: Principal, code: str, limit: int = 50) -> list[LibraryIngest]:
    table = _table(session, code)
    if not (actor.is_platform_auditor or actor.org_id == table.provider_org_id):
        raise forbidden("只能查看本部门的导入记录", "ingests are visible to the providing department")
    stmt = select(LibraryIngest).where(LibraryIngest.table_id == table.id).order_by(LibraryIngest.id.desc())
    return list(session.scalars(stmt.limit(min(limit, MAX_PAGE))))


def list_quarantine(
    session: Session,
    *,
    actor: Principal,
    ingest_id: int,
    rule_code: str | None = None,
    field: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[QuarantineRead]:
    """Rejected values of one ingest, in file order (校核纠错: what the provider must correct)."""
    ingest = get_ingest(session, actor=actor, ingest_id=ingest_id)
    stmt = select(LibraryQuarantine).where(LibraryQuarantine.ingest_id == ingest.id)
    if rule_code:
        stmt = stmt.where(LibraryQuarantine.rule == rule_code)
    if field:
        stmt = stmt.where(LibraryQuarantine.field == field)
    stmt = stmt.order_by(LibraryQuarantine.row_number, LibraryQuarantine.id).limit(min(limit, MAX_PAGE)).offset(offset)
    out = []
    for q in session.scalars(stmt):
        r = rule(q.rule)
        out.append(
            QuarantineRead(
                ingest_id=q.ingest_id,
                file_name=q.file_name,
                row_number=q.row_number,
                field=q.field,
                rule=q.rule,
                value=q.value,
                message_zh=r.zh,
                message_en=r.en,
            )
        )
    return out


# ---- records -------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Sources:
    """Source system labels of ingests, looked up once per answer."""

    session: Session
    cache: dict[int, str]

    def __call__(self, ingest_id: int) -> str:
        label = self.cache.get(ingest_id)
        if label is None:
            label = self.session.scalar(select(LibraryIngest.source_system).where(LibraryIngest.id == ingest_id))
            self.cache[ingest_id] = label = label or ""
        return label


def _record_read(table: LibraryTable, schema: TableSchema, rec: store.StoredRecord, sources: _Sources) -> RecordRead:
    values = dict.fromkeys(schema.field_names)
    values.update(zip(schema.field_names, rec.values, strict=False))
    return RecordRead(
        resource_code=table.resource_code,
        key=rec.key,
        seq=rec.seq,
        current=rec.current,
        prev_seq=rec.prev_seq,
        valid_from=rec.valid_from,
        valid_to=rec.valid_to,
        content_hash=rec.content_hash,
        deleted=rec.deleted,
        values=values,
        provenance=Provenance(
            provider_org_id=table.provider_org_id,
            source_system=sources(rec.ingest_id),
            ingest_id=rec.ingest_id,
            verified_ingest_id=rec.verified_ingest_id,
            verified_at=rec.verified_at,
        ),
    )


def _audit_read(session: Session, actor: Principal, table: LibraryTable, action: str, **detail: object) -> None:
    subject = detail.pop("subject", None)
    audit_of(session).append(
        actor=actor,
        action=action,
        object_type="library_table",
        object_id=table.resource_code,
        object_org_id=table.provider_org_id,
        subject=subject if isinstance(subject, str) else None,
        detail=detail,
    )


def get_record(session: Session, *, actor: Principal, code: str, key: str, as_of: datetime | None = None) -> RecordRead:
    """The current version of ``key`` or, with ``as_of``, the version that was current then."""
    table = _table(session, code)
    _require_read_data(actor, table)
    rec = (
        store.record_as_of(session, table.id, key, as_of)
        if as_of is not None
        else store.current_record(session, table.id, key)
    )
    _audit_read(session, actor, table, "library.record.read", subject=key, as_of=as_of.isoformat() if as_of else None)
    if rec is None:
        raise not_found("record", "记录", None)
    return _record_read(table, schema_of(table), rec, _Sources(session, {}))


def record_history(session: Session, *, actor: Principal, code: str, key: str) -> list[RecordRead]:
    table = _table(session, code)
    _require_read_data(actor, table)
    history = store.record_history(session, table.id, key)
    _audit_read(session, actor, table, "library.record.history", subject=key, versions=len(history))
    if not history:
        raise not_found("record", "记录", None)
    schema, sources = schema_of(table), _Sources(session, {})
    return [_record_read(table, schema, r, sources) for r in history]


#: Keys per deletion request.
MAX_DELETE = 1000


def delete_records(
    session: Session, *, actor: Principal, code: str, keys: list[str], source_system: str | None = None
) -> DeleteRead:
    """Delete records (删除): each current version is closed and a tombstone written with its own change sequence,
    so feeds deliver the deletion and "as of" before it still finds the old version. The deletion is recorded as
    an ingest of format ``delete`` (who, which system, when: 谁提供、谁负责) and audited. One transaction.
    Keys that are unknown or already deleted are reported in ``not_found``; a single key raises 404 instead."""
    from govshare.library.ingest import delete_keys

    table = _table(session, code)
    _require_write(actor, table)
    if not table.active:
        raise conflict("library_table_inactive", "资源库表已停用", "the library table is inactive")
    unique = list(dict.fromkeys(k.strip() for k in keys if k and k.strip()))
    if not unique or len(unique) > MAX_DELETE:
        raise invalid("keys", "keys_count", f"须给出 1 至 {MAX_DELETE} 个键", f"give between 1 and {MAX_DELETE} keys")
    system_id, system_label = _source_system(session, actor, table, source_system)
    now = utcnow()
    operation = LibraryIngest(
        table_id=table.id,
        resource_code=table.resource_code,
        provider_org_id=table.provider_org_id,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_org_id=actor.org_id,
        source_system_id=system_id,
        source_system=system_label[:128],
        file_name="(删除 delete)",
        file_size=0,
        file_format="delete",
        schema_version=table.schema_version,
        status="completed",
        batch_size=len(unique),
        batches=1,
        rows_read=len(unique),
        counts={"rules": {}, "fields": {}, "mode": "delete"},
        started_at=now,
        heartbeat_at=now,
    )
    session.add(operation)
    session.flush()
    deleted, table = delete_keys(session, table.id, operation.id, unique)
    if not deleted and len(unique) == 1:
        raise not_found("record", "记录", None)  # the caller's transaction is rolled back: nothing written
    operation.rows_accepted = len(deleted)
    operation.counts = {**operation.counts, "deleted": len(deleted)}
    operation.finished_at = utcnow()
    operation.seconds = round((operation.finished_at - now).total_seconds(), 3)
    found = set(deleted)
    not_found_keys = [k for k in unique if k not in found]
    audit_of(session).record(
        session,
        actor=actor,
        action="library.record.delete",
        object_type="library_table",
        object_id=table.resource_code,
        object_org_id=table.provider_org_id,
        subject=deleted[0] if len(deleted) == 1 else None,
        detail={
            "ingest_id": operation.id,
            "mode": "delete",
            "deleted": len(deleted),
            # keyed hashes, as audit subjects are stored: identifiers never sit in the log in clear
            "subject_refs": [audit_of(session).subject_ref(k) for k in deleted[:100]],
            "not_found": len(not_found_keys),
            "last_seq": table.last_change_seq,
        },
    )
    return DeleteRead(
        resource_code=table.resource_code,
        ingest_id=operation.id,
        deleted=deleted,
        not_found=not_found_keys,
        last_change_seq=table.last_change_seq,
    )


def changes(session: Session, *, actor: Principal, code: str, since: int = 0, limit: int = 500) -> ChangesRead:
    """Every version written after change sequence ``since`` (the feed a subscriber pages through)."""
    table = _table(session, code)
    _require_read_data(actor, table)
    limit = max(1, min(limit, MAX_PAGE))
    # A poll with nothing new (the common case) is answered from the table row, not by scanning records.
    rows = store.changes_since(session, table.id, since, limit + 1) if since < table.last_change_seq else []
    has_more = len(rows) > limit
    rows = rows[:limit]
    _audit_read(session, actor, table, "library.record.changes", since=since, returned=len(rows))
    schema, sources = schema_of(table), _Sources(session, {})
    return ChangesRead(
        resource_code=table.resource_code,
        since=since,
        next_since=rows[-1].seq if rows else since,
        has_more=has_more,
        items=[_record_read(table, schema, r, sources) for r in rows],
    )


# ---- quality ---------------------------------------------------------------------------------------------
def _resolver(session: Session) -> quality.Resolver:
    def resolve(target: TargetRef) -> tuple[LibraryTable | None, TableSchema | None, str | None]:
        if target.code is not None:
            table = session.scalar(select(LibraryTable).where(LibraryTable.resource_code == target.code))
            if table is None:
                return None, None, f"target table {target.code} not registered"
            return table, schema_of(table), None
        tables = list(
            session.scalars(select(LibraryTable).where(LibraryTable.base == target.base, LibraryTable.active))
        )
        if len(tables) != 1:
            reason = "none registered" if not tables else f"{len(tables)} tables; name one by code"
            return None, None, f"base library {target.base}: {reason}"
        return tables[0], schema_of(tables[0]), None

    return resolve


def run_quality(session: Session, *, actor: Principal, code: str) -> LibraryQualityRun:
    """Compute the quality report of table ``code`` now and keep it (质量报告, with history)."""
    table = _table(session, code)
    _require_quality(actor, table)
    now = utcnow()
    report = quality.compute(session, table, schema_of(table), resolve=_resolver(session), now=now)
    run = LibraryQualityRun(
        table_id=table.id, run_at=now, actor_id=actor.id, rows=report["rows"], score=report["score"], report=report
    )
    session.add(run)
    session.flush()
    audit_of(session).record(
        session,
        actor=actor,
        action="library.quality.run",
        object_type="library_table",
        object_id=table.resource_code,
        object_org_id=table.provider_org_id,
        detail={"run_id": run.id, "score": run.score, "rows": run.rows},
    )
    return run


def quality_read(table: LibraryTable, run: LibraryQualityRun) -> QualityRunRead:
    return QualityRunRead(
        id=run.id,
        resource_code=table.resource_code,
        run_at=run.run_at,
        actor_id=run.actor_id,
        rows=run.rows,
        score=run.score,
        report=run.report,
    )


def _require_quality(actor: Principal, table: LibraryTable) -> None:
    """Quality reports name failing keys (ID numbers): the provider and the platform see them."""
    if actor.is_platform_auditor:
        return
    if actor.org_id == table.provider_org_id and (actor.is_system or actor.has(*READ_ROLES)):
        return
    raise forbidden("质量报告只对数源部门和平台开放", "quality reports are for the provider and the platform")


def quality_history(session: Session, *, actor: Principal, code: str, limit: int = 50) -> list[LibraryQualityRun]:
    """Quality runs of a table, newest first."""
    table = _table(session, code)
    _require_quality(actor, table)
    stmt = select(LibraryQualityRun).where(LibraryQualityRun.table_id == table.id)
    return list(session.scalars(stmt.order_by(LibraryQualityRun.id.desc()).limit(min(limit, MAX_PAGE))))


def latest_quality(session: Session, *, actor: Principal, code: str) -> LibraryQualityRun:
    runs = quality_history(session, actor=actor, code=code, limit=1)
    if not runs:
        raise not_found("quality_run", "质量报告", code)
    return runs[0]


def table_stats(session: Session, *, actor: Principal, code: str) -> dict[str, int]:
    """Counts straight from the records (for checks against the cached counters on library_table)."""
    table = _table(session, code)
    _require_read_data(actor, table)
    total = session.scalar(select(func.count()).where(LibraryRecord.table_id == table.id))
    return {"versions": total, "current": store.current_count(session, table.id)}


def feed_page(session: Session, *, code: str, since: int, limit: int) -> tuple[list[str], list[store.StoredRecord]]:
    """Field names and the versions written after change sequence ``since`` — for the exchange feed, which has
    decided the caller's right and audits each page itself (so no read audit here)."""
    table = _table(session, code)
    return schema_of(table).field_names, store.changes_since(session, table.id, since, max(1, min(limit, MAX_PAGE)))


def current_rows_page(
    session: Session, *, code: str, after: int = 0, limit: int = MAX_PAGE
) -> tuple[LibraryTable, list[tuple[int, list]]]:
    """The table and its current records whose change sequence is above ``after``, in sequence order (a keyset
    page) — read-only, for the open-data download, which decides what may be published and audits the download
    itself (so no read audit here)."""
    table = _table(session, code)
    stmt = (
        select(LibraryRecord.id, LibraryRecord.data)
        .where(
            LibraryRecord.table_id == table.id,
            LibraryRecord.superseded == 0,
            LibraryRecord.content_hash != store.TOMBSTONE,  # a deleted key's current version is its tombstone
            LibraryRecord.id > after,
        )
        .order_by(LibraryRecord.id)
        .limit(max(1, min(limit, MAX_PAGE)))
    )
    rows = []
    for seq, data in session.execute(stmt):
        rows.append((seq, orjson.loads(data) if isinstance(data, str | bytes) else list(data)))
    return table, rows
