"""Data quality of a library table (数据质量): per field and per table, with cross-library consistency.

Dimensions (each 0–1; the score is 100 × their mean):

- **completeness** (完整性): per field, the share of current records with a value;
- **validity** (有效性): per field, the share of stored values that pass today's schema (the same compiled
  checks as ingestion, so a tightened rule or a licence that has since expired shows here), next to the source
  validity of the last completed ingest (values that failed and were quarantined);
- **uniqueness** (唯一性): distinct keys among current records (1 by construction, checked anyway) and keys the
  last ingest's file repeated;
- **timeliness** (及时性): age of the last ingest against the declared update cycle (更新周期);
- **consistency** (一致性): the schema's consistency rules, evaluated in SQL against the target library
  (持证人姓名与人口库一致, 法定代表人身份证号在人口库中存在, 已死亡人员不持有有效证照 …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import orjson
from sqlalchemy import and_, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from govshare.library.compiler import ProcessedChunk, RowProcessor
from govshare.library.models import LibraryIngest, LibraryRecord, LibraryTable
from govshare.library.schemas import UPDATE_CYCLES_ZH
from govshare.library.store import TOMBSTONE
from govshare.library.tableschema import ExistsIn, MatchesIn, TableSchema, TargetRef, TargetStateNot

#: Days allowed between updates per declared update cycle; None: no timeliness expectation.
CYCLE_DAYS: dict[str, int | None] = {
    "realtime": 1,
    "daily": 1,
    "weekly": 7,
    "monthly": 31,
    "quarterly": 92,
    "semiannual": 183,
    "annual": 366,
    "irregular": None,
    "other": None,
}
SCAN_CHUNK = 10_000
SAMPLE = 20

#: Resolves a rule's target to (table, schema), or (None, reason).
Resolver = Callable[[TargetRef], tuple[LibraryTable | None, TableSchema | None, str | None]]


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def compute(session: Session, table: LibraryTable, schema: TableSchema, *, resolve: Resolver, now: dt.datetime) -> dict:
    rows, fields, failing = _scan_fields(session, table, schema)
    distinct = session.scalar(
        select(func.count(func.distinct(LibraryRecord.key))).where(
            LibraryRecord.table_id == table.id, LibraryRecord.superseded == 0, LibraryRecord.content_hash != TOMBSTONE
        )
    )
    last = session.scalar(
        select(LibraryIngest)
        .where(LibraryIngest.table_id == table.id, LibraryIngest.status == "completed")
        .order_by(LibraryIngest.id.desc())
        .limit(1)
    )
    source_fields = (last.counts or {}).get("fields", {}) if last else {}
    for f in fields:
        issues = sum(source_fields.get(f["name"], {}).values())
        f["source_issues"] = issues
        f["source_validity"] = (1 - _ratio(issues, last.rows_read)) if last and last.rows_read else None
    duplicates = (last.counts or {}).get("rules", {}).get("key_duplicate", 0) if last else 0
    uniqueness = {
        "current_keys": rows,
        "distinct_keys": distinct,
        "rate": _ratio(distinct, rows),
        "source_duplicate_keys": duplicates,
        "source_rate": (1 - _ratio(duplicates, last.rows_read)) if last and last.rows_read else None,
    }
    timeliness = _timeliness(table, now)
    consistency = [_consistency(session, table, schema, rule, resolve) for rule in schema.consistency]

    completeness = _mean(f["completeness"] for f in fields)
    validity = _mean(f["validity"] for f in fields)
    consistency_rate = _mean(c["rate"] for c in consistency if c["status"] == "ok")
    dimensions = {
        "completeness": completeness,
        "validity": validity,
        "uniqueness": _mean([uniqueness["rate"], uniqueness["source_rate"]]),
        "timeliness": timeliness["score"],
        "consistency": consistency_rate,
    }
    present = [v for v in dimensions.values() if v is not None]
    score = round(100 * sum(present) / len(present), 2) if present and rows else 0.0
    return {
        "resource_code": table.resource_code,
        "name": table.name,
        "computed_at": now.isoformat(),
        "rows": rows,
        "rows_failing_current_rules": failing,
        "score": score,
        "dimensions": dimensions,
        "fields": fields,
        "uniqueness": uniqueness,
        "timeliness": timeliness,
        "consistency": consistency,
        "last_ingest": (
            {
                "id": last.id,
                "file_name": last.file_name,
                "finished_at": last.finished_at.isoformat() if last.finished_at else None,
                "rows_read": last.rows_read,
                "rows_rejected": last.rows_rejected,
            }
            if last
            else None
        ),
    }


def _mean(values) -> float | None:  # noqa: ANN001
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 6) if present else None


def _scan_fields(session: Session, table: LibraryTable, schema: TableSchema) -> tuple[int, list[dict], int]:
    """One pass over the current records: filled values per field and re-validation with the compiled schema.

    Returns the number of current records, the per-field figures and how many records fail today's rules.
    """
    n = len(schema.fields)
    filled = [0] * n
    processor = RowProcessor(schema)
    outcome = ProcessedChunk()
    rows = 0
    stmt = select(LibraryRecord.id, LibraryRecord.data).where(
        LibraryRecord.table_id == table.id, LibraryRecord.superseded == 0, LibraryRecord.content_hash != TOMBSTONE
    )
    result = session.execute(stmt.execution_options(yield_per=SCAN_CHUNK))
    for part in result.partitions(SCAN_CHUNK):
        batch = []
        for seq, data in part:
            values = orjson.loads(data) if isinstance(data, str | bytes) else list(data)
            values = values[:n] + [None] * (n - len(values))
            for i, v in enumerate(values):
                if v is not None:
                    filled[i] += 1
            batch.append((seq, tuple(values)))
        rows += len(batch)
        processor.process(batch, outcome, seen={})
    invalid = [0] * n
    rejected_rows = {row for row, _field, _rule, _value in outcome.issues}
    by_field: dict[str, dict[str, int]] = {}
    positions = {f.name: i for i, f in enumerate(schema.fields)}
    for _row, field, rule, _value in outcome.issues:
        if field in positions:
            invalid[positions[field]] += 1
            by_field.setdefault(field, {})
            by_field[field][rule] = by_field[field].get(rule, 0) + 1
    fields = []
    for i, f in enumerate(schema.fields):
        fields.append(
            {
                "name": f.name,
                "title": f.title,
                "required": f.required,
                "filled": filled[i],
                "completeness": _ratio(filled[i], rows),
                "invalid": invalid[i],
                "validity": (1 - _ratio(invalid[i], filled[i])) if filled[i] else None,
                "invalid_by_rule": by_field.get(f.name, {}),
            }
        )
    return rows, fields, len(rejected_rows)


def _timeliness(table: LibraryTable, now: dt.datetime) -> dict:
    cycle_days = CYCLE_DAYS.get(table.update_cycle)
    last = table.last_verified_at
    age = (now - last).total_seconds() / 86400 if last else None
    if cycle_days is None:
        timely, score = None, None
    elif age is None:
        timely, score = False, 0.0
    else:
        timely = age <= cycle_days
        # Full marks within the cycle, then linearly down to 0 at twice the cycle.
        score = 1.0 if timely else round(max(0.0, 1 - (age - cycle_days) / cycle_days), 6)
    return {
        "update_cycle": table.update_cycle,
        "update_cycle_zh": UPDATE_CYCLES_ZH.get(table.update_cycle, table.update_cycle),
        "cycle_days": cycle_days,
        "last_verified_at": last.isoformat() if last else None,
        "last_change_at": table.last_change_at.isoformat() if table.last_change_at else None,
        "age_days": round(age, 3) if age is not None else None,
        "timely": timely,
        "score": score,
    }


def _consistency(session: Session, table: LibraryTable, schema: TableSchema, rule, resolve: Resolver) -> dict:  # noqa: ANN001
    out = {"name": rule.name, "title": rule.title, "rule": rule.rule, "target": rule.target.model_dump()}
    target, target_schema, reason = resolve(rule.target)
    if target is None:
        return {**out, "status": "not_applicable", "reason": reason, "checked": 0, "violations": 0, "rate": None}
    out["target"] = {"code": target.resource_code, "name": target.name}
    local = aliased(LibraryRecord, name="l")
    other = aliased(LibraryRecord, name="t")
    ref = local.data[schema.position(rule.ref_field)].as_string()
    where = [local.table_id == table.id, local.superseded == 0, local.content_hash != TOMBSTONE, ref.is_not(None)]
    for field, values in rule.when.items():
        where.append(local.data[schema.position(field)].as_string().in_(values))
    joined = and_(other.table_id == target.id, other.key == ref, other.superseded == 0, other.content_hash != TOMBSTONE)

    if isinstance(rule, ExistsIn):
        checked = session.scalar(select(func.count()).select_from(local).where(*where))
        missing = ~exists(select(literal(1)).select_from(other).where(joined))
        violations = session.scalar(select(func.count()).select_from(local).where(*where, missing))
        samples = list(session.scalars(select(local.key).where(*where, missing).order_by(local.key).limit(SAMPLE)))
        unmatched = violations
    else:
        if isinstance(rule, MatchesIn):
            theirs = other.data[target_schema.position(rule.target_field)].as_string()
            mine = local.data[schema.position(rule.local_field)].as_string()
            bad = mine.is_distinct_from(theirs)
        elif isinstance(rule, TargetStateNot):
            theirs = other.data[target_schema.position(rule.target_field)].as_string()
            bad = theirs.in_(rule.values)
        else:  # pragma: no cover - the schema model admits no other kind
            raise ValueError(rule.rule)
        base = select(func.count()).select_from(local).join(other, joined).where(*where)
        checked = session.scalar(base)
        violations = session.scalar(base.where(bad))
        sample_stmt = select(local.key).select_from(local).join(other, joined).where(*where, bad)
        samples = list(session.scalars(sample_stmt.order_by(local.key).limit(SAMPLE)))
        total = session.scalar(select(func.count()).select_from(local).where(*where))
        unmatched = total - checked
    return {
        **out,
        "status": "ok",
        "checked": checked,
        "violations": violations,
        "rate": (1 - _ratio(violations, checked)) if checked else None,
        "unmatched": unmatched,
        "samples": samples,
    }
