"""Value lists of the sharing workflow: stable English values (API, store) with Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class RequestKind(StrEnum):
    application = "application"  # 共享申请 (有条件共享: needs the provider's answer)
    registration = "registration"  # 使用登记 (无条件共享: no approval, but the use is registered)


class RequestStatus(StrEnum):
    submitted = "submitted"  # 待答复 (the provider's clock runs)
    info_requested = "info_requested"  # 待补充 (clock paused until the requester answers)
    escalated = "escalated"  # 协调中 (overdue; the platform operator coordinates, the provider may still answer)
    approved = "approved"  # 已同意
    rejected = "rejected"  # 已拒绝
    withdrawn = "withdrawn"  # 已撤回
    registered = "registered"  # 已登记 (registrations only)


OPEN_REQUEST_STATUSES = (RequestStatus.submitted, RequestStatus.info_requested, RequestStatus.escalated)
#: Statuses in which the provider's clock runs (an info request pauses it).
CLOCK_RUNNING = (RequestStatus.submitted, RequestStatus.escalated)


class PurposeCategory(StrEnum):
    """用途类别: the use scenario a grant is bound to (用途限定)."""

    licensing = "licensing"  # 行政许可审批
    public_service = "public_service"  # 公共服务/政务服务办理
    enforcement = "enforcement"  # 行政执法检查
    supervision = "supervision"  # 监督管理
    social_assistance = "social_assistance"  # 社会救助
    credit = "credit"  # 信用管理
    emergency = "emergency"  # 应急处置
    statistics = "statistics"  # 统计分析与决策
    judicial = "judicial"  # 司法协助
    other = "other"  # 其他


class RejectCategory(StrEnum):
    """拒绝理由类别 (a refusal always states a category and a text)."""

    no_legal_basis = "no_legal_basis"  # 缺少法定依据
    purpose_mismatch = "purpose_mismatch"  # 用途与履职无关
    beyond_condition = "beyond_condition"  # 不符合共享条件
    data_not_held = "data_not_held"  # 未掌握该数据
    security_risk = "security_risk"  # 安全风险
    duplicate = "duplicate"  # 已有有效授权
    other = "other"  # 其他


class GrantStatus(StrEnum):
    pending_agreement = "pending_agreement"  # 待协议确认
    active = "active"  # 有效
    revoked = "revoked"  # 已撤销 (incl. agreement terminated)


class AgreementStatus(StrEnum):
    pending = "pending"  # 待确认
    in_force = "in_force"  # 生效
    superseded = "superseded"  # 已被新版本取代
    terminated = "terminated"  # 已终止


class ObjectionStatus(StrEnum):
    open = "open"  # 待核查
    corrected = "corrected"  # 已更正
    explained = "explained"  # 已说明 (data confirmed correct)
    closed = "closed"  # 已办结 (the consumer accepted the answer)


class DemandStatus(StrEnum):
    open = "open"  # 待分派
    routed = "routed"  # 已分派
    catalogued = "catalogued"  # 已编目 (answered by a catalog resource)
    explained = "explained"  # 已说明
    declined = "declined"  # 不予受理 (by the platform operator)


class ItemTreatment(StrEnum):
    """How one data item comes back in a decision."""

    clear = "clear"  # 明文
    masked = "masked"  # 脱敏
    absent = "absent"  # 不提供


LABELS_ZH: dict[type[StrEnum], dict[str, str]] = {
    RequestKind: {"application": "共享申请", "registration": "使用登记"},
    RequestStatus: {
        "submitted": "待答复",
        "info_requested": "待补充材料",
        "escalated": "协调中",
        "approved": "已同意",
        "rejected": "已拒绝",
        "withdrawn": "已撤回",
        "registered": "已登记",
    },
    PurposeCategory: {
        "licensing": "行政许可审批",
        "public_service": "政务服务办理",
        "enforcement": "行政执法检查",
        "supervision": "监督管理",
        "social_assistance": "社会救助",
        "credit": "信用管理",
        "emergency": "应急处置",
        "statistics": "统计分析与决策",
        "judicial": "司法协助",
        "other": "其他",
    },
    RejectCategory: {
        "no_legal_basis": "缺少法定依据",
        "purpose_mismatch": "用途与履职无关",
        "beyond_condition": "不符合共享条件",
        "data_not_held": "未掌握该数据",
        "security_risk": "存在安全风险",
        "duplicate": "已有有效授权",
        "other": "其他",
    },
    GrantStatus: {"pending_agreement": "待协议确认", "active": "有效", "revoked": "已撤销"},
    AgreementStatus: {"pending": "待确认", "in_force": "生效", "superseded": "已被取代", "terminated": "已终止"},
    ObjectionStatus: {"open": "待核查", "corrected": "已更正", "explained": "已说明", "closed": "已办结"},
    DemandStatus: {
        "open": "待分派",
        "routed": "已分派",
        "catalogued": "已编目",
        "explained": "已说明",
        "declined": "不予受理",
    },
    ItemTreatment: {"clear": "明文", "masked": "脱敏", "absent": "不提供"},
}


def label(family: type[StrEnum], value: str | None) -> str | None:
    if value is None:
        return None
    return LABELS_ZH[family].get(str(value), str(value))


def vocabularies() -> dict[str, list[dict[str, str]]]:
    names = {
        RequestKind: "request_kind",
        RequestStatus: "request_status",
        PurposeCategory: "purpose_category",
        RejectCategory: "reject_category",
        GrantStatus: "grant_status",
        AgreementStatus: "agreement_status",
        ObjectionStatus: "objection_status",
        DemandStatus: "demand_status",
        ItemTreatment: "item_treatment",
    }
    return {name: [{"value": m.value, "label": LABELS_ZH[fam][m.value]} for m in fam] for fam, name in names.items()}
