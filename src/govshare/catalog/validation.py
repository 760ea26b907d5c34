"""Rules across fields of one resource, enforced whenever content is saved (API, spreadsheet import, seed).

These are the rules that make an entry incoherent, not merely incomplete: a draft may lack a summary (the
completeness check reports it at review), but it may never put an L4 item into an open resource or declare
有条件共享 without the condition. Each rule yields an :class:`Issue` with the field path at fault
(``items[3].sensitivity``), so the API answers with every field and the spreadsheet import with every cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from govshare.catalog.masking import is_valid_pattern
from govshare.catalog.schemas import ResourceContent
from govshare.catalog.vocab import CLASS_DIGIT, OpenType, ShareType
from govshare.errors import Problem

RESOURCE_CODE = re.compile(r"^[1-3][0-9]{5}([0-9]{3})?/[0-9]{6}$")


@dataclass(frozen=True, slots=True)
class Issue:
    field: str
    code: str
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}


def validate_content(content: ResourceContent) -> list[Issue]:
    issues: list[Issue] = []
    add = issues.append
    if content.classification_code[:1] != CLASS_DIGIT[content.classification_kind]:
        add(
            Issue(
                "classification_code",
                "classification_kind_mismatch",
                f"分类代码首位应为 {CLASS_DIGIT[content.classification_kind]} (与资源分类一致)",
                f"classification code must start with {CLASS_DIGIT[content.classification_kind]} for this kind",
            )
        )
    share = content.share_type
    if share in (ShareType.conditional, ShareType.none):
        word_zh = "有条件共享" if share == ShareType.conditional else "不予共享"
        if not content.share_condition:
            add(
                Issue(
                    "share_condition",
                    "share_condition_required",
                    f"{word_zh}必须说明共享条件或不予共享的理由",
                    f"{share.value} sharing needs a stated condition",
                )
            )
        if not content.share_basis:
            add(
                Issue(
                    "share_basis",
                    "share_basis_required",
                    f"{word_zh}必须给出法律法规或政策依据",
                    f"{share.value} sharing needs a legal or policy basis",
                )
            )
        if content.share_reason is None:
            add(
                Issue(
                    "share_reason",
                    "share_reason_required",
                    f"{word_zh}必须选择原因类别 (法律法规/政策文件/涉及敏感信息/其他)",
                    f"{share.value} sharing needs a reason category",
                )
            )
    if content.open_type == OpenType.conditional and not content.open_condition:
        add(
            Issue(
                "open_condition",
                "open_condition_required",
                "有条件开放必须说明开放条件",
                "conditional opening needs a stated condition",
            )
        )
    is_open = content.open_type in (OpenType.unconditional, OpenType.conditional)
    seen_machine: dict[str, int] = {}
    seen_name: dict[str, int] = {}
    for i, item in enumerate(content.items):
        path = f"items[{i}]"
        if item.machine_name in seen_machine:
            add(
                Issue(
                    f"{path}.machine_name",
                    "item_machine_name_duplicate",
                    f"字段名重复: {item.machine_name}",
                    f"duplicate machine name: {item.machine_name}",
                )
            )
        seen_machine.setdefault(item.machine_name, i)
        if item.name in seen_name:
            add(
                Issue(
                    f"{path}.name",
                    "item_name_duplicate",
                    f"信息项名称重复: {item.name}",
                    f"duplicate item: {item.name}",
                )
            )
        seen_name.setdefault(item.name, i)
        effective = item.share_type or share
        if item.is_secret:
            if effective not in (None, ShareType.none):
                add(
                    Issue(
                        f"{path}.share_type",
                        "secret_item_shared",
                        f"涉密信息项不得通过平台共享: {item.name}",
                        f"a classified (涉密) item cannot be shared: {item.machine_name}",
                    )
                )
            if item.sensitivity is not None and item.sensitivity.value != "L4":
                add(
                    Issue(
                        f"{path}.sensitivity",
                        "secret_item_level",
                        f"涉密信息项的敏感级别必须为 L4: {item.name}",
                        f"a classified item must be sensitivity L4: {item.machine_name}",
                    )
                )
        if item.is_sensitive and item.sensitivity is not None and item.sensitivity.value == "L1":
            add(
                Issue(
                    f"{path}.sensitivity",
                    "sensitive_item_level",
                    f"敏感信息项的级别不能为 L1: {item.name}",
                    f"a sensitive item cannot be L1: {item.machine_name}",
                )
            )
        if is_open and ((item.sensitivity is not None and item.sensitivity.value == "L4") or item.is_secret):
            add(
                Issue(
                    f"{path}.sensitivity",
                    "open_resource_l4_item",
                    f"开放资源不得包含 L4 (敏感) 或涉密信息项: {item.name}",
                    f"an open resource cannot contain an L4 or classified item: {item.machine_name}",
                )
            )
        if share == ShareType.unconditional and item.share_type not in (None, ShareType.unconditional):
            add(
                Issue(
                    f"{path}.share_type",
                    "item_share_type_conflict",
                    f"无条件共享的资源不能包含有条件或不予共享的信息项 ({item.name}); 请将资源设为有条件共享",
                    f"an unconditionally shared resource cannot hold a restricted item: {item.machine_name}",
                )
            )
        if share == ShareType.none and item.share_type not in (None, ShareType.none):
            add(
                Issue(
                    f"{path}.share_type",
                    "item_share_type_conflict",
                    f"不予共享的资源不能包含可共享的信息项: {item.name}",
                    f"a not-shared resource cannot hold a shared item: {item.machine_name}",
                )
            )
        if item.masking is not None and not is_valid_pattern(item.masking):
            add(
                Issue(
                    f"{path}.masking",
                    "masking_invalid",
                    f"脱敏规则无效: {item.masking} (可用 none/full/keep:前:后/name/email/year)",
                    f"unknown masking pattern: {item.masking}",
                )
            )
    for j, code in enumerate(content.related_codes):
        if not RESOURCE_CODE.match(code):
            add(
                Issue(
                    f"related_codes[{j}]",
                    "related_code_invalid",
                    f"关联资源代码格式无效: {code}",
                    f"not a resource code: {code}",
                )
            )
    return issues


def problem_of(issues: list[Issue]) -> Problem:
    first = issues[0]
    return Problem(
        422,
        first.code,
        first.message_zh,
        first.message_en,
        field=first.field,
        extra={"errors": [i.as_dict() for i in issues]},
    )


def ensure_valid(content: ResourceContent) -> None:
    issues = validate_content(content)
    if issues:
        raise problem_of(issues)
