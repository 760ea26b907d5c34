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


def can_edit_catalog(p: Principal) -> bool:
    """As :func:`govshare.catalog.permissions.require_editor`: catalog managers (and the platform admin)."""
    return p.is_platform_admin or p.has(Role.catalog_manager)


def can_see_reviews(p: Principal) -> bool:
    """Reviewers (the operator's catalog managers and admins) decide; a department's catalog managers follow
    their own submissions in the same queue."""
    return can_edit_catalog(p)


def can_file_requests(p: Principal) -> bool:
    """As the sharing service's ``REQUESTER_ROLES``."""
    return p.has(Role.org_admin, Role.approver, Role.clerk) and p.kind == "user"


def can_answer_requests(p: Principal) -> bool:
    """Only a provider's approver answers (not its admin, not the platform admin)."""
    return Role.approver in p.roles


def can_confirm_agreements(p: Principal) -> bool:
    return bool({Role.org_admin, Role.approver} & set(p.roles))


def sees_sharing(p: Principal) -> bool:
    """Requests, agreements and grants: the departments' staff who file, answer or confirm, and the operator."""
    return (
        p.is_platform_admin or p.is_platform_auditor or p.has(Role.org_admin, Role.approver, Role.clerk, Role.auditor)
    )


def sees_objections(p: Principal) -> bool:
    """Objections: as :func:`sees_sharing`, plus the catalog managers who answer them for their department."""
    return sees_sharing(p) or p.has(Role.catalog_manager)
