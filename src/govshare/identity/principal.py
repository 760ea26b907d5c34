"""Who is calling: the authenticated principal every service function receives.

A principal is a staff user (web console or bearer token) or a system (API key). Roles are scoped to the
user's own organization; only the platform operator's (数据局) administrators and auditors see across
organizations. Services decide with :meth:`Principal.can_see_org` / :meth:`Principal.require` and scope
their queries with :func:`govshare.identity.permissions.scope_to_org` — never by trusting an id from input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from govshare.errors import forbidden


class Role(StrEnum):
    platform_admin = "platform_admin"  # 平台管理员 (数据局 only): all organizations
    org_admin = "org_admin"  # 单位管理员: own organization's systems, keys, users
    catalog_manager = "catalog_manager"  # 目录管理员: own organization's catalog
    approver = "approver"  # 审批员: answers requests to own organization
    clerk = "clerk"  # 受理员: service-window clerk
    auditor = "auditor"  # 审计员: own organization's audit trail; the operator's auditors see all


ROLE_LABELS_ZH = {
    Role.platform_admin: "平台管理员",
    Role.org_admin: "单位管理员",
    Role.catalog_manager: "目录管理员",
    Role.approver: "审批员",
    Role.clerk: "受理员",
    Role.auditor: "审计员",
}


class OrgKind(StrEnum):
    ordinary = "ordinary"  # 普通部门
    vertical = "vertical"  # 垂直管理部门 (垂管), e.g. 税务局
    platform_operator = "platform_operator"  # 平台运营方 (数据局)


class OrgLevel(StrEnum):
    national = "national"
    province = "province"
    city = "city"
    county = "county"


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # "user" | "system" | "platform" (the platform itself, for CLI and background jobs)
    id: str
    org_id: str | None
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    org_is_operator: bool = False
    #: For a system acting for a person at a window: the end user (operator) it says it acts for.
    on_behalf_of: str | None = None

    @property
    def is_user(self) -> bool:
        return self.kind == "user"

    @property
    def is_system(self) -> bool:
        return self.kind == "system"

    @property
    def is_platform_admin(self) -> bool:
        return self.kind == "platform" or (Role.platform_admin in self.roles and self.org_is_operator)

    @property
    def is_platform_auditor(self) -> bool:
        return self.is_platform_admin or (Role.auditor in self.roles and self.org_is_operator)

    def has(self, *roles: Role) -> bool:
        return self.kind == "platform" or any(r in self.roles for r in roles)

    def require(self, *roles: Role) -> None:
        """Raise 403 unless the principal holds one of ``roles`` (platform admins hold every role)."""
        if self.is_platform_admin or self.has(*roles):
            return
        names = ", ".join(r.value for r in roles)
        labels = "、".join(ROLE_LABELS_ZH[r] for r in roles)
        raise forbidden(f"需要角色: {labels}", f"requires role: {names}")

    def can_see_org(self, org_id: str | None) -> bool:
        """Whether objects private to ``org_id`` are visible: own organization, or the platform's view."""
        return self.is_platform_admin or (org_id is not None and org_id == self.org_id)

    def require_org(self, org_id: str | None, *roles: Role) -> None:
        """Raise 403 unless the principal acts inside ``org_id`` (with one of ``roles``) or is a platform admin."""
        if self.is_platform_admin:
            return
        if org_id is None or org_id != self.org_id:
            raise forbidden("不能操作其他单位的对象", "objects of another organization are out of reach")
        if roles:
            self.require(*roles)


PLATFORM = Principal(kind="platform", id="platform", org_id=None, name="govshare platform")
