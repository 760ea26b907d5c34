"""Administrative region codes (行政区划代码, GB/T 2260).

A code has six digits: province (省, 2) + prefecture (地, 2) + county (县, 2), e.g. 440305 = 广东省 深圳市 南山区.
The table ships in ``data/gb2260.csv`` (real codes, source and version in ``data/README.md``) and
``data/demo_regions.csv`` (the fictional 示范市 of the demo). Both are read once, on first use.

Levels, as this module names them:

- province-level (省级) ``PP0000``;
- prefecture-level (地级) ``PPCC00``;
- county-level (县级) ``PPCCXX``. Two kinds have no prefecture above them: districts of the four
  municipalities (直辖市, ``1101xx``, ``5002xx`` …) and county-level units directly under a province
  (省直辖县级, ``PP90xx``, e.g. 429004 仙桃市).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: 直辖市: their districts and counties hang directly under the province-level code.
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
#: Prefecture digits of 省直辖县级行政区划 (county-level units under the province itself).
_PROVINCE_DIRECT = "90"
#: Prefecture digits used by 直辖市 for 市辖区 (01) and 县 (02).
_MUNICIPAL_GROUPS = frozenset({"01", "02"})


@dataclass(frozen=True, slots=True)
class _Table:
    names: dict[str, str]
    fictional: frozenset[str]


def _read_csv(filename: str) -> dict[str, str]:
    text = resources.files("govshare.standards").joinpath("data", filename).read_text(encoding="utf-8")
    return {row["code"]: row["name"] for row in csv.DictReader(io.StringIO(text))}


@cache
def _table() -> _Table:
    names = _read_csv("gb2260.csv")
    demo = _read_csv("demo_regions.csv")
    clash = names.keys() & demo.keys()
    if clash:  # a real code must never be shadowed by a demo one
        raise RuntimeError(f"demo region codes collide with GB/T 2260: {sorted(clash)}")
    return _Table(names={**names, **demo}, fictional=frozenset(demo))


def _is_code(code: object) -> bool:
    return isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()


def region_name(code: str) -> str | None:
    """The name of a known code (``"440305"`` → ``"南山区"``), else ``None``."""
    if not _is_code(code):
        return None
    return _table().names.get(code)


def is_known_region(code: str) -> bool:
    """Whether ``code`` is itself in the table (real or demo)."""
    return region_name(code) is not None


def is_fictional(code: str) -> bool:
    """Whether ``code`` belongs to the invented demo city (示范市), not to GB/T 2260."""
    return _is_code(code) and code in _table().fictional


def province_of(code: str) -> str | None:
    """The province-level code (``"440000"``) of any code whose province is known."""
    if not _is_code(code):
        return None
    province = code[:2] + "0000"
    return province if province in _table().names else None


def _parent_prefecture(code: str) -> str | None:
    """The code one level above a county-level code: its prefecture, or its province where none exists."""
    middle = code[2:4]
    if middle == _PROVINCE_DIRECT or (code[:2] in MUNICIPALITIES and middle in _MUNICIPAL_GROUPS):
        return code[:2] + "0000"
    return code[:4] + "00"


def city_of(code: str) -> str | None:
    """The prefecture-level code (地级, ``"440300"``) that ``code`` lies in.

    A prefecture code gives itself; a province code gives ``None``. For districts of a 直辖市 the
    municipality itself is the city (``"110105"`` → ``"110000"``). County-level units directly under a
    province (``PP90xx``) have no prefecture: ``None``.
    """
    if not _is_code(code) or code.endswith("0000"):
        return None
    names = _table().names
    if code.endswith("00"):
        return code if code in names else None
    if code[2:4] == _PROVINCE_DIRECT:
        return None
    parent = _parent_prefecture(code)
    return parent if parent in names else None


def is_valid_region(code: str) -> bool:
    """Whether ``code`` is a usable region code.

    True for a code in the table, and for a county-level code the table lacks whose prefecture (or, for
    直辖市 and 省直辖 units, province) is known: counties are created and renamed every year, and
    rejecting a fresh one would do more harm than accepting a code from a real prefecture.
    """
    if not _is_code(code):
        return False
    names = _table().names
    if code in names:
        return True
    if code.endswith("00"):  # an unknown province or prefecture is not guessed at
        return False
    parent = _parent_prefecture(code)
    return parent is not None and parent in names


def region_full_name(code: str) -> str | None:
    """Province + prefecture + county names joined, e.g. ``"广东省深圳市南山区"``; ``None`` unless the code is
    in the table.

    Only levels present in the table are used, so a 直辖市 district reads ``"北京市朝阳区"``.
    """
    names = _table().names
    if not _is_code(code) or code not in names:
        return None
    parts: list[str] = []
    for level_code in (code[:2] + "0000", code[:4] + "00", code):
        name = names.get(level_code)
        if name and (not parts or parts[-1] != name):
            parts.append(name)
    return "".join(parts) or None


def counties_of(prefecture: str) -> list[str]:
    """Known county-level codes directly under a prefecture (or under a 直辖市), sorted."""
    if not _is_code(prefecture) or not prefecture.endswith("00"):
        return []
    names = _table().names
    if prefecture.endswith("0000"):
        if prefecture[:2] not in MUNICIPALITIES:
            return []
        return sorted(c for c in names if c[:2] == prefecture[:2] and not c.endswith("00"))
    return sorted(c for c in names if c[:4] == prefecture[:4] and not c.endswith("00"))


def all_regions() -> dict[str, str]:
    """A copy of the whole table (code → name), real and demo codes."""
    return dict(_table().names)
