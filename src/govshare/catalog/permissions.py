"""Who may do what in the catalog.

- A department's catalog managers (目录管理员) draft, edit, submit and ask to revoke their department's entries.
- The platform operator's (数据局) catalog managers and platform administrators review (审核): they see every
  entry in every state and approve or reject; nobody approves their own submission.
- Staff and systems of every department see the published sharing catalog; the public sees only the open catalog;
  an unpublished entry is visible only to its own department and to the reviewers (others get 404).
"""

from __future__ import annotations

from govshare.errors import forbidden
from govshare.identity.principal import Principal, Role


def is_reviewer(actor: Principal | None) -> bool:
    return actor is not None and (
        actor.is_platform_admin or (actor.org_is_operator and actor.is_user and Role.catalog_manager in actor.roles)
    )


def require_reviewer(actor: Principal) -> None:
    if not is_reviewer(actor):
        raise forbidden(
            "只有平台运营单位(数据局)的目录审核人员可以审核", "only the platform operator's reviewers review"
        )


def require_editor(actor: Principal, provider_org_id: str) -> None:
    """Catalog managers of the providing department (or a platform administrator)."""
    actor.require_org(provider_org_id, Role.catalog_manager)


def sees_workflow(actor: Principal | None, provider_org_id: str) -> bool:
    """Whether the caller sees drafts, pending changes and review state of the provider's entries."""
    return actor is not None and (actor.can_see_org(provider_org_id) or is_reviewer(actor))
