"""`govshare catalog ...` commands: import, export, search, template, load-demo.

The commands act as the platform itself (like ``govshare seed``): an operator at the console, not a department's
user. Every change still goes through the catalog service, so it is validated and audited.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Resource catalog 目录: import, export, search.", no_args_is_help=True)


def _runtime():
    from govshare.config import get_settings
    from govshare.runtime import Runtime

    return Runtime(get_settings())


def _org_id(session, ref: str) -> str:  # noqa: ANN001
    from govshare.identity import service as identity
    from govshare.identity.principal import PLATFORM

    for org in identity.list_organizations(session, actor=PLATFORM):
        if ref in (org.id, org.short_code, org.name):
            return org.id
    typer.echo(f"no such organization: {ref}", err=True)
    raise typer.Exit(2)


@app.command("import", help="Import drafts from a .xlsx workbook (or a resources .csv with --items) 导入.")
def import_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx, or the resources sheet as .csv")],
    org: Annotated[str, typer.Option(help="department: short code (gaj), id or name")],
    items: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="items sheet as .csv")] = None,
) -> None:
    from govshare.catalog import spreadsheet
    from govshare.errors import Problem
    from govshare.identity.principal import PLATFORM

    if file.suffix.lower() == ".csv":
        res_rows = spreadsheet.read_csv(file.read_bytes())
        item_rows = spreadsheet.read_csv(items.read_bytes()) if items else None
    else:
        res_rows, item_rows = spreadsheet.read_xlsx(file.read_bytes())
    rt = _runtime()
    try:
        with rt.db.write() as session:
            result = spreadsheet.import_catalog(
                session, actor=PLATFORM, res_rows=res_rows, item_rows=item_rows, org_id=_org_id(session, org)
            )
    except Problem as exc:
        typer.echo(exc.message_zh, err=True)
        for e in exc.extra.get("errors", []):
            where = f"{e.get('sheet', '')} 第{e.get('row', '')}行 {e.get('column') or ''}列".strip()
            typer.echo(f"  {where}: {e['message_zh']}", err=True)
        raise typer.Exit(1) from None
    finally:
        rt.close()
    typer.echo(f"imported: {result.created} created, {result.updated} updated (drafts)")


@app.command("export", help="Export in the import layout: OUT.xlsx, or OUT.csv plus OUT-items.csv 导出.")
def export_cmd(
    out: Annotated[Path, typer.Argument(dir_okay=False, help="output .xlsx or .csv")],
    org: Annotated[str | None, typer.Option(help="only this department (all its entries, drafts included)")] = None,
) -> None:
    from govshare.catalog import service, spreadsheet
    from govshare.identity.principal import PLATFORM

    rt = _runtime()
    try:
        with rt.db.read() as session:
            org_id = _org_id(session, org) if org else None
            resources = service.resources_for_export(session, actor=PLATFORM, org_id=org_id)
            res_rows, item_rows = spreadsheet.export_rows(session, actor=PLATFORM, resources=resources)
    finally:
        rt.close()
    if out.suffix.lower() == ".csv":
        items_out = out.with_name(f"{out.stem}-items.csv")
        out.write_bytes(spreadsheet.csv_bytes(res_rows))
        items_out.write_bytes(spreadsheet.csv_bytes(item_rows))
        typer.echo(f"{len(resources)} resources → {out}, {len(item_rows) - 1} items → {items_out}")
    else:
        out.write_bytes(spreadsheet.workbook_bytes(res_rows, item_rows))
        typer.echo(f"{len(resources)} resources, {len(item_rows) - 1} items → {out}")


@app.command("search", help="Search the catalog (中文全文检索) with filters; --public shows what the public sees.")
def search_cmd(
    q: Annotated[str, typer.Argument(help="query, e.g. 人口")] = "",
    provider: Annotated[list[str] | None, typer.Option(help="department short code or id")] = None,
    share_type: Annotated[list[str] | None, typer.Option()] = None,
    open_type: Annotated[list[str] | None, typer.Option()] = None,
    classification: Annotated[list[str] | None, typer.Option(help="1-digit 类 or 3-digit 类+项")] = None,
    sort: Annotated[str, typer.Option(help="relevance | newest | name | code")] = "",
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    public: Annotated[bool, typer.Option(help="as the public: only the open catalog")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    from govshare.catalog import service
    from govshare.catalog.search import SearchQuery
    from govshare.errors import Problem
    from govshare.identity.principal import PLATFORM

    rt = _runtime()
    try:
        with rt.db.read() as session:
            query = SearchQuery(
                q=q,
                provider=[_org_id(session, p) for p in provider or []],
                share_type=share_type or [],
                open_type=open_type or [],
                classification=classification or [],
                sort=sort,
                limit=limit,
            )
            result = service.search(session, actor=None if public else PLATFORM, query=query)
    except Problem as exc:
        typer.echo(exc.message_zh, err=True)
        raise typer.Exit(1) from None
    finally:
        rt.close()
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        return
    typer.echo(f"{result.total} 条结果 (tokens: {' '.join(result.tokens) or '-'})")
    for h in result.items:
        typer.echo(f"  {h.code:16s} {h.name}  [{h.provider_name}] {h.share_type or '-'} score={h.score}")
    for name, values in result.facets.items():
        if values:
            typer.echo(f"  {name}: " + ", ".join(f"{v.label} {v.count}" for v in values[:8]))


@app.command("template", help="Write the import template (.xlsx) 导入模板.")
def template_cmd(out: Annotated[Path, typer.Argument(dir_okay=False)] = Path("catalog_template.xlsx")) -> None:
    from govshare.catalog import spreadsheet

    out.write_bytes(spreadsheet.template_bytes())
    typer.echo(f"template → {out}")


@app.command("load-demo", help="Publish the demo city's catalog into a seeded store 示范目录.")
def load_demo_cmd() -> None:
    from govshare.identity import service as identity
    from govshare.identity.principal import PLATFORM
    from govshare.seed.catalog_data import load_demo_catalog

    rt = _runtime()
    try:
        with rt.db.write() as session:
            orgs = {o.short_code: o.id for o in identity.list_organizations(session, actor=PLATFORM) if o.short_code}
            if not orgs:
                typer.echo("no departments: run `govshare seed` first", err=True)
                sys.exit(2)
            n = load_demo_catalog(session, orgs_by_short_code=orgs)
    finally:
        rt.close()
    typer.echo(f"demo catalog: {n} resources published")
