"""Pydantic shapes of the library API (XCreate / XUpdate / XRead)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from govshare.library.tableschema import TableSchema

#: 更新周期, the catalog's values (catalog/vocab.py UpdateCycle); Chinese labels are accepted as input too.
UPDATE_CYCLES_ZH = {
    "irregular": "不定时", "realtime": "实时", "daily": "每日", "weekly": "每周", "monthly": "每月",
    "quarterly": "每季度", "semiannual": "每半年", "annual": "每年", "other": "其他",
}  # fmt: skip
_CYCLE_BY_LABEL = {zh: en for en, zh in UPDATE_CYCLES_ZH.items()} | {"每天": "daily", "半年": "semiannual"}
UpdateCycle = Annotated[
    Literal["irregular", "realtime", "daily", "weekly", "monthly", "quarterly", "semiannual", "annual", "other"],
    BeforeValidator(lambda v: _CYCLE_BY_LABEL.get(v, v) if isinstance(v, str) else v),
]
BaseName = Literal["person", "legal_entity", "licence", "place", "credit"]
#: Words of the API's paths that may not be a segment of a resource code (they would make /api/v1/library/{code}/…
#: ambiguous). Catalog codes look like ``101001/000001`` (classification code / sequence).
RESERVED_CODES = frozenset(
    {"tables", "schemas", "ingests", "ingest", "quality", "quarantine", "records", "history", "changes"}
)
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$"


class LibraryTableCreate(BaseModel):
    """Declare a library table: a base library (by ``base``) or a thematic one (by ``schema``)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    resource_code: str = Field(
        max_length=64, pattern=CODE_PATTERN, description="目录资源代码 (catalog resource code), e.g. 101001/000001"
    )
    name: str = Field(min_length=2, max_length=128, description="名称, e.g. 示范市低收入家庭专题库")
    base: BaseName | None = Field(default=None, description="基础库: person, legal_entity, licence, place, credit")
    table_schema: TableSchema | None = Field(default=None, alias="schema", description="专题库表结构")
    provider_org_id: str | None = Field(default=None, description="数源部门 (default: the caller's organization)")
    update_cycle: UpdateCycle = "irregular"
    description: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _base_or_schema(self) -> LibraryTableCreate:
        if (self.base is None) == (self.table_schema is None):
            raise ValueError("give exactly one of base (a base library) and schema (a thematic library)")
        if any(part.lower() in RESERVED_CODES for part in self.resource_code.split("/")):
            raise ValueError(f"resource code {self.resource_code!r} uses a reserved word")
        return self


class LibraryTableUpdate(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    name: str | None = Field(default=None, min_length=2, max_length=128)
    update_cycle: UpdateCycle | None = None
    description: str | None = Field(default=None, max_length=2000)
    #: A new version of a thematic schema: fields may only be appended (stored rows keep their positions).
    table_schema: TableSchema | None = Field(default=None, alias="schema")


class LibraryTableRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: int
    resource_code: str
    name: str
    kind: str
    base: str | None
    description: str
    provider_org_id: str
    update_cycle: str
    table_schema: TableSchema = Field(alias="schema")
    schema_version: int
    active: bool
    current_rows: int
    last_change_seq: int
    last_change_at: datetime | None
    last_verified_at: datetime | None
    created_at: datetime


class BaseSchemaRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    base: str
    name: str
    table_schema: TableSchema = Field(alias="schema")


class RuleCount(BaseModel):
    rule: str
    kind: str
    count: int
    message_zh: str
    message_en: str


class IngestRead(BaseModel):
    """The ingest report (导入报告)."""

    id: int
    resource_code: str
    status: str
    file_name: str
    file_size: int
    file_sha256: str | None
    file_format: str
    encoding: str | None
    source_system: str
    actor_id: str
    batch_size: int
    batches: int
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    inserted: int
    updated: int
    unchanged: int
    #: Keys deleted (tombstoned): by a snapshot ingest, or by a deletion request (``mode`` delete).
    deleted: int = 0
    #: upsert | snapshot (全量替换) | delete (a deletion request)
    mode: str = "upsert"
    cleaning: list[RuleCount]
    validation: list[RuleCount]
    warnings: list[RuleCount]
    fields: dict[str, dict[str, int]]
    ignored_columns: list[str] = Field(default_factory=list)
    missing_columns: list[str] = Field(default_factory=list)
    error_code: str | None
    error_message: str | None
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None
    rows_per_second: float | None


class QuarantineRead(BaseModel):
    ingest_id: int
    file_name: str
    row_number: int
    field: str | None
    rule: str
    value: str | None
    message_zh: str
    message_en: str


class Provenance(BaseModel):
    """谁提供、谁负责: who provides the record, from which system, loaded and last confirmed when."""

    provider_org_id: str
    source_system: str
    ingest_id: int
    verified_ingest_id: int
    verified_at: datetime


class RecordRead(BaseModel):
    resource_code: str
    key: str
    seq: int = Field(description="变更序号 (change sequence) of this version")
    current: bool
    prev_seq: int | None
    valid_from: datetime
    valid_to: datetime | None
    content_hash: str
    #: A tombstone: this version records the key's deletion (its values are all null).
    deleted: bool = False
    values: dict[str, Any]
    provenance: Provenance


class ChangesRead(BaseModel):
    resource_code: str
    since: int
    next_since: int = Field(description="pass as ?since= to get the next page")
    has_more: bool
    items: list[RecordRead]


class QualityRunRead(BaseModel):
    id: int
    resource_code: str
    run_at: datetime
    actor_id: str
    rows: int
    score: float
    report: dict[str, Any]


class QualitySummary(BaseModel):
    id: int
    run_at: datetime
    rows: int
    score: float


class DeleteRequest(BaseModel):
    """Keys to delete (批量删除)."""

    keys: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(min_length=1, max_length=1000)
    source_system: str | None = Field(default=None, max_length=64, description="system id or code of the provider")


class DeleteRead(BaseModel):
    resource_code: str
    #: The deletion's ingest record (format ``delete``): who deleted, from which system, when.
    ingest_id: int
    deleted: list[str]
    not_found: list[str]
    last_change_seq: int
