"""Display names of codes the console shows: roles, audit actions and object types, organization kinds.

Each is a message id (Chinese) translated when rendered. Later domains add their audit actions with
:func:`register_action_labels`; an action without a label is shown as its code.
"""

from __future__ import annotations

from govshare.identity.principal import OrgKind, OrgLevel, Role
from govshare.web.i18n import N_, Translator

ROLE_LABELS: dict[str, str] = {
    Role.platform_admin: N_("平台管理员"),
    Role.org_admin: N_("单位管理员"),
    Role.catalog_manager: N_("目录管理员"),
    Role.approver: N_("审批员"),
    Role.clerk: N_("受理员"),
    Role.auditor: N_("审计员"),
}

ACTION_LABELS: dict[str, str] = {
    "identity.login": N_("登录"),
    "identity.logout": N_("退出登录"),
    "identity.organization.create": N_("登记单位"),
    "identity.organization.update": N_("修改单位"),
    "identity.system.create": N_("创建应用系统"),
    "identity.system.update": N_("修改应用系统"),
    "identity.credential.issue": N_("签发密钥"),
    "identity.credential.rotate": N_("轮换密钥"),
    "identity.credential.revoke": N_("吊销密钥"),
    "identity.user.create": N_("创建用户"),
    "identity.user.update": N_("修改用户"),
    "identity.user.unlock": N_("解锁用户"),
    "identity.user.password_change": N_("修改密码"),
}

#: Consumer systems report their own use of shared data as ``usage.<action>`` (POST /api/v1/audit/events);
#: the common actions have names, any other is shown as "数据使用：<action>".
USAGE_LABELS: dict[str, str] = {
    "use.verify": N_("核验"),
    "use.case_decision": N_("办件决定"),
    "use.print": N_("打印"),
    "use.display": N_("查看"),
    "use.export": N_("导出"),
}

#: Prefixes offered in the audit search's action field (a prefix matches every action under it).
ACTION_PREFIXES: dict[str, str] = {
    "identity.": N_("身份与权限（全部）"),
    "usage.": N_("数据使用登记（全部）"),
}

OBJECT_LABELS: dict[str, str] = {
    "organization": N_("单位"),
    "system": N_("应用系统"),
    "credential": N_("密钥"),
    "user": N_("用户"),
    "case": N_("办件"),
}

OUTCOME_LABELS: dict[str, str] = {"ok": N_("成功"), "denied": N_("拒绝"), "failed": N_("失败")}

ACTOR_KIND_LABELS: dict[str, str] = {
    "user": N_("工作人员"),
    "system": N_("应用系统"),
    "platform": N_("平台"),
    "public": N_("公众/未登录"),
}

ORG_KIND_LABELS: dict[str, str] = {
    OrgKind.ordinary: N_("普通部门"),
    OrgKind.vertical: N_("垂直管理部门"),
    OrgKind.platform_operator: N_("平台运营单位"),
}

ORG_LEVEL_LABELS: dict[str, str] = {
    OrgLevel.national: N_("国家级"),
    OrgLevel.province: N_("省级"),
    OrgLevel.city: N_("市级"),
    OrgLevel.county: N_("县级"),
}


def action_text(t: Translator, code: str) -> str:
    if code in ACTION_LABELS:
        return t.gettext(ACTION_LABELS[code])
    if code.startswith("usage."):
        what = code.removeprefix("usage.")
        return t.gettext("数据使用：%(what)s", what=t.gettext(USAGE_LABELS[what]) if what in USAGE_LABELS else what)
    return code


def register_action_labels(labels: dict[str, str], objects: dict[str, str] | None = None) -> None:
    """For later domains: ``register_action_labels({"catalog.resource.publish": N_("发布资源")})``."""
    ACTION_LABELS.update(labels)
    OBJECT_LABELS.update(objects or {})
