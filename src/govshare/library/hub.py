"""The library as a data source of the exchange gateway (``hub`` adapters): current records by key.

The gateway has already decided the caller's right (share type, grant, items, purpose) and audits the answer;
this adapter only reads. Each row carries its provenance: when this version became current (数据更新时间) and
when its provider last confirmed it (核验时间). Wiring (exchange/gateway.py): ``Gateway.hub = LibraryHubSource(
runtime.db)`` instead of the empty ``HubSource()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govshare.db import Database
from govshare.errors import Problem
from govshare.library.models import LibraryRecord, LibraryRecordVerified, LibraryTable
from govshare.library.store import TOMBSTONE
from govshare.library.tableschema import TableSchema

#: Keys per query: a gateway call names at most a few hundred.
CHUNK = 500


@dataclass(slots=True)
class LibraryAdapter:
    db: Database
    table_id: int
    resource_code: str
    schema: TableSchema
    kind: str = "hub"

    def fetch(self, key_item: str, keys: Sequence[str], items: Sequence[str]) -> dict:
        from govshare.exchange.adapters import FetchedRow  # the exchange's row type (imported late: no cycle)

        key_fields = self.schema.primary_key
        if key_item not in key_fields or len(key_fields) != 1:
            raise Problem(
                422,
                "key_item_unsupported",
                f"该库表按 {key_fields[0]} 查询",
                f"this library table is queried by {', '.join(key_fields)}",
                field="key_item",
            )
        names = self.schema.field_names
        wanted = [n for n in items if n in names] or names
        out: dict[str, FetchedRow] = {}
        with self.db.read() as session:
            for start in range(0, len(keys), CHUNK):
                part = list(keys[start : start + CHUNK])
                rows = session.execute(
                    select(
                        LibraryRecord.key,
                        LibraryRecord.data,
                        LibraryRecord.valid_from,
                        func.coalesce(LibraryRecordVerified.verified_at, LibraryRecord.verified_at),
                    )
                    .outerjoin(LibraryRecordVerified, LibraryRecordVerified.record_id == LibraryRecord.id)
                    .where(
                        LibraryRecord.table_id == self.table_id,
                        LibraryRecord.superseded == 0,
                        LibraryRecord.content_hash != TOMBSTONE,  # a deleted key is not found
                        LibraryRecord.key.in_(part),
                    )
                )
                for key, data, valid_from, verified_at in rows:
                    values = orjson.loads(data) if isinstance(data, str | bytes) else list(data)
                    by_name = dict(zip(names, values, strict=False))
                    out[key] = FetchedRow(
                        values={n: by_name.get(n) for n in wanted},
                        updated_at=valid_from.isoformat(),
                        verified_at=verified_at.isoformat(),
                        source=f"hub:library/{self.resource_code}",
                    )
        return out


class LibraryHubSource:
    """Answers the gateway's "which adapter serves resource CODE?" for resources held in the library."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def adapter_for(self, session: Session, code: str) -> LibraryAdapter | None:
        from govshare.library.service import schema_of

        table = session.scalar(select(LibraryTable).where(LibraryTable.resource_code == code, LibraryTable.active))
        if table is None:
            return None
        return LibraryAdapter(self.db, table.id, table.resource_code, schema_of(table))
