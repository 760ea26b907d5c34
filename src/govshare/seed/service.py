"""Seeding the demo city end to end: identities, persons, and (when those domains exist) catalog and library.

``govshare seed`` and ``govshare demo`` call :func:`seed_city`. The API keys of the demo systems are shown
once at creation like any key; for the demo they are also kept in ``{data_dir}/demo-credentials.json``
(owner-readable only) so ``make demo`` can print them again on later starts.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from govshare.identity.models import Organization
from govshare.identity.principal import PLATFORM
from govshare.runtime import Runtime
from govshare.seed.catalog_data import load_demo_catalog
from govshare.seed.city import build_city
from govshare.seed.library_data import load_demo_library, load_open_library
from govshare.seed.load import load_city
from govshare.seed.persons import write_persons_csv

CREDENTIALS_FILE = "demo-credentials.json"


@dataclass
class SeedSummary:
    city: str
    organizations: int
    systems: int
    users: int
    persons: int
    persons_csv: Path
    seconds: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        lines = [
            f"示范市 seeded: {self.organizations} departments, {self.systems} systems, {self.users} staff users",
            f"persons: {self.persons:,} rows in {self.persons_csv}",
        ]
        lines += [f"{k}: {v}" for k, v in self.extra.items()]
        lines.append("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items()))
        return "\n".join(lines)


def store_is_empty(rt: Runtime) -> bool:
    with rt.db.read() as s:
        return not s.scalar(select(func.count()).select_from(Organization))


def seed_city(rt: Runtime, *, seed: int = 2026, persons: int = 10_000, out_dir: Path | None = None) -> SeedSummary:
    if not store_is_empty(rt):
        raise RuntimeError("the store already holds organizations; seed an empty store")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    city = build_city(seed)
    with rt.db.write() as session:
        summary = load_city(session, city, actor=PLATFORM)
    timings["identities"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    orgs_by_short_code = {o["short_code"]: o["id"] for o in summary["organizations"]}
    with rt.db.write() as session:
        resources = load_demo_catalog(session, orgs_by_short_code=orgs_by_short_code)
    timings["catalog"] = time.perf_counter() - t0

    out_dir = Path(out_dir) if out_dir else rt.settings.data_dir / "seed"
    out_dir.mkdir(parents=True, exist_ok=True)
    persons_csv = out_dir / "persons.csv"
    t0 = time.perf_counter()
    write_persons_csv(persons_csv, persons, seed=seed)
    timings["persons"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    library = load_demo_library(rt, persons_csv=persons_csv, orgs_by_short_code=orgs_by_short_code)
    opened = load_open_library(rt, orgs_by_short_code=orgs_by_short_code, seed=seed)  # open data, for downloads
    library = {**library, "ingests": [*library.get("ingests", []), *opened["ingests"]]}
    timings["library"] = time.perf_counter() - t0

    _save_credentials(rt, summary)
    rt.audit.checkpoint()  # sign the head, so the seeded history is attested from the start
    return SeedSummary(
        city=city.name,
        organizations=len(summary["organizations"]),
        systems=len(summary["systems"]),
        users=len(summary["users"]),
        persons=persons,
        persons_csv=persons_csv,
        seconds=timings,
        extra={"catalog resources published": resources, "library": _library_line(library)},
    )


def _library_line(summary: dict[str, Any]) -> str:
    ingests = summary.get("ingests", [])
    accepted = sum(i.get("accepted") or 0 for i in ingests)
    rejected = sum(i.get("rejected") or 0 for i in ingests)
    return f"{len(ingests)} files ingested, {accepted:,} rows accepted, {rejected:,} quarantined"


def _save_credentials(rt: Runtime, summary: dict[str, Any]) -> None:
    path = rt.settings.data_dir / CREDENTIALS_FILE
    data = {k: summary[k] for k in ("city", "password", "systems", "users")}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)


def demo_credentials(rt: Runtime, *, port: int = 8000) -> str:
    """The text ``make demo`` prints: where to go, who to log in as, which API keys to use."""
    path = rt.settings.data_dir / CREDENTIALS_FILE
    base = f"http://127.0.0.1:{port}"
    lines = [
        "",
        "=" * 78,
        f" govshare 示范市 demo — {base}   (API docs: {base}/docs)",
        "=" * 78,
    ]
    if not path.exists():
        lines.append(" (no demo credentials file: this store was not seeded by `govshare demo`)")
        return "\n".join(lines)
    data = json.loads(path.read_text(encoding="utf-8"))
    lines.append(f" Staff logins (password for all: {data['password']}):")
    by_role: dict[str, list[str]] = {}
    for u in data["users"]:
        for role in u["roles"]:
            by_role.setdefault(role, []).append(f"{u['username']} ({u['display_name']})")
    for role, users in by_role.items():
        shown = ", ".join(users[:4]) + (f", … +{len(users) - 4}" if len(users) > 4 else "")
        lines.append(f"   {role:16s} {shown}")
    lines.append(" System API keys (header  X-API-Key: <key>):")
    for s in data["systems"][:8]:
        lines.append(f"   {s['org']:6s} {s['code']:18s} {s['api_key']}")
    if len(data["systems"]) > 8:
        lines.append(f"   … {len(data['systems']) - 8} more in {path}")
    lines.append(f" Example:  curl -H 'X-API-Key: {data['systems'][0]['api_key']}' {base}/api/v1/auth/me")
    lines.append("=" * 78)
    return "\n".join(lines)
