"""Pydantic shapes of the catalog API.

``ResourceContent`` is the editable metadata of one resource (what a catalog manager writes, what a spreadsheet
row holds, what a published version snapshots). Field-level rules live here; rules across fields (an L4 item in an
open resource, a condition for 有条件共享 …) live in :mod:`govshare.catalog.validation` so that the API and the
spreadsheet import report them the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from govshare.catalog.vocab import (
    ClassificationKind,
    DataType,
    Network,
    OpenType,
    ResourceFormat,
    Sensitivity,
    ServedBy,
    ShareMode,
    ShareReason,
    ShareType,
    UpdateCycle,
)

MACHINE_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
CLASSIFICATION_CODE = r"^[1-3][0-9]{5}([0-9]{3})?$"


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _dedupe(values: list) -> list:
    seen: dict = {}
    for v in values:
        seen.setdefault(v, None)
    return list(seen)


class ItemIn(BaseModel):
    """A data item (信息项)."""

    name: str = Field(min_length=1, max_length=128, description="信息项中文名称")
    machine_name: str = Field(pattern=MACHINE_NAME, description="字段名 (ASCII), unique in the resource")
    data_type: DataType | None = Field(default=None, description="数据类型")
    length: int | None = Field(default=None, ge=1, le=1_000_000, description="长度")
    description: str = Field(default="", max_length=2000, description="描述")
    is_key: bool = Field(default=False, description="是否可作为查询条件 (query key)")
    share_type: ShareType | None = Field(default=None, description="信息项共享类型; empty: as the resource")
    is_secret: bool = Field(default=False, description="是否涉密")
    is_sensitive: bool = Field(default=False, description="是否敏感")
    sensitivity: Sensitivity | None = Field(default=None, description="敏感级别 L1–L4")
    masking: str | None = Field(default=None, max_length=64, description="脱敏规则, e.g. keep:6:4")

    _strip_text = field_validator("name", "description", "masking", mode="before")(_strip)

    @field_validator("machine_name", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("masking")
    @classmethod
    def _empty_none(cls, value: str | None) -> str | None:
        return value or None


class ResourceContent(BaseModel):
    """The editable metadata of a resource (GB/T 21063 / 编制指南)."""

    classification_kind: ClassificationKind = Field(description="资源分类: 基础/主题/部门")
    classification_code: str = Field(pattern=CLASSIFICATION_CODE, description="分类代码: 类1+项2+目3(+细目3)")
    name: str = Field(min_length=2, max_length=200, description="资源名称")
    summary: str = Field(default="", max_length=4000, description="摘要")
    keywords: list[str] = Field(default_factory=list, max_length=20, description="关键词")
    formats: list[ResourceFormat] = Field(default_factory=list, max_length=8, description="资源格式")
    share_type: ShareType | None = Field(default=None, description="共享类型")
    share_condition: str = Field(default="", max_length=2000, description="共享条件")
    share_basis: str = Field(default="", max_length=2000, description="共享依据 (法律法规/政策文件)")
    share_reason: ShareReason | None = Field(default=None, description="有条件/不予共享的原因类别")
    share_modes: list[ShareMode] = Field(default_factory=list, max_length=3, description="共享方式")
    open_type: OpenType | None = Field(default=None, description="开放类型")
    open_condition: str = Field(default="", max_length=2000, description="开放条件")
    update_cycle: UpdateCycle | None = Field(default=None, description="更新周期")
    network: Network | None = Field(default=None, description="网络类型")
    related_codes: list[str] = Field(default_factory=list, max_length=50, description="关联资源代码")
    is_data_source: bool = Field(default=False, description="是否数源部门 (designated source of this data)")
    items: list[ItemIn] = Field(default_factory=list, max_length=500, description="信息项")

    _strip_text = field_validator(
        "name", "summary", "share_condition", "share_basis", "open_condition", "classification_code", mode="before"
    )(_strip)

    @field_validator("keywords", "related_codes", mode="before")
    @classmethod
    def _clean_list(cls, value: Any) -> Any:
        if isinstance(value, list):
            return _dedupe([v.strip() for v in value if isinstance(v, str) and v.strip()])
        return value

    @field_validator("keywords")
    @classmethod
    def _keyword_length(cls, value: list[str]) -> list[str]:
        for kw in value:
            if len(kw) > 32:
                raise ValueError("a keyword is at most 32 characters")
        return value

    @field_validator("formats", "share_modes")
    @classmethod
    def _unique(cls, value: list) -> list:
        return _dedupe(value)


class ResourceCreate(ResourceContent):
    provider_org_id: str | None = Field(default=None, description="提供方; default: the caller's organization")


class ItemPatch(ItemIn):
    pass


class ResourcePatch(BaseModel):
    """A partial change: fields not given keep their value. ``items``, when given, replaces the whole list."""

    model_config = ConfigDict(extra="forbid")

    classification_kind: ClassificationKind | None = None
    classification_code: str | None = Field(default=None, pattern=CLASSIFICATION_CODE)
    name: str | None = Field(default=None, min_length=2, max_length=200)
    summary: str | None = Field(default=None, max_length=4000)
    keywords: list[str] | None = None
    formats: list[ResourceFormat] | None = None
    share_type: ShareType | None = None
    share_condition: str | None = None
    share_basis: str | None = None
    share_reason: ShareReason | None = None
    share_modes: list[ShareMode] | None = None
    open_type: OpenType | None = None
    open_condition: str | None = None
    update_cycle: UpdateCycle | None = None
    network: Network | None = None
    related_codes: list[str] | None = None
    is_data_source: bool | None = None
    items: list[ItemIn] | None = None


class ItemRead(ItemIn):
    model_config = ConfigDict(from_attributes=True)
    effective_share_type: ShareType | None = Field(default=None, description="the item's share type, or the resource's")
    labels: dict[str, str] = Field(default_factory=dict, description="中文标签 of the enum fields")


class DuplicateItem(BaseModel):
    name: str
    machine_name: str


class DuplicateHit(BaseModel):
    """A published resource of the designated data-source department that already provides some of the items."""

    resource_id: str
    code: str
    name: str
    provider_org_id: str
    provider_name: str
    items: list[DuplicateItem]


class ResourceRead(BaseModel):
    id: str
    code: str
    provider_org_id: str
    provider_name: str
    provider_code: str = Field(description="提供方代码 (统一社会信用代码)")
    status: str
    status_label: str
    is_listed: bool
    version: int | None = Field(description="current published version")
    classification_kind: str
    classification_code: str
    name: str
    summary: str
    keywords: list[str]
    formats: list[str]
    share_type: str | None
    share_condition: str
    share_basis: str
    share_reason: str | None
    share_modes: list[str]
    open_type: str | None
    open_condition: str
    update_cycle: str | None
    network: str | None
    related_codes: list[str]
    is_data_source: bool
    items: list[ItemRead]
    labels: dict[str, Any] = Field(default_factory=dict, description="中文标签 of the enum fields")
    served_by: str | None
    served_by_ref: str | None
    completeness: float
    published_at: datetime | None
    modified_at: datetime | None
    created_at: datetime
    updated_at: datetime
    revision: ResourceContent | None = Field(
        default=None, description="pending change to the published entry (provider and reviewers only)"
    )
    duplicates: list[DuplicateHit] | None = Field(
        default=None, description="重复采集: resources of the data-source department already providing these items"
    )


class Finding(BaseModel):
    field: str | None = None
    code: str
    severity: Literal["fail", "warn"]
    message_zh: str
    message_en: str
    refs: list[str] = Field(default_factory=list, description="resource codes the finding points at")


class CheckResult(BaseModel):
    name: Literal["uniqueness", "completeness", "relevance", "clarity"]
    label: str
    status: Literal["pass", "warn", "fail"]
    findings: list[Finding]


class CompletenessPart(BaseModel):
    filled: int
    total: int
    missing: list[str] = Field(default_factory=list)


class CompletenessRead(BaseModel):
    score: float = Field(description="0–100")
    required: CompletenessPart
    recommended: CompletenessPart
    items_described: CompletenessPart


class ChecksRead(BaseModel):
    """The four review checks (唯一性、完整性、关联性、表述性) and the duplicate-collection check (条例809)."""

    resource_id: str
    checks: list[CheckResult]
    duplicates: list[DuplicateHit]
    completeness: CompletenessRead
    ok: bool = Field(description="no check failed and no duplicate collection found")


class SubmitBody(BaseModel):
    note: str = Field(default="", max_length=2000)


class DecisionBody(BaseModel):
    reason: str = Field(
        default="", max_length=2000, description="审核意见; required to reject or to override failed checks"
    )


class RevokeBody(BaseModel):
    reason: str = Field(min_length=2, max_length=2000, description="撤销理由")


class ServedByUpdate(BaseModel):
    served_by: ServedBy | None
    ref: str | None = Field(default=None, max_length=500, description="table, data source id or endpoint")


class ReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    resource_id: str
    resource_code: str = ""
    resource_name: str = ""
    provider_org_id: str = ""
    kind: str
    target_version: int | None
    submitted_by: str
    submitted_by_name: str
    submitted_at: datetime
    note: str
    checks: dict[str, Any]
    decision: str | None
    decided_by: str | None
    decided_by_name: str | None
    decided_at: datetime | None
    reason: str


class VersionSummary(BaseModel):
    version: int
    published_at: datetime
    approved_by: str


class VersionRead(VersionSummary):
    snapshot: dict[str, Any]


class FieldChange(BaseModel):
    field: str
    old: Any = None
    new: Any = None


class ItemChange(BaseModel):
    machine_name: str
    changes: list[FieldChange]


class DiffRead(BaseModel):
    from_version: int | str
    to_version: int | str
    fields: list[FieldChange]
    items_added: list[str]
    items_removed: list[str]
    items_changed: list[ItemChange]


class FacetValue(BaseModel):
    value: str
    label: str
    count: int


class SearchHit(BaseModel):
    id: str
    code: str
    name: str
    summary: str
    provider_org_id: str
    provider_name: str
    classification_code: str
    classification_label: str
    share_type: str | None
    open_type: str | None
    update_cycle: str | None
    formats: list[str]
    level: str | None = Field(description="highest sensitivity of the items (分级)")
    status: str
    is_listed: bool
    completeness: float
    modified_at: datetime | None
    score: int
    matched_items: list[str] = Field(default_factory=list, description="data items that match the query")


class SearchResult(BaseModel):
    total: int
    items: list[SearchHit]
    facets: dict[str, list[FacetValue]]
    next_cursor: str | None
    tokens: list[str] = Field(description="the query's jieba tokens that were searched")


class CompletenessOrg(BaseModel):
    org_id: str
    org_name: str
    resources: int = Field(description="published resources")
    average: float
    minimum: float
    maximum: float
    drafts: int = Field(description="resources not (yet) published")


class ImportResult(BaseModel):
    created: int
    updated: int
    resources: list[dict[str, str]] = Field(description="id, code and name of each imported resource")
