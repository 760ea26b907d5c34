"""The ``govshare`` command line (typer)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from govshare.config import get_settings

app = typer.Typer(
    help="govshare — 政务数据共享交换平台 (government data sharing and exchange platform)",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Store: migrations. 数据库", no_args_is_help=True)
audit_app = typer.Typer(help="Audit log: verify the chain, sign a checkpoint. 审计", no_args_is_help=True)
feeds_app = typer.Typer(help="Feeds: push delivery to subscribed endpoints. 库表交换推送", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(feeds_app, name="feeds")


def _add_domain_commands() -> None:
    from govshare.catalog.cli import app as catalog_app
    from govshare.library.cli import app as library_app
    from govshare.sharing.cli import app as sharing_app

    app.add_typer(catalog_app, name="catalog")
    app.add_typer(library_app, name="library")

    from govshare.library.cli import ingest

    # `govshare ingest RESOURCE_CODE FILE` (the spelling) is `govshare library ingest`.
    app.command("ingest", help="Ingest a file into a library table (same as `govshare library ingest`).")(ingest)
    app.add_typer(sharing_app, name="sharing")


_add_domain_commands()


def _runtime():
    from govshare.runtime import Runtime

    return Runtime(get_settings())


@db_app.command("upgrade", help="Apply all schema migrations to the configured store.")
def db_upgrade(revision: str = "heads") -> None:
    from govshare.migrate import upgrade

    rt = _runtime()
    try:
        upgrade(rt.db, revision)
        typer.echo(f"store at {revision}: {rt.db.engine.url.render_as_string(hide_password=True)}")
    finally:
        rt.close()


@feeds_app.command("deliver", help="POST the next page to every due push subscription; repeat until stopped.")
def feeds_deliver(
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False,
) -> None:
    import time

    from govshare.exchange.push import deliver_due

    rt = _runtime()
    try:
        while True:
            report = deliver_due(rt)
            typer.echo(report.describe())
            if once:
                break
            if not report.delivered:
                time.sleep(rt.settings.feeds_push_interval_seconds)
    except KeyboardInterrupt:
        pass
    finally:
        rt.close()


@app.command(help="Serve the API on HOST:PORT.")
def serve(
    host: Annotated[str, typer.Option(help="address to bind")] = "",
    port: Annotated[int, typer.Option(help="port")] = 0,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
) -> None:
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "govshare.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@app.command(help="Load the synthetic city (示范市) into the store: departments, systems, staff, persons.")
def seed(
    persons: Annotated[int, typer.Option(help="synthetic persons to generate (CSV under data dir)")] = 10_000,
    seed_value: Annotated[int, typer.Option("--seed", help="random seed; same seed, same city")] = 2026,
    out: Annotated[Path | None, typer.Option(help="where to write persons.csv (default DATA_DIR/seed)")] = None,
) -> None:
    from govshare.seed.service import seed_city

    rt = _runtime()
    try:
        summary = seed_city(rt, seed=seed_value, persons=persons, out_dir=out)
        typer.echo(summary.describe())
    finally:
        rt.close()


@app.command(help="Migrate, seed the demo city if the store is empty, print the logins, and serve.")
def demo(
    port: Annotated[int, typer.Option(help="port")] = 8000,
    persons: Annotated[int, typer.Option(help="synthetic persons on first start")] = 10_000,
) -> None:
    from govshare.migrate import upgrade
    from govshare.seed.service import demo_credentials, seed_city, store_is_empty

    rt = _runtime()
    try:
        upgrade(rt.db)
        if store_is_empty(rt):
            typer.echo("首次启动: 正在生成示范市数据 (first start: seeding the demo city) ...")
            seed_city(rt, seed=2026, persons=persons)
        typer.echo(demo_credentials(rt, port=port))
    finally:
        rt.close()
    serve(host="127.0.0.1", port=port, workers=1)


@audit_app.command("verify", help="Walk the whole audit chain and check every checkpoint.")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    since_checkpoint: Annotated[
        bool, typer.Option("--since-checkpoint", help="only what came after the newest valid checkpoint")
    ] = False,
) -> None:
    from govshare.audit.service import verify_chain

    rt = _runtime()
    try:
        report = verify_chain(rt.db, rt.keys, hash_alg=rt.settings.audit_hash, since_checkpoint=since_checkpoint)
    finally:
        rt.close()
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    elif report.ok:
        typer.echo(
            f"OK: {report.records} records, {report.checkpoints} checkpoints verified "
            f"in {report.seconds:.2f} s ({report.rate:,.0f} records/s)"
        )
    else:
        f = report.fault
        assert f is not None
        typer.echo(f"FAILED at seq {f.seq}: {f.kind} — {f.message} ({report.records} records verified before it)")
    if not report.ok:
        sys.exit(1)


@app.command(help="Check a sealed answer (JSON file) offline against the platform's public keys.")
def verify(
    file: Annotated[Path, typer.Argument(help="sealed answer as saved from the gateway ('-' for stdin)")],
    keys: Annotated[str, typer.Option(help="JWKS file or URL (…/api/v1/keys); default: this platform's keys")] = "",
) -> None:
    from govshare.exchange.envelope import SealError, verify_sealed

    raw = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    if keys.startswith(("http://", "https://")):
        import httpx

        jwks = httpx.get(keys, timeout=10).json()
    elif keys:
        jwks = json.loads(Path(keys).read_text(encoding="utf-8"))
    else:
        from govshare.crypto.signer import KeyStore

        jwks = KeyStore(get_settings().keys_dir).public_jwks()
    try:
        envelope = verify_sealed(json.loads(raw), jwks)
    except (SealError, ValueError) as exc:
        typer.echo(f"INVALID: {exc}")
        raise typer.Exit(1) from None
    resource = envelope.get("resource", {})
    typer.echo(
        f"VALID: {resource.get('code', '?')} v{resource.get('version', '?')} from "
        f"{resource.get('provider', {}).get('name', '?')}, request {envelope.get('request_id')}, "
        f"at {envelope.get('at')}"
    )


@audit_app.command("checkpoint", help="Sign the current chain head now.")
def audit_checkpoint() -> None:
    rt = _runtime()
    try:
        cp = rt.audit.checkpoint()
    finally:
        rt.close()
    typer.echo(f"checkpoint at seq {cp.seq}: {cp.hash}" if cp else "chain head already checkpointed")


if __name__ == "__main__":
    app()
