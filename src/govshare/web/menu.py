"""The console's menu, built from what exists: each page module registers its entries with who may see them.

A later domain (catalog, sharing, library …) adds its section and entries when its screens land::

    register_section("catalog", N_("目录"), order=20)
    register_item(MenuItem("catalog.search", "catalog", N_("资源目录"), "/console/catalog", order=10,
                           allowed=lambda p: True))

Sections without a visible entry are not shown, so nothing points at a page that is not there. The menu
only hides; every page and service still checks the right itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from govshare.identity.principal import Principal


@dataclass(frozen=True, slots=True)
class MenuSection:
    key: str
    label: str  # message id (Chinese), translated when rendered
    order: int


@dataclass(frozen=True, slots=True)
class MenuItem:
    key: str  # "section.page": the page marks itself active with it
    section: str
    label: str
    href: str
    order: int = 100
    allowed: Callable[[Principal], bool] = lambda _p: True


@dataclass(frozen=True, slots=True)
class VisibleSection:
    section: MenuSection
    items: tuple[MenuItem, ...]


_sections: dict[str, MenuSection] = {}
_items: dict[str, MenuItem] = {}


def register_section(key: str, label: str, *, order: int) -> None:
    _sections[key] = MenuSection(key, label, order)


def register_item(item: MenuItem) -> None:
    if item.section not in _sections:
        raise ValueError(f"menu section {item.section!r} is not registered")
    _items[item.key] = item


def menu_for(principal: Principal) -> list[VisibleSection]:
    visible: list[VisibleSection] = []
    for section in sorted(_sections.values(), key=lambda s: (s.order, s.key)):
        items = tuple(
            sorted(
                (i for i in _items.values() if i.section == section.key and i.allowed(principal)),
                key=lambda i: (i.order, i.key),
            )
        )
        if items:
            visible.append(VisibleSection(section, items))
    return visible
