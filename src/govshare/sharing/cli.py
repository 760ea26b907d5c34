"""`govshare sharing ...` commands."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

app = typer.Typer(help="Sharing workflow 共享", no_args_is_help=True)


def _runtime():  # noqa: ANN202
    from govshare.config import get_settings
    from govshare.runtime import Runtime

    return Runtime(get_settings())


@app.command(
    "escalate", help="Escalate overdue requests to the platform operator (协调) and report overdue objections."
)
def escalate(
    today: Annotated[str | None, typer.Option(help="count as if today were YYYY-MM-DD (China time)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    from govshare.identity.principal import PLATFORM
    from govshare.sharing.service import escalate_overdue

    rt = _runtime()
    try:
        with rt.db.write() as session:
            report = escalate_overdue(session, actor=PLATFORM, today=date.fromisoformat(today) if today else None)
    finally:
        rt.close()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "today": report.today.isoformat(),
                    "requests_escalated": report.requests_escalated,
                    "objections_escalated": report.objections_escalated,
                },
                ensure_ascii=False,
            )
        )
    else:
        typer.echo(
            f"{report.today}: {len(report.requests_escalated)} request(s) escalated, "
            f"{len(report.objections_escalated)} overdue objection(s) reported"
        )
        for number in report.requests_escalated + report.objections_escalated:
            typer.echo(f"  {number}")


@app.command("due-date", help="The date N working days after START (holidays and 调休 from chinese-calendar).")
def due_date(
    days: Annotated[int, typer.Argument(help="working days")],
    start: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today, China time)")] = None,
) -> None:
    from govshare.sharing import deadlines as dl

    first = date.fromisoformat(start) if start else dl.today_cst()
    due = dl.add_working_days(first, days)
    note = f"  ({due.note_zh} / {due.note_en})" if due.approximate else ""
    typer.echo(f"{first} + {days} working days = {due.date}{note}")


@app.command("settings", help="Show the workflow settings, or change them: --set reply_working_days=5.")
def settings_cmd(
    set_: Annotated[list[str] | None, typer.Option("--set", help="KEY=VALUE (repeatable)")] = None,
) -> None:
    from govshare.identity.principal import PLATFORM
    from govshare.sharing.service import DEFAULTS, settings, update_settings

    rt = _runtime()
    try:
        with rt.db.write() as session:
            if set_:
                changes = {}
                for pair in set_:
                    key, _, value = pair.partition("=")
                    if key not in DEFAULTS:
                        raise typer.BadParameter(f"unknown setting {key}; known: {', '.join(DEFAULTS)}")
                    changes[key] = value
                values = update_settings(session, actor=PLATFORM, changes=changes)
            else:
                values = settings(session)
    finally:
        rt.close()
    for key, value in values.items():
        typer.echo(f"{key} = {value}")


@app.command("stats", help="Per provider: open and overdue requests and objections (for evaluation).")
def stats() -> None:
    from govshare.identity.principal import PLATFORM
    from govshare.sharing.service import objection_counts, request_counts

    rt = _runtime()
    try:
        with rt.db.read() as session:
            requests = request_counts(session, actor=PLATFORM)
            objections = objection_counts(session, actor=PLATFORM)
    finally:
        rt.close()
    typer.echo("requests 共享申请: provider | pending | overdue | escalated | approved | rejected | registered")
    for r in requests:
        typer.echo(
            f"  {r['org_name']} | {r['pending']} | {r['overdue']} | {r['escalated']} | {r['approved']} | "
            f"{r['rejected']} | {r['registered']}"
        )
    typer.echo("objections 校核纠错: provider | open | overdue | answered | closed | escalated")
    for o in objections:
        typer.echo(
            f"  {o['org_name']} | {o['open']} | {o['overdue']} | {o['answered']} | {o['closed']} | {o['escalated']}"
        )
