"""Organization scoping: how "department A reads department B's private objects" is made impossible.

Every list query over org-owned rows goes through :func:`scope_to_org`; every single-object read goes
through :func:`visible_or_404`, which answers 404 (not 403) so that another department cannot even learn
that an object exists.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from govshare.errors import not_found
from govshare.identity.principal import Principal

S = TypeVar("S", bound=Select)
T = TypeVar("T")


def scope_to_org(stmt: S, org_column: InstrumentedAttribute, principal: Principal) -> S:
    """Restrict ``stmt`` to rows of the caller's organization unless the caller sees platform-wide."""
    if principal.is_platform_admin:
        return stmt
    return stmt.where(org_column == principal.org_id)


def visible_or_404(obj: T | None, org_id_of_obj: str | None, principal: Principal, kind: str, kind_zh: str) -> T:
    if obj is None or not principal.can_see_org(org_id_of_obj):
        raise not_found(kind, kind_zh)
    return obj
