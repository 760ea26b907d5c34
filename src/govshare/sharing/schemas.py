"""Pydantic shapes of the sharing API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from govshare.sharing.vocab import PurposeCategory, RejectCategory

MACHINE_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class _Text(BaseModel):
    """Strips surrounding blanks from every string field, so "   " does not pass for a reason."""

    @field_validator("*", mode="before")
    @classmethod
    def _strip_all(cls, value: Any) -> Any:
        return _strip(value)


# ---- requests -------------------------------------------------------------------------------------------
class RequestCreate(_Text):
    """共享申请 / 使用登记. Items all unconditional → a registration (no approval); else an application."""

    system_id: str = Field(description="申请使用的应用系统 (of the caller's organization)")
    resource_code: str | None = Field(default=None, max_length=32, description="资源代码")
    resource_id: str | None = Field(default=None, max_length=32)
    items: list[str] = Field(default_factory=list, max_length=500, description="信息项 (字段名); empty: all shareable")
    purpose_category: PurposeCategory = Field(description="用途类别")
    purpose: str = Field(min_length=4, max_length=2000, description="使用场景 (具体用途)")
    legal_basis: str = Field(default="", max_length=2000, description="申请依据 (法律法规/政策文件/职责); 申请必填")
    service_items: list[str] = Field(default_factory=list, max_length=50, description="关联政务服务事项")
    valid_from: date | None = Field(default=None, description="使用期限起 (default today)")
    valid_until: date | None = Field(default=None, description="使用期限止 (inclusive; default one year)")
    expected_daily_calls: int | None = Field(default=None, ge=1, le=100_000_000, description="预计日调用次数")
    expected_daily_records: int | None = Field(default=None, ge=1, le=1_000_000_000, description="预计日数据量(条)")
    case_bound: bool = Field(default=False, description="仅在办件中使用 (按办件调用)")
    contact_name: str = Field(default="", max_length=64, description="联系人")
    contact_phone: str = Field(default="", max_length=32, description="联系电话")

    @field_validator("items")
    @classmethod
    def _items(cls, value: list[str]) -> list[str]:
        return _unique([v.strip().lower() for v in value if v and v.strip()])

    @field_validator("service_items")
    @classmethod
    def _service_items(cls, value: list[str]) -> list[str]:
        return _unique([v.strip() for v in value if v and v.strip()])

    @model_validator(mode="after")
    def _resource(self) -> RequestCreate:
        if not self.resource_code and not self.resource_id:
            raise ValueError("resource_code or resource_id is required")
        return self


class ApproveBody(_Text):
    """同意, possibly narrower than asked: fewer items, some items masked, a shorter validity (reason required)."""

    items: list[str] | None = Field(default=None, description="同意的信息项; default: as requested")
    masked_items: list[str] = Field(default_factory=list, description="同意但脱敏提供的信息项")
    valid_until: date | None = Field(default=None, description="同意的使用期限止 (not later than requested)")
    daily_calls: int | None = Field(default=None, ge=1, le=100_000_000, description="每日调用次数上限")
    daily_records: int | None = Field(default=None, ge=1, le=1_000_000_000, description="每日记录数上限")
    case_required: bool | None = Field(default=None, description="限于办件使用; default: as requested")
    reason: str = Field(default="", max_length=2000, description="意见 (narrowing needs a reason)")
    security_duties: list[str] = Field(default_factory=list, max_length=20, description="附加安全责任条款")
    contact_name: str = Field(default="", max_length=64, description="提供方联系人")
    contact_phone: str = Field(default="", max_length=32, description="提供方联系电话")

    @field_validator("items", "masked_items")
    @classmethod
    def _names(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _unique([v.strip().lower() for v in value if v and v.strip()])


class RejectBody(_Text):
    category: RejectCategory = Field(description="拒绝理由类别")
    reason: str = Field(min_length=2, max_length=2000, description="拒绝理由")


class InfoRequestBody(_Text):
    question: str = Field(min_length=2, max_length=2000, description="需补充的材料或说明")


class InfoSupplyBody(_Text):
    answer: str = Field(min_length=2, max_length=4000, description="补充说明")


class WithdrawBody(_Text):
    reason: str = Field(default="", max_length=2000)


class CoordinateBody(_Text):
    """The platform operator's coordination decision (协调) on an escalated request."""

    decision: Literal["approve", "reject", "return"] = Field(description="同意 / 拒绝 / 退回提供方限期答复")
    note: str = Field(min_length=2, max_length=4000, description="协调意见 (recorded)")
    approve: ApproveBody | None = Field(default=None, description="for decision=approve")
    reject_category: RejectCategory | None = None
    working_days: int | None = Field(default=None, ge=1, le=60, description="for decision=return: new deadline")


class RequestEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    at: datetime
    kind: str
    actor_id: str
    actor_name: str
    actor_org_id: str | None
    note: str
    detail: dict[str, Any]


class RequestRead(BaseModel):
    id: str
    number: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    consumer_org_id: str
    consumer_org_name: str
    system_id: str
    requested_by: str
    requested_by_name: str
    provider_org_id: str
    provider_org_name: str
    resource_id: str
    resource_code: str
    resource_name: str
    resource_version: int | None
    items: list[str]
    purpose_category: str
    purpose_label: str
    purpose: str
    legal_basis: str
    service_items: list[str]
    valid_from: date
    valid_until: date
    expected_daily_calls: int | None
    expected_daily_records: int | None
    case_bound: bool
    contact_name: str
    contact_phone: str
    submitted_at: datetime
    reply_working_days: int | None
    due_date: date | None = Field(description="答复截止日期 (working days, chinese-calendar)")
    due_approximate: bool = Field(description="due date provisional: holiday schedule of a year not yet published")
    due_note: str = ""
    overdue: bool
    days_left: int | None = Field(description="working days left (negative: overdue); None when the clock is stopped")
    clock_paused: bool
    info_request: str
    info_response: str
    escalated_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    decision_via: str | None
    decision_reason: str
    reject_category: str | None
    reject_category_label: str | None
    approved_items: list[str] | None
    approved_valid_until: date | None
    narrowed: bool
    grant_id: str | None
    agreement_id: str | None = None
    events: list[RequestEventRead] | None = None


# ---- grants and agreements ----------------------------------------------------------------------------
class GrantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    kind: str
    request_id: str
    consumer_org_id: str
    system_id: str
    provider_org_id: str
    resource_id: str
    resource_code: str
    items: list[str]
    masked_items: list[str]
    purpose_category: str
    purpose: str
    case_required: bool
    valid_from: datetime
    valid_until: datetime
    daily_calls: int | None
    daily_records: int | None
    status: str
    effective: bool = Field(default=False, description="active and within its validity now")
    revoked_at: datetime | None
    revoke_reason: str
    created_at: datetime


class GrantUsageRead(BaseModel):
    grant_id: str
    day: str
    daily_calls: int | None
    daily_records: int | None
    reserved_calls: int = Field(description="leased to gateway processes (never above the limit)")
    reserved_records: int
    used_calls: int = Field(description="reported back by the gateways (lags by at most one lease)")
    used_records: int
    refused_calls: int


class RevokeBody(_Text):
    reason: str = Field(min_length=2, max_length=2000, description="撤销理由")


class AgreementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    number: str
    version: int
    request_id: str
    grant_id: str
    consumer_org_id: str
    provider_org_id: str
    status: str
    status_label: str = ""
    content: dict[str, Any]
    content_hash: str
    change_note: str
    consumer_confirmed_at: datetime | None
    consumer_confirmed_by: str | None
    provider_confirmed_at: datetime | None
    provider_confirmed_by: str | None
    terminated_at: datetime | None
    terminated_by: str | None
    termination_reason: str
    created_at: datetime


class AgreementAmend(_Text):
    """A new version of an agreement in force; it applies once both parties confirm it."""

    note: str = Field(min_length=2, max_length=2000, description="变更说明")
    valid_until: date | None = None
    daily_calls: int | None = Field(default=None, ge=1, le=100_000_000)
    daily_records: int | None = Field(default=None, ge=1, le=1_000_000_000)
    items: list[str] | None = Field(default=None, description="fewer items only (more needs a new application)")
    security_duties: list[str] | None = Field(default=None, max_length=20)
    contact_name: str | None = Field(default=None, max_length=64)
    contact_phone: str | None = Field(default=None, max_length=32)


class TerminateBody(_Text):
    reason: str = Field(min_length=2, max_length=2000, description="终止理由")


# ---- the policy decision ------------------------------------------------------------------------------
class DecisionQuery(_Text):
    system_id: str | None = Field(default=None, description="default: the calling system")
    resource_code: str = Field(max_length=32)
    purpose_category: PurposeCategory | None = None
    purpose: str = Field(default="", max_length=500)
    items: list[str] | None = None
    case_ref: str | None = Field(default=None, max_length=64)


class DecisionRead(BaseModel):
    allowed: bool
    code: str
    message_zh: str
    message_en: str
    status: int
    resource_code: str
    provider_org_id: str | None
    resource_version: int | None
    clear: list[str]
    masked: dict[str, str]
    absent: list[str]
    grant_ids: list[str]
    case_required: bool
    case_verified: bool | None
    retry_after: int | None


# ---- objections ---------------------------------------------------------------------------------------
class ObjectionCreate(_Text):
    resource_code: str = Field(max_length=32)
    record_ref: str = Field(min_length=1, max_length=200, description="有疑义的记录 (key value or locator)")
    items: list[str] = Field(default_factory=list, max_length=500, description="有疑义的信息项")
    description: str = Field(min_length=2, max_length=4000, description="疑义说明")
    evidence: str = Field(default="", max_length=8000, description="依据/佐证")

    @field_validator("items")
    @classmethod
    def _items(cls, value: list[str]) -> list[str]:
        return _unique([v.strip().lower() for v in value if v and v.strip()])


class ObjectionAnswer(_Text):
    outcome: Literal["corrected", "explained"] = Field(description="已更正 / 数据无误并说明")
    answer: str = Field(min_length=2, max_length=4000)
    corrected_items: list[str] = Field(default_factory=list, description="更正的信息项")
    correction_note: str = Field(default="", max_length=4000, description="更正内容说明")


class ObjectionClose(_Text):
    accept: bool = Field(default=True, description="true: 办结; false: 仍有异议, reopen with a new deadline")
    note: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _note_when_disputed(self) -> ObjectionClose:
        if not self.accept and len(self.note) < 2:
            raise ValueError("a disputed answer needs a note")
        return self


class ObjectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    number: str
    consumer_org_id: str
    raised_by: str
    raised_by_name: str
    provider_org_id: str
    resource_id: str
    resource_code: str
    resource_name: str
    grant_id: str | None
    record_ref: str
    items: list[str]
    description: str
    evidence: str
    status: str
    status_label: str = ""
    working_days: int
    due_date: date
    due_approximate: bool
    overdue: bool = False
    answer: str
    correction: dict[str, Any] | None
    answered_at: datetime | None
    answered_by: str | None
    closed_at: datetime | None
    close_note: str
    escalated_at: datetime | None
    created_at: datetime


class ProviderCounts(BaseModel):
    org_id: str
    org_name: str
    open: int = 0
    overdue: int = 0
    answered: int = 0
    closed: int = 0
    escalated: int = 0


class RequestCounts(BaseModel):
    org_id: str
    org_name: str
    pending: int = 0
    overdue: int = 0
    escalated: int = 0
    approved: int = 0
    rejected: int = 0
    registered: int = 0


# ---- demands ------------------------------------------------------------------------------------------
class DemandCreate(_Text):
    title: str = Field(min_length=2, max_length=200, description="需要什么数据")
    description: str = Field(default="", max_length=4000, description="数据项/范围说明")
    reason: str = Field(min_length=2, max_length=4000, description="为什么需要 (应用场景)")
    purpose_category: PurposeCategory | None = None
    suspected_org_id: str | None = Field(default=None, description="认为可能掌握该数据的部门")
    suspected_holder: str = Field(default="", max_length=200, description="(free text when not a registered org)")


class DemandRoute(_Text):
    org_id: str = Field(description="分派给的部门")
    note: str = Field(default="", max_length=2000)


class DemandAnswer(_Text):
    outcome: Literal["catalogued", "explained"]
    resource_code: str | None = Field(default=None, max_length=32, description="编目后的资源代码 (catalogued)")
    answer: str = Field(min_length=2, max_length=4000)

    @model_validator(mode="after")
    def _code(self) -> DemandAnswer:
        if self.outcome == "catalogued" and not self.resource_code:
            raise ValueError("resource_code is required when the demand is answered by cataloguing")
        return self


class DemandDecline(_Text):
    reason: str = Field(min_length=2, max_length=2000)


class DemandRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    number: str
    org_id: str
    posted_by: str
    posted_by_name: str
    title: str
    description: str
    reason: str
    purpose_category: str | None
    suspected_org_id: str | None
    suspected_holder: str
    status: str
    status_label: str = ""
    routed_org_id: str | None
    routed_at: datetime | None
    route_note: str
    answer: str
    resource_code: str | None
    answered_at: datetime | None
    created_at: datetime


class DemandStats(BaseModel):
    total: int
    by_status: dict[str, int]
    by_routed_org: list[dict[str, Any]]
    by_requesting_org: list[dict[str, Any]]


# ---- notifications, settings, calendar ---------------------------------------------------------------
class NotificationOut(BaseModel):
    id: str
    created_at: datetime
    kind: str
    title_zh: str
    title_en: str
    body: str
    object_type: str | None
    object_id: str | None
    read_at: datetime | None


class InboxRead(BaseModel):
    unread: int
    items: list[NotificationOut]


class SettingsRead(BaseModel):
    reply_working_days: int = Field(description="有条件共享申请的答复时限 (工作日)")
    objection_working_days: int = Field(description="校核纠错的答复时限 (工作日)")
    agreement_before_use: bool = Field(description="grant usable only after both parties confirm the agreement")
    max_validity_days: int = Field(description="longest validity a request may ask for (days)")


class SettingsUpdate(BaseModel):
    reply_working_days: int | None = Field(default=None, ge=1, le=60)
    objection_working_days: int | None = Field(default=None, ge=1, le=60)
    agreement_before_use: bool | None = None
    max_validity_days: int | None = Field(default=None, ge=1, le=3660)


class DueDateRead(BaseModel):
    start: date
    working_days: int
    due_date: date
    approximate: bool
    note_zh: str
    note_en: str


class EscalationRead(BaseModel):
    today: date
    requests_escalated: list[str]
    objections_escalated: list[str]
