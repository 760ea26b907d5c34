"""Who sees which console pages. These mirror the services' own checks so the menu offers only what will
work; the services still decide (a hidden menu entry is not a permission)."""

from __future__ import annotations

from govshare.identity.principal import Principal, Role


def can_read_audit(p: Principal) -> bool:
    """As :func:`govshare.audit.service.search`: auditors and admins; the operator's auditors see all."""
    return p.is_platform_auditor or p.has(Role.auditor, Role.org_admin)


def can_verify_chain(p: Principal) -> bool:
    """As ``POST /api/v1/audit/verify``: only the platform's auditors verify the whole chain."""
    return p.is_platform_auditor


def can_manage_org(p: Principal) -> bool:
    """Systems, keys and users of the own department (the platform admin: of every department)."""
    return p.is_platform_admin or p.has(Role.org_admin)


def can_list_users(p: Principal) -> bool:
    """As :func:`govshare.identity.service.list_users`."""
    return p.is_platform_admin or p.has(Role.org_admin, Role.auditor)


def can_register_orgs(p: Principal) -> bool:
    return p.is_platform_admin
