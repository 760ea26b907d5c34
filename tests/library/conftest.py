"""Library fixtures: tables registered in the small world, and files to ingest."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from govshare.identity.principal import PLATFORM
from govshare.library import service
from govshare.library.ingest import IngestOptions
from govshare.library.schemas import LibraryTableCreate
from govshare.seed.persons import PERSON_FIELDS, iter_persons

PERSON_CODE = "RK-331900-0001"
ENTITY_CODE = "FR-331900-0001"
LICENCE_CODE = "ZZ-331900-0001"


@dataclass
class Lib:
    runtime: object
    world: object

    def ingest(self, code: str, path: Path, actor=PLATFORM, **options) -> object:
        ingest_id = service.ingest(self.runtime.db, actor=actor, code=code, path=path, options=IngestOptions(**options))
        return self.report(ingest_id)

    def report(self, ingest_id: int):
        with self.runtime.db.read() as s:
            return service.ingest_read(service.get_ingest(s, actor=PLATFORM, ingest_id=ingest_id))

    def quarantine(self, ingest_id: int, **kw) -> list:
        with self.runtime.db.read() as s:
            return service.list_quarantine(s, actor=PLATFORM, ingest_id=ingest_id, limit=1000, **kw)

    def record(self, code: str, key: str, as_of: dt.datetime | None = None):
        with self.runtime.db.read() as s:
            return service.get_record(s, actor=PLATFORM, code=code, key=key, as_of=as_of)

    def history(self, code: str, key: str) -> list:
        with self.runtime.db.read() as s:
            return service.record_history(s, actor=PLATFORM, code=code, key=key)

    def table(self, code: str):
        with self.runtime.db.read() as s:
            return service.table_read(service.get_table(s, actor=PLATFORM, code=code))

    def stats(self, code: str) -> dict[str, int]:
        with self.runtime.db.read() as s:
            return service.table_stats(s, actor=PLATFORM, code=code)

    def create(self, code: str, base: str, provider_org_id: str, cycle: str = "每日") -> None:
        with self.runtime.db.write() as s:
            service.create_table(
                s,
                actor=PLATFORM,
                data=LibraryTableCreate(
                    resource_code=code, name=f"{base} {code}", base=base, provider_org_id=provider_org_id,
                    update_cycle=cycle,
                ),
            )  # fmt: skip


@pytest.fixture
def lib(runtime, world) -> Lib:
    """The person library (provider: 公安局 = world.a) registered, empty."""
    lib = Lib(runtime, world)
    lib.create(PERSON_CODE, "person", world.a.org_id)
    return lib


def write_csv(path: Path, header, rows, encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def person_rows(n: int, seed: int = 1) -> list[list[str]]:
    """Synthetic persons as CSV rows (all valid), from the seeder."""
    return [[v.isoformat() if isinstance(v, dt.date) else v for v in row] for row in iter_persons(n, seed)]


PERSON_HEADER = list(PERSON_FIELDS)
