"""Value lists of the catalog (编制指南 / GB/T 21063), each a stable English value with its Chinese label.

The English value is what the API, the store and the spreadsheet's machine columns carry; the Chinese label
is what people read and what a department may type into a spreadsheet cell instead. ``parse_label`` accepts
either, so a sheet compiled in Excel with 有条件共享 and one exported by a script with ``conditional`` both import.
"""

from __future__ import annotations

from enum import StrEnum


class ClassificationKind(StrEnum):
    """资源分类: the first digit (类) of the classification code."""

    base = "base"  # 基础信息资源 (1)
    theme = "theme"  # 主题信息资源 (2)
    department = "department"  # 部门信息资源 (3)


class ShareType(StrEnum):
    unconditional = "unconditional"  # 1 无条件共享
    conditional = "conditional"  # 2 有条件共享
    none = "none"  # 3 不予共享


class ShareReason(StrEnum):
    """Reason category for 有条件 / 不予共享 (共享条件/依据的类别)."""

    law = "law"  # 法律法规
    policy = "policy"  # 政策文件
    sensitive = "sensitive"  # 涉及敏感信息
    other = "other"  # 其他


class ShareMode(StrEnum):
    api = "api"  # 接口
    bulk = "bulk"  # 库表交换
    file = "file"  # 文件


class OpenType(StrEnum):
    unconditional = "unconditional"  # 无条件开放
    conditional = "conditional"  # 有条件开放
    none = "none"  # 不予开放


class UpdateCycle(StrEnum):
    irregular = "irregular"  # 不定时
    realtime = "realtime"  # 实时
    daily = "daily"  # 每日
    weekly = "weekly"  # 每周
    monthly = "monthly"  # 每月
    quarterly = "quarterly"  # 每季度
    semiannual = "semiannual"  # 每半年
    annual = "annual"  # 每年
    other = "other"  # 其他


class Network(StrEnum):
    egov_extranet = "egov_extranet"  # 政务外网
    internet = "internet"  # 互联网
    department_private = "department_private"  # 部门专网


class ResourceFormat(StrEnum):
    """信息资源格式 (编制指南 lists these families; the concrete file type is not catalog metadata)."""

    document = "document"  # 电子文件 (OFD, PDF, DOCX …)
    spreadsheet = "spreadsheet"  # 电子表格
    database = "database"  # 数据库
    image = "image"  # 图形图像
    media = "media"  # 流媒体
    self_describing = "self_describing"  # 自描述格式 (XML, JSON)
    service = "service"  # 服务接口
    other = "other"  # 其他


class DataType(StrEnum):
    """Data item types after the GB/T 19488 data-element types (C, N, D, DT, B, BY)."""

    string = "string"  # 字符型
    number = "number"  # 数值型
    date = "date"  # 日期型
    datetime = "datetime"  # 日期时间型
    boolean = "boolean"  # 布尔型
    binary = "binary"  # 二进制


class Sensitivity(StrEnum):
    """分级 (DB33/T 2350-2021): L1 may be opened, L2–L3 only approved and masked, L4 never opened."""

    L1 = "L1"  # 不敏感
    L2 = "L2"  # 低敏感
    L3 = "L3"  # 较敏感
    L4 = "L4"  # 敏感


class Status(StrEnum):
    """Lifecycle: 草稿 → 发布待审核 → 已发布 | 已驳回 → 撤销待审核 → 已撤销."""

    draft = "draft"  # 草稿
    pending_publish = "pending_publish"  # 发布待审核
    published = "published"  # 已发布
    rejected = "rejected"  # 已驳回
    pending_revoke = "pending_revoke"  # 撤销待审核
    revoked = "revoked"  # 已撤销


class ServedBy(StrEnum):
    """How the data of a resource is served (set by the library and exchange issues, not by catalog editors)."""

    hub_library = "hub_library"  # 统一资源库表
    provider_database = "provider_database"  # 提供方数据库 (只读)
    provider_api = "provider_api"  # 提供方接口
    peer_platform = "peer_platform"  # 上下级平台


LABELS_ZH: dict[type[StrEnum], dict[str, str]] = {
    ClassificationKind: {"base": "基础信息资源", "theme": "主题信息资源", "department": "部门信息资源"},
    ShareType: {"unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享"},
    ShareReason: {"law": "法律法规", "policy": "政策文件", "sensitive": "涉及敏感信息", "other": "其他"},
    ShareMode: {"api": "接口", "bulk": "库表交换", "file": "文件"},
    OpenType: {"unconditional": "无条件开放", "conditional": "有条件开放", "none": "不予开放"},
    UpdateCycle: {
        "irregular": "不定时",
        "realtime": "实时",
        "daily": "每日",
        "weekly": "每周",
        "monthly": "每月",
        "quarterly": "每季度",
        "semiannual": "每半年",
        "annual": "每年",
        "other": "其他",
    },
    Network: {"egov_extranet": "政务外网", "internet": "互联网", "department_private": "部门专网"},
    ResourceFormat: {
        "document": "电子文件",
        "spreadsheet": "电子表格",
        "database": "数据库",
        "image": "图形图像",
        "media": "流媒体",
        "self_describing": "自描述格式",
        "service": "服务接口",
        "other": "其他",
    },
    DataType: {
        "string": "字符型",
        "number": "数值型",
        "date": "日期型",
        "datetime": "日期时间型",
        "boolean": "布尔型",
        "binary": "二进制",
    },
    Sensitivity: {"L1": "不敏感", "L2": "低敏感", "L3": "较敏感", "L4": "敏感"},
    Status: {
        "draft": "草稿",
        "pending_publish": "发布待审核",
        "published": "已发布",
        "rejected": "已驳回",
        "pending_revoke": "撤销待审核",
        "revoked": "已撤销",
    },
    ServedBy: {
        "hub_library": "统一资源库",
        "provider_database": "提供方数据库",
        "provider_api": "提供方接口",
        "peer_platform": "上下级平台",
    },
}

#: Extra spellings people type into spreadsheets (short forms of the labels, and the 1/2/3 share-type codes).
_ALIASES: dict[type[StrEnum], dict[str, str]] = {
    ClassificationKind: {
        "基础": "base",
        "主题": "theme",
        "部门": "department",
        "1": "base",
        "2": "theme",
        "3": "department",
    },
    ShareType: {
        "无条件": "unconditional",
        "有条件": "conditional",
        "不予": "none",
        "1": "unconditional",
        "2": "conditional",
        "3": "none",
    },  # fmt: skip
    OpenType: {"无条件": "unconditional", "有条件": "conditional", "不予": "none", "不开放": "none"},
    ShareMode: {"库表": "bulk", "数据库": "bulk", "服务接口": "api", "api": "api"},
    UpdateCycle: {"每天": "daily", "每年度": "annual", "每季": "quarterly", "半年": "semiannual", "年度": "annual"},
    Sensitivity: {"1": "L1", "2": "L2", "3": "L3", "4": "L4", "l1": "L1", "l2": "L2", "l3": "L3", "l4": "L4"},
}

#: Display names of the enum families (for error messages and the spreadsheet's value-list sheet).
FAMILY_ZH: dict[type[StrEnum], str] = {
    ClassificationKind: "资源分类",
    ShareType: "共享类型",
    ShareReason: "原因类别",
    ShareMode: "共享方式",
    OpenType: "开放类型",
    UpdateCycle: "更新周期",
    Network: "网络类型",
    ResourceFormat: "资源格式",
    DataType: "数据类型",
    Sensitivity: "敏感级别",
    Status: "状态",
    ServedBy: "服务方式",
}

CLASS_DIGIT = {ClassificationKind.base: "1", ClassificationKind.theme: "2", ClassificationKind.department: "3"}
KIND_OF_DIGIT = {v: k for k, v in CLASS_DIGIT.items()}

#: Labels of the 类+项 (first three digits) of the classification code used by this platform. Codes not listed
#: are accepted (provinces extend the list); they are shown by their code.
CLASS_ITEM_LABELS: dict[str, str] = {
    "101": "人口基础信息",
    "102": "法人单位基础信息",
    "103": "自然资源和空间地理基础信息",
    "104": "社会信用信息",
    "105": "电子证照信息",
    "201": "社会保障",
    "202": "医疗健康",
    "203": "教育文化",
    "204": "住房和城乡建设",
    "205": "市场监管",
    "206": "生态环境",
    "207": "安全生产与应急",
    "208": "交通运输",
    "209": "民政与社会服务",
    "210": "财政税务",
    "211": "司法公证",
    "212": "农业农村",
}

#: Bit of each format in the search projection's ``format_mask`` (formats are multi-valued).
FORMAT_BITS: dict[str, int] = {f.value: 1 << i for i, f in enumerate(ResourceFormat)}

LEVEL_NUM = {"L1": 1, "L2": 2, "L3": 3, "L4": 4}


def label(family: type[StrEnum], value: str | None) -> str | None:
    if value is None:
        return None
    return LABELS_ZH[family].get(str(value), str(value))


def class_label(class3: str) -> str:
    if class3 in CLASS_ITEM_LABELS:
        return CLASS_ITEM_LABELS[class3]
    kind = KIND_OF_DIGIT.get(class3[:1])
    return f"{LABELS_ZH[ClassificationKind][kind]} {class3}" if kind else class3


def parse_label(family: type[StrEnum], text: str) -> str | None:
    """The enum value for ``text`` given as English value, Chinese label or a known alias; None if unknown."""
    raw = text.strip()
    if not raw:
        return None
    values = {m.value for m in family}
    if raw in values:
        return raw
    lowered = raw.lower()
    if lowered in values:
        return lowered
    for value, zh in LABELS_ZH[family].items():
        if raw == zh:
            return value
    aliases = _ALIASES.get(family, {})
    return aliases.get(raw) or aliases.get(lowered)


def vocabularies() -> dict[str, list[dict[str, str]]]:
    """Every value list with labels, for clients building forms."""
    names = {
        ClassificationKind: "classification_kind",
        ShareType: "share_type",
        ShareReason: "share_reason",
        ShareMode: "share_mode",
        OpenType: "open_type",
        UpdateCycle: "update_cycle",
        Network: "network",
        ResourceFormat: "format",
        DataType: "data_type",
        Sensitivity: "sensitivity",
        Status: "status",
        ServedBy: "served_by",
    }
    out = {name: [{"value": m.value, "label": LABELS_ZH[fam][m.value]} for m in fam] for fam, name in names.items()}
    out["classification"] = [{"value": k, "label": v} for k, v in CLASS_ITEM_LABELS.items()]
    return out
