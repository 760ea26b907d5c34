"""Every read of catalog data by the sharing domain goes through here (a domain uses another's service only).

The sharing workflow needs a few facts about a resource: who provides it, its share type with condition and
basis, whether it is in the published catalog, and per data item its effective share type, secrecy,
sensitivity level and masking pattern. This module turns the catalog service's answer into small immutable
values, so the policy cache holds plain data and not ORM objects bound to a closed session.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from govshare.catalog import service as catalog
from govshare.errors import Problem
from govshare.identity.principal import PLATFORM

#: Levels as numbers; ``is_sensitive`` without a level counts as L3 (较敏感) — the cautious reading.
LEVELS = {"L1": 1, "L2": 2, "L3": 3, "L4": 4}


@dataclass(frozen=True, slots=True)
class ItemInfo:
    machine_name: str
    name: str
    share_type: str  # effective: the item's own, else the resource's (unconditional | conditional | none)
    is_key: bool = False
    is_secret: bool = False
    is_sensitive: bool = False
    sensitivity: str | None = None  # L1..L4
    masking: str | None = None

    @property
    def level(self) -> int:
        if self.sensitivity in LEVELS:
            return LEVELS[self.sensitivity]
        return 3 if self.is_sensitive else 0


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    id: str
    code: str
    name: str
    provider_org_id: str
    share_type: str | None
    share_condition: str
    share_basis: str
    share_reason: str | None
    version: int | None
    listed: bool
    items: tuple[ItemInfo, ...]
    by_name: dict[str, ItemInfo] = field(default_factory=dict, compare=False, hash=False)

    def item(self, machine_name: str) -> ItemInfo | None:
        return self.by_name.get(machine_name)


def _info(r) -> ResourceInfo:  # noqa: ANN001 — the catalog service's Resource
    share = r.share_type or "none"  # a resource without a share type is not shared: fail closed
    items = tuple(
        ItemInfo(
            machine_name=i.machine_name,
            name=i.name,
            share_type=i.share_type or share,
            is_key=bool(i.is_key),
            is_secret=bool(i.is_secret),
            is_sensitive=bool(i.is_sensitive),
            sensitivity=i.sensitivity,
            masking=i.masking,
        )
        for i in r.items
    )
    return ResourceInfo(
        id=r.id,
        code=r.code,
        name=r.name,
        provider_org_id=r.provider_org_id,
        share_type=r.share_type,
        share_condition=r.share_condition or "",
        share_basis=r.share_basis or "",
        share_reason=r.share_reason,
        version=r.published_version,
        listed=bool(r.is_listed),
        items=items,
        by_name={i.machine_name: i for i in items},
    )


def resource_by_code(session: Session, code: str) -> ResourceInfo | None:
    """The resource with ``code`` as currently published (any status; check ``listed``), or None."""
    try:
        r = catalog.get_by_code(session, actor=PLATFORM, code=code)
    except Problem as exc:
        if exc.status == 404:
            return None
        raise
    return _info(r)


def resource_by_id(session: Session, resource_id: str) -> ResourceInfo | None:
    try:
        r = catalog.get_visible(session, actor=PLATFORM, resource_id=resource_id)
    except Problem as exc:
        if exc.status == 404:
            return None
        raise
    return _info(r)


def listed_resource(session: Session, *, code: str | None = None, resource_id: str | None = None) -> ResourceInfo:
    """A resource in the published sharing catalog, or 404 ``resource_not_found``."""
    info = resource_by_code(session, code) if code else resource_by_id(session, resource_id or "")
    if info is None or not info.listed:
        raise Problem(
            404,
            "resource_not_found",
            f"目录中没有已发布的资源 {code or resource_id}",
            f"no published catalog resource {code or resource_id}",
            field="resource_code" if code else "resource_id",
        )
    return info
