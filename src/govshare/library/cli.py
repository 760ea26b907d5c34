"""`govshare library ...` commands: tables, ingest, ingest reports, quality. They act as the platform itself."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Unified resource library: tables, ingest, quality. 统一资源库", no_args_is_help=True)


def _runtime():
    from govshare.config import get_settings
    from govshare.runtime import Runtime

    return Runtime(get_settings())


def _fail(exc: Exception) -> None:
    from govshare.errors import Problem

    if isinstance(exc, Problem):
        typer.echo(f"错误 error [{exc.code}]: {exc.message_zh} / {exc.message_en}", err=True)
        for key, value in exc.extra.items():
            typer.echo(f"  {key}: {value}", err=True)
        raise typer.Exit(2) from None
    raise exc


def _org_id(session, ref: str) -> str:  # noqa: ANN001
    from govshare.identity import service as identity
    from govshare.identity.principal import PLATFORM

    for org in identity.list_organizations(session, actor=PLATFORM):
        if ref in (org.id, org.short_code, org.name):
            return org.id
    raise typer.BadParameter(f"no organization {ref!r} (give its id, short code or name)")


def _dump(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@app.command("schemas", help="List the base library schemas (field, title, type, rules).")
def schemas(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    from govshare.library import service

    items = service.list_base_schemas()
    if as_json:
        _dump([i.model_dump(mode="json", by_alias=True) for i in items])
        return
    for item in items:
        typer.echo(f"{item.base}  {item.name}  key={','.join(item.table_schema.primary_key)}")
        for f in item.table_schema.fields:
            extra = f.format or f.type
            flag = "*" if f.required else " "
            typer.echo(f"   {flag} {f.name:<24} {f.title:<12} {extra}")


@app.command("tables", help="List library tables.")
def tables(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    from govshare.identity.principal import PLATFORM
    from govshare.library import service

    rt = _runtime()
    try:
        with rt.db.read() as session:
            rows = [service.table_read(t) for t in service.list_tables(session, actor=PLATFORM)]
    finally:
        rt.close()
    if as_json:
        _dump([r.model_dump(mode="json", by_alias=True) for r in rows])
        return
    for r in rows:
        typer.echo(f"{r.resource_code:<20} {r.kind:<8} {r.base or '-':<13} {r.current_rows:>10} rows  {r.name}")


@app.command("create", help="Register a base library table: CODE NAME --base person --provider gaj.")
def create(
    code: Annotated[str, typer.Argument(help="catalog resource code")],
    name: Annotated[str, typer.Argument(help="table name, e.g. 示范市人口基础库")],
    base: Annotated[str, typer.Option(help="person, legal_entity, licence, place, credit")],
    provider: Annotated[str, typer.Option(help="data-source department: id, short code or name")],
    update_cycle: Annotated[str, typer.Option("--cycle", help="更新周期: daily, monthly … or 每日, 每月 …")] = "daily",
) -> None:
    from govshare.identity.principal import PLATFORM
    from govshare.library import service
    from govshare.library.schemas import LibraryTableCreate

    rt = _runtime()
    try:
        with rt.db.write() as session:
            data = LibraryTableCreate(
                resource_code=code,
                name=name,
                base=base,
                provider_org_id=_org_id(session, provider),
                update_cycle=update_cycle,
            )
            table = service.create_table(session, actor=PLATFORM, data=data)
            typer.echo(f"created {table.resource_code} ({table.kind} {table.base})")
    except Exception as exc:
        _fail(exc)
    finally:
        rt.close()


@app.command("declare", help="Declare a thematic library from a JSON file {resource_code, name, provider, schema}.")
def declare(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    from pydantic import ValidationError

    from govshare.identity.principal import PLATFORM
    from govshare.library import service
    from govshare.library.schemas import LibraryTableCreate

    doc = json.loads(path.read_text(encoding="utf-8"))
    rt = _runtime()
    try:
        with rt.db.write() as session:
            if "provider" in doc:
                doc["provider_org_id"] = _org_id(session, doc.pop("provider"))
            try:
                data = LibraryTableCreate.model_validate(doc)
            except ValidationError as exc:
                typer.echo(f"声明无效 invalid declaration:\n{exc}", err=True)
                raise typer.Exit(2) from None
            table = service.create_table(session, actor=PLATFORM, data=data)
            typer.echo(f"declared {table.resource_code}: {len(service.schema_of(table).fields)} fields")
    except typer.Exit:
        raise
    except Exception as exc:
        _fail(exc)
    finally:
        rt.close()


def _print_report(report, quarantine) -> None:  # noqa: ANN001
    typer.echo(
        f"ingest {report.id} [{report.status}] {report.resource_code} ← {report.file_name} "
        f"({report.file_format}, {report.encoding or '-'})"
    )
    typer.echo(
        f"  rows read {report.rows_read:,}  accepted {report.rows_accepted:,}  rejected {report.rows_rejected:,}  "
        f"| inserted {report.inserted:,}  updated {report.updated:,}  unchanged {report.unchanged:,}"
        + (f"  deleted {report.deleted:,} ({report.mode})" if report.mode != "upsert" else "")
    )
    if report.seconds:
        typer.echo(f"  {report.seconds:.2f} s, {report.rows_per_second or 0:,.0f} rows/s, {report.batches} batches")
    sections = (("cleaning 清洗", report.cleaning), ("rejected 校验", report.validation), ("warnings", report.warnings))
    for title, items in sections:
        if items:
            typer.echo(f"  {title}:")
            for item in items:
                typer.echo(f"    {item.rule:<32} {item.count:>9,}  {item.message_zh}")
    if report.ignored_columns:
        typer.echo(f"  ignored columns: {', '.join(report.ignored_columns)}")
    if report.error_code:
        typer.echo(f"  error: {report.error_code}: {report.error_message}")
    if quarantine:
        typer.echo("  quarantine (first rows):")
        for q in quarantine:
            typer.echo(f"    row {q.row_number:>8}  {q.field or '-':<20} {q.rule:<28} {q.value!r}")


@app.command("ingest", help="Ingest FILE (CSV, .xlsx, JSON Lines, Parquet) into library table CODE.")
def ingest(
    code: Annotated[str, typer.Argument(help="resource code of the library table")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    file_format: Annotated[str | None, typer.Option("--format", help="csv, xlsx, jsonl, parquet")] = None,
    encoding: Annotated[str | None, typer.Option(help="utf-8 or gb18030 (default: detected)")] = None,
    delimiter: Annotated[str, typer.Option(help="CSV delimiter")] = ",",
    sheet: Annotated[str | None, typer.Option(help="Excel sheet name (default: the first)")] = None,
    batch_size: Annotated[int, typer.Option(help="rows per atomic batch")] = 50_000,
    source_system: Annotated[str | None, typer.Option(help="provider's system id or code")] = None,
    show: Annotated[int, typer.Option(help="quarantined values to print")] = 10,
    row_by_row: Annotated[bool, typer.Option(help="skip the vectorized fast path (for comparison)")] = False,
    mode: Annotated[
        str, typer.Option(help="upsert, or snapshot: the file is the whole table, absent keys are deleted")
    ] = "upsert",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    from govshare.identity.principal import PLATFORM
    from govshare.library import service
    from govshare.library.ingest import IngestOptions

    rt = _runtime()
    try:
        options = IngestOptions(
            format=file_format,
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            batch_size=batch_size,
            vectorized=not row_by_row,
            mode=mode,
        )
        ingest_id = service.ingest(
            rt.db, actor=PLATFORM, code=code, path=file, options=options, source_system=source_system
        )
        with rt.db.read() as session:
            report = service.ingest_read(service.get_ingest(session, actor=PLATFORM, ingest_id=ingest_id))
            rejected = service.list_quarantine(session, actor=PLATFORM, ingest_id=ingest_id, limit=max(show, 1))
    except Exception as exc:
        _fail(exc)
    finally:
        rt.close()
    if as_json:
        _dump(report.model_dump(mode="json"))
    else:
        _print_report(report, rejected[:show])
    if report.status != "completed":
        sys.exit(1)


@app.command("report", help="Show an ingest report and its quarantined values.")
def report(
    ingest_id: int,
    show: Annotated[int, typer.Option(help="quarantined values to print")] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    from govshare.identity.principal import PLATFORM
    from govshare.library import service

    rt = _runtime()
    try:
        with rt.db.read() as session:
            result = service.ingest_read(service.get_ingest(session, actor=PLATFORM, ingest_id=ingest_id))
            rejected = service.list_quarantine(session, actor=PLATFORM, ingest_id=ingest_id, limit=max(show, 1))
    except Exception as exc:
        _fail(exc)
    finally:
        rt.close()
    if as_json:
        _dump({**result.model_dump(mode="json"), "quarantine": [q.model_dump() for q in rejected[:show]]})
    else:
        _print_report(result, rejected[:show])


@app.command("quality", help="Compute, store and print the data quality report of library table CODE.")
def quality(code: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    from govshare.identity.principal import PLATFORM
    from govshare.library import service

    rt = _runtime()
    try:
        with rt.db.write() as session:
            run = service.run_quality(session, actor=PLATFORM, code=code)
            doc = run.report
    except Exception as exc:
        _fail(exc)
    finally:
        rt.close()
    if as_json:
        _dump(doc)
        return
    typer.echo(f"{doc['resource_code']} {doc['name']}: {doc['rows']:,} records, score {doc['score']}")
    dims = "  ".join(f"{k} {'-' if v is None else f'{v:.2%}'}" for k, v in doc["dimensions"].items())
    typer.echo(f"  {dims}")
    typer.echo("  field                      completeness  validity  source validity")
    for f in doc["fields"]:
        row = [f["completeness"], f["validity"], f["source_validity"]]
        cells = "  ".join(f"{'-' if v is None else f'{v:.2%}':>12}" for v in row)
        typer.echo(f"  {f['name']:<24} {cells}")
    t = doc["timeliness"]
    cycle = f"{t['update_cycle']} {t['update_cycle_zh']}"
    typer.echo(f"  timeliness: cycle {cycle}, last ingest {t['last_verified_at']}, timely {t['timely']}")
    for c in doc["consistency"]:
        if c["status"] != "ok":
            typer.echo(f"  [{c['name']}] {c['title']}: not applicable ({c.get('reason')})")
        else:
            found = f"{c['violations']:,} of {c['checked']:,} violate"
            typer.echo(f"  [{c['name']}] {c['title']}: {found}; e.g. {c['samples'][:3]}")
