"""Table schemas as data (a Table-Schema-like description, cf. frictionlessdata Table Schema).

A schema lists fields (name, Chinese title, type, format, constraints, enumerations, aliases), the primary key,
row rules (checks across fields of one row) and consistency rules (checks against other libraries, run by the
quality report). The five base libraries are declared this way in :mod:`govshare.library.base_schemas`, and a
department declares a thematic library (专题库) with the same JSON, without code.

Field order is storage order: a record's data is the JSON array of its values in field order, so a schema may
only ever append fields (:func:`check_evolution`); positions are stable forever.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FieldType = Literal["string", "date", "integer", "number", "boolean"]
#: Formats of string fields with a standard behind them (their checks live in validators.py).
FieldFormat = Literal["id_number", "uscc", "region_code", "licence_id", "subject_code"]

NAME_RE = r"^[a-z][a-z0-9_]{0,62}$"
MAX_FIELDS = 200
MAX_PATTERN = 200


class FieldSpec(BaseModel):
    """One field (数据项)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_RE, description="ASCII name, e.g. id_number")
    title: str = Field(min_length=1, max_length=64, description="中文名称, e.g. 公民身份号码")
    type: FieldType = "string"
    format: FieldFormat | None = Field(default=None, description="standard check of a string field")
    required: bool = False
    description: str = Field(default="", max_length=500)
    #: Other header names that mean this field (besides ``name`` and ``title``), e.g. 身份证号.
    aliases: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default_factory=list, max_length=20)
    enum: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(default=None, max_length=500)
    #: Source values mapped to a standard term before the enum check (GB/T 2261.1: 1 → 男, 2 → 女).
    enum_map: dict[str, str] | None = None
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    min_length: int | None = Field(default=None, ge=0, le=100_000)
    pattern: str | None = Field(default=None, max_length=MAX_PATTERN)
    minimum: float | None = None
    maximum: float | None = None
    #: Dates: reject dates after the day of ingestion (birth dates, decision dates).
    not_future: bool = False
    #: Dates: "长期", "永久" … mean open-ended and become empty (valid_to of a licence).
    long_term: bool = False
    #: USCC: accept codes whose check character fails (early pilot codes) with a warning instead of rejecting.
    accept_bad_checksum: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if self.format is not None and self.type != "string":
            raise ValueError(f"field {self.name}: format {self.format} needs type string")
        if self.enum is not None:
            if not self.enum:
                raise ValueError(f"field {self.name}: enum must not be empty")
            if len(set(self.enum)) != len(self.enum):
                raise ValueError(f"field {self.name}: enum has duplicates")
            if self.type != "string":
                raise ValueError(f"field {self.name}: enum needs type string")
        if self.enum_map is not None:
            if self.enum is None:
                raise ValueError(f"field {self.name}: enum_map needs enum")
            wrong = sorted(v for v in self.enum_map.values() if v not in self.enum)
            if wrong:
                raise ValueError(f"field {self.name}: enum_map maps to values outside enum: {wrong}")
        if self.min_length is not None and self.max_length is not None and self.min_length > self.max_length:
            raise ValueError(f"field {self.name}: min_length > max_length")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"field {self.name}: minimum > maximum")
        if (self.minimum is not None or self.maximum is not None) and self.type not in ("integer", "number"):
            raise ValueError(f"field {self.name}: minimum/maximum need type integer or number")
        if (self.not_future or self.long_term) and self.type != "date":
            raise ValueError(f"field {self.name}: not_future/long_term need type date")
        if self.accept_bad_checksum and self.format != "uscc":
            raise ValueError(f"field {self.name}: accept_bad_checksum needs format uscc")
        if self.pattern is not None:
            if self.type != "string":
                raise ValueError(f"field {self.name}: pattern needs type string")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"field {self.name}: pattern does not compile: {exc}") from None
        return self


# ---- row rules: checks across the fields of one row, run at ingestion ----------------------------------
class IdNumberConsistency(BaseModel):
    """Gender and birth date agree with the ID number (顺序码奇偶, 出生日期码)."""

    model_config = ConfigDict(extra="forbid")
    rule: Literal["id_number_consistency"]
    id_field: str
    gender_field: str | None = None
    birth_date_field: str | None = None


class DateOrder(BaseModel):
    """``end_field`` is not before ``start_field`` (either may be empty)."""

    model_config = ConfigDict(extra="forbid")
    rule: Literal["date_order"]
    start_field: str
    end_field: str


class CodeByType(BaseModel):
    """A subject code checked by its code type: 111 公民身份号码, 001 统一社会信用代码."""

    model_config = ConfigDict(extra="forbid")
    rule: Literal["code_by_type"]
    code_field: str
    type_field: str


class LicenceIdConsistency(BaseModel):
    """The type code and issuer code inside a GB/T 36903 identifier equal the row's fields."""

    model_config = ConfigDict(extra="forbid")
    rule: Literal["licence_id_consistency"]
    id_field: str
    type_code_field: str | None = None
    issuer_code_field: str | None = None


RowRuleSpec = Annotated[
    IdNumberConsistency | DateOrder | CodeByType | LicenceIdConsistency, Field(discriminator="rule")
]


# ---- consistency rules: checks against another library, run by the quality report ---------------------
class TargetRef(BaseModel):
    """The library a rule looks into: a table code, or "the" table of a base library (when there is one)."""

    model_config = ConfigDict(extra="forbid")
    code: str | None = None
    base: str | None = None

    @model_validator(mode="after")
    def _one(self) -> TargetRef:
        if (self.code is None) == (self.base is None):
            raise ValueError("target needs exactly one of code and base")
        return self


class _ConsistencyBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME_RE)
    title: str = Field(min_length=1, max_length=100)
    #: The field holding the key of the other library's record (e.g. holder_code → person.id_number).
    ref_field: str
    target: TargetRef
    #: Only rows whose fields have these values are checked, e.g. {"holder_code_type": ["111"]}.
    when: dict[str, list[str]] = Field(default_factory=dict)


class ExistsIn(_ConsistencyBase):
    """The referenced key exists in the target library (法定代表人身份证号在人口库中存在)."""

    rule: Literal["exists_in"]


class MatchesIn(_ConsistencyBase):
    """A local field equals a field of the referenced record (持证人姓名与人口库一致)."""

    rule: Literal["matches_in"]
    local_field: str
    target_field: str


class TargetStateNot(_ConsistencyBase):
    """The referenced record's field is not one of ``values`` (已死亡人员不持有有效证照)."""

    rule: Literal["target_state_not"]
    target_field: str
    values: list[str] = Field(min_length=1)


ConsistencySpec = Annotated[ExistsIn | MatchesIn | TargetStateNot, Field(discriminator="rule")]


class TableSchema(BaseModel):
    """A library table's schema (表结构)."""

    model_config = ConfigDict(extra="forbid")

    fields: list[FieldSpec] = Field(min_length=1, max_length=MAX_FIELDS)
    primary_key: list[str] = Field(min_length=1, max_length=5)
    row_rules: list[RowRuleSpec] = Field(default_factory=list, max_length=50)
    consistency: list[ConsistencySpec] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _references(self) -> TableSchema:
        by_name: dict[str, FieldSpec] = {}
        headers: dict[str, str] = {}
        for f in self.fields:
            if f.name in by_name:
                raise ValueError(f"duplicate field name: {f.name}")
            by_name[f.name] = f
            for label in (f.name, f.title, *f.aliases):
                norm = normalize_header(label)
                if headers.get(norm, f.name) != f.name:
                    raise ValueError(f"header {label!r} would mean both {headers[norm]} and {f.name}")
                headers[norm] = f.name
        for name in self.primary_key:
            f = by_name.get(name)
            if f is None:
                raise ValueError(f"primary key field not declared: {name}")
            if not f.required:
                raise ValueError(f"primary key field must be required: {name}")
        if len(set(self.primary_key)) != len(self.primary_key):
            raise ValueError("primary key repeats a field")

        def need(field: str | None, where: str, types: tuple[str, ...] = ()) -> None:
            if field is None:
                return
            if field not in by_name:
                raise ValueError(f"{where}: unknown field {field}")
            if types and by_name[field].type not in types:
                raise ValueError(f"{where}: field {field} must be of type {'/'.join(types)}")

        for r in self.row_rules:
            where = f"row rule {r.rule}"
            if isinstance(r, IdNumberConsistency):
                need(r.id_field, where)
                if by_name[r.id_field].format != "id_number":
                    raise ValueError(f"{where}: {r.id_field} must have format id_number")
                need(r.gender_field, where)
                need(r.birth_date_field, where, ("date",))
            elif isinstance(r, DateOrder):
                need(r.start_field, where, ("date",))
                need(r.end_field, where, ("date",))
            elif isinstance(r, CodeByType):
                need(r.code_field, where)
                need(r.type_field, where)
            elif isinstance(r, LicenceIdConsistency):
                need(r.id_field, where)
                if by_name[r.id_field].format != "licence_id":
                    raise ValueError(f"{where}: {r.id_field} must have format licence_id")
                need(r.type_code_field, where)
                need(r.issuer_code_field, where)
        names = set()
        for c in self.consistency:
            where = f"consistency rule {c.name}"
            if c.name in names:
                raise ValueError(f"duplicate consistency rule name: {c.name}")
            names.add(c.name)
            need(c.ref_field, where)
            for field in c.when:
                need(field, where)
            if isinstance(c, MatchesIn):
                need(c.local_field, where)
        return self

    # ---- helpers ------------------------------------------------------------------------------------
    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def position(self, name: str) -> int:
        for i, f in enumerate(self.fields):
            if f.name == name:
                return i
        raise KeyError(name)

    def field(self, name: str) -> FieldSpec:
        return self.fields[self.position(name)]

    def header_map(self) -> dict[str, int]:
        """Normalized header label → field position (name, title and aliases all map)."""
        out: dict[str, int] = {}
        for i, f in enumerate(self.fields):
            for label in (f.name, f.title, *f.aliases):
                out[normalize_header(label)] = i
        return out


_HEADER_SPACE = re.compile(r"[\s\u3000_\-]+")
_FULLWIDTH_HEADER = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}


def normalize_header(label: str) -> str:
    """Header labels compare ignoring case, spaces, '_'/'-', full-width forms and a BOM."""
    text = label.replace("\ufeff", "").translate(_FULLWIDTH_HEADER).strip().lower()
    return _HEADER_SPACE.sub("", text)


def check_evolution(old: TableSchema, new: TableSchema, *, has_rows: bool) -> list[str]:
    """Reasons why ``new`` may not replace ``old``; empty when it may.

    Stored rows are JSON arrays in field order, so existing fields keep their position, name and type, and the
    key stays the same once rows exist. New fields are appended; a new required field would make every stored
    row incomplete, which the quality report will show, so it is allowed.
    """
    problems: list[str] = []
    if len(new.fields) < len(old.fields):
        problems.append("fields may not be removed (mark them deprecated in the description instead)")
    for i, (a, b) in enumerate(zip(old.fields, new.fields, strict=False)):
        if a.name != b.name:
            problems.append(f"field {i + 1} changes name {a.name} → {b.name}: fields may only be appended")
        elif a.type != b.type:
            problems.append(f"field {a.name} changes type {a.type} → {b.type}")
    if has_rows and new.primary_key != old.primary_key:
        problems.append("the primary key may not change once the table has rows")
    return problems


def schema_from_json(data: Any) -> TableSchema:
    return TableSchema.model_validate(data)
