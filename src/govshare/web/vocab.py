"""Display names of the catalog's and the sharing workflow's value lists, for translation.

The services label their values in Chinese (``catalog.vocab.LABELS_ZH``, ``sharing.vocab.LABELS_ZH``); those
labels are the message ids here, so ``_(label)`` in a template shows them in the page's language.
``tests/web/test_i18n.py`` fails when a service adds a label that is missing below.
"""

from __future__ import annotations

from enum import StrEnum

from govshare.catalog import vocab as catalog_vocab
from govshare.sharing import vocab as sharing_vocab
from govshare.web.i18n import N_, Translator

VOCAB_MESSAGES: tuple[str, ...] = (
    N_("基础信息资源"),
    N_("主题信息资源"),
    N_("部门信息资源"),
    N_("无条件共享"),
    N_("有条件共享"),
    N_("不予共享"),
    N_("法律法规"),
    N_("政策文件"),
    N_("涉及敏感信息"),
    N_("其他"),
    N_("接口"),
    N_("库表交换"),
    N_("文件"),
    N_("无条件开放"),
    N_("有条件开放"),
    N_("不予开放"),
    N_("不定时"),
    N_("实时"),
    N_("每日"),
    N_("每周"),
    N_("每月"),
    N_("每季度"),
    N_("每半年"),
    N_("每年"),
    N_("政务外网"),
    N_("互联网"),
    N_("部门专网"),
    N_("电子文件"),
    N_("电子表格"),
    N_("数据库"),
    N_("图形图像"),
    N_("流媒体"),
    N_("自描述格式"),
    N_("服务接口"),
    N_("字符型"),
    N_("数值型"),
    N_("日期型"),
    N_("日期时间型"),
    N_("布尔型"),
    N_("二进制"),
    N_("不敏感"),
    N_("低敏感"),
    N_("较敏感"),
    N_("敏感"),
    N_("草稿"),
    N_("发布待审核"),
    N_("已发布"),
    N_("已驳回"),
    N_("撤销待审核"),
    N_("已撤销"),
    N_("统一资源库"),
    N_("提供方数据库"),
    N_("提供方接口"),
    N_("上下级平台"),
    N_("人口基础信息"),
    N_("法人单位基础信息"),
    N_("自然资源和空间地理基础信息"),
    N_("社会信用信息"),
    N_("电子证照信息"),
    N_("社会保障"),
    N_("医疗健康"),
    N_("教育文化"),
    N_("住房和城乡建设"),
    N_("市场监管"),
    N_("生态环境"),
    N_("安全生产与应急"),
    N_("交通运输"),
    N_("民政与社会服务"),
    N_("财政税务"),
    N_("司法公证"),
    N_("农业农村"),
    N_("共享申请"),
    N_("使用登记"),
    N_("待答复"),
    N_("待补充材料"),
    N_("协调中"),
    N_("已同意"),
    N_("已拒绝"),
    N_("已撤回"),
    N_("已登记"),
    N_("行政许可审批"),
    N_("政务服务办理"),
    N_("行政执法检查"),
    N_("监督管理"),
    N_("社会救助"),
    N_("信用管理"),
    N_("应急处置"),
    N_("统计分析与决策"),
    N_("司法协助"),
    N_("缺少法定依据"),
    N_("用途与履职无关"),
    N_("不符合共享条件"),
    N_("未掌握该数据"),
    N_("存在安全风险"),
    N_("已有有效授权"),
    N_("待协议确认"),
    N_("有效"),
    N_("待确认"),
    N_("生效"),
    N_("已被取代"),
    N_("已终止"),
    N_("待核查"),
    N_("已更正"),
    N_("已说明"),
    N_("已办结"),
    N_("待分派"),
    N_("已分派"),
    N_("已编目"),
    N_("不予受理"),
    N_("明文"),
    N_("脱敏"),
    N_("不提供"),
)


def catalog_label(t: Translator, family: type[StrEnum], value: str | None) -> str:
    """The translated label of a catalog value (the value itself when unknown, empty for None)."""
    if value is None or value == "":
        return ""
    return t.gettext(catalog_vocab.label(family, value) or str(value))


def sharing_label(t: Translator, family: type[StrEnum], value: str | None) -> str:
    if value is None or value == "":
        return ""
    return t.gettext(sharing_vocab.label(family, value) or str(value))


def catalog_options(t: Translator, family: type[StrEnum]) -> list[tuple[str, str]]:
    """(value, label) pairs for a <select> or a group of checkboxes."""
    return [(m.value, catalog_label(t, family, m.value)) for m in family]


def sharing_options(t: Translator, family: type[StrEnum]) -> list[tuple[str, str]]:
    return [(m.value, sharing_label(t, family, m.value)) for m in family]


def class_options(t: Translator) -> list[tuple[str, str]]:
    """The 3-digit classes (类+项) with their names."""
    return [(code, f"{code} {t.gettext(name)}") for code, name in catalog_vocab.CLASS_ITEM_LABELS.items()]


def all_service_labels() -> set[str]:
    """Every label the services use (the test compares it with :data:`VOCAB_MESSAGES`)."""
    labels: set[str] = set()
    for table in (
        *catalog_vocab.LABELS_ZH.values(),
        catalog_vocab.CLASS_ITEM_LABELS,
        *sharing_vocab.LABELS_ZH.values(),
    ):
        labels.update(table.values())
    return labels
