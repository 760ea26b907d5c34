"""Masking patterns (脱敏规则) configured per data item.

Written by hand: no maintained library has these few Chinese-government patterns. A pattern is one of

- ``none``         shown as is
- ``full``         every character replaced by ``*``
- ``keep:F:L``     keep the first F and the last L characters (``keep:6:4``: 110101********1234)
- ``name``         keep the first character of a person's name (张**)
- ``email``        keep the first character of the local part and the domain (z***@example.cn)
- ``year``         keep the year of a date (1949-**-**)
"""

from __future__ import annotations

import re

_KEEP = re.compile(r"^keep:(\d{1,2}):(\d{1,2})$")
SIMPLE = ("none", "full", "name", "email", "year")


def is_valid_pattern(pattern: str) -> bool:
    return pattern in SIMPLE or _KEEP.match(pattern) is not None


def mask(pattern: str | None, value: str | None) -> str | None:
    """Apply ``pattern`` to ``value``. Unknown patterns mask fully: failing closed is the safe side."""
    if value is None or pattern in (None, "none"):
        return value
    if pattern == "name":
        return value[:1] + "*" * max(len(value) - 1, 1) if value else value
    if pattern == "email":
        local, at, domain = value.partition("@")
        return (local[:1] + "***" + at + domain) if at else "*" * len(value)
    if pattern == "year":
        return value[:4] + re.sub(r"\d", "*", value[4:])
    m = _KEEP.match(pattern)
    if m:
        first, last = int(m.group(1)), int(m.group(2))
        if first + last >= len(value):
            return "*" * len(value)
        return value[:first] + "*" * (len(value) - first - last) + (value[len(value) - last :] if last else "")
    return "*" * len(value)
