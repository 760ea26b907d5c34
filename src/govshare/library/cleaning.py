"""Cleaning rules (清洗规则): each turns a common source form into the standard one and says which rule fired.

Cleaning runs before validation, so "１１０１０５１９４９１２３１００２ｘ" is validated as "11010519491231002X".
Every function returns the cleaned value and the codes of the rules that changed it (see
:mod:`govshare.library.rules`); one that cannot make sense of its input raises :class:`Reject` with a
validation rule code.
"""

from __future__ import annotations

import datetime as dt
import re

from govshare.standards.identifiers import IdentifierError, upgrade_id_number_15


class Reject(Exception):  # noqa: N818 (a verdict, not an error of the program)
    """A value failed a validation rule; ``rule`` is its stable code."""

    __slots__ = ("rule",)

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


# ---- text: full-width, invisible characters, whitespace, null markers ----------------------------------
#: Full-width ASCII variants (U+FF01–FF5E) → ASCII, ideographic space → space, zero-width characters removed.
FULLWIDTH_TABLE: dict[int, int | None] = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
CLEAN_TABLE: dict[int, int | None] = FULLWIDTH_TABLE | dict.fromkeys(map(ord, INVISIBLE))
_FULLWIDTH = re.compile("[\u3000\uff01-\uff5e]").search
_INVISIBLE = re.compile(f"[{INVISIBLE}]").search
#: Control characters other than tab, line feed and carriage return: never legitimate in a field.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]").search
#: Spellings of "no value" found in exported spreadsheets and databases. "无" is not one: it can be a value.
NULL_TOKENS = frozenset(
    {"NULL", "null", "Null", "None", "none", "N/A", "n/a", "NA", "#N/A", "-", "--", "—", "/", "\\N"}
)

T_FULLWIDTH = ("fullwidth_to_halfwidth",)
T_TRIM = ("trim_whitespace",)
T_NULL = ("null_token",)
#: Anything that needs more than a strip: control, full-width and invisible characters (rare in practice).
ODD_CHARACTERS = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f{INVISIBLE}\u3000\uff01-\uff5e]").search


def clean_text(raw: str) -> tuple[str | None, tuple[str, ...], str | None]:
    """Full-width → half-width, invisible characters removed, trimmed, null markers → ``None``.

    Returns (text or None, cleaning rules fired, rejection): a value with control characters (other than tab,
    line feed, carriage return) is rejected (``control_characters``) rather than silently changed.
    """
    if ODD_CHARACTERS(raw) is None:  # the common case: one regex scan, then strip
        stripped = raw.strip()
        fired: tuple[str, ...] = () if stripped is raw else T_TRIM
    else:
        fired = ()
        text = raw
        if _INVISIBLE(text):
            fired += ("invisible_characters",)
        if _FULLWIDTH(text):
            fired += T_FULLWIDTH
        text = text.translate(CLEAN_TABLE)
        stripped = text.strip()
        if stripped != text:
            fired += T_TRIM
        if CONTROL(stripped):
            return None, fired, "control_characters"
    if not stripped:
        return None, fired, None
    if stripped in NULL_TOKENS:
        return None, fired + T_NULL, None
    return stripped, fired, None


# ---- dates -----------------------------------------------------------------------------------------------
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})").fullmatch
_UNPADDED = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})").fullmatch
_SLASHED = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})").fullmatch
_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?").fullmatch
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})").fullmatch
_WITH_TIME = re.compile(r"(.+?)[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?").fullmatch
_DATE_FORMS = (
    (_ISO, ()),
    (_UNPADDED, ("date_unpadded",)),
    (_SLASHED, ("date_slashed",)),
    (_CHINESE, ("date_chinese",)),
    (_COMPACT, ("date_compact",)),
)
#: Words for "no end date" on licences and credit records (长期有效).
LONG_TERM = frozenset({"长期", "长期有效", "永久", "永久有效", "无期限", "不限期", "长期(无期限)"})


def parse_date(text: str) -> tuple[dt.date, tuple[str, ...]]:
    """A date in any of the accepted forms → the date and the rules that normalized it.

    Forms: 1990-01-02 (standard), 1990-1-2, 1990/1/2, 1990.1.2, 1990年1月2日, 19900102, each optionally with a
    time of day after it (dropped). Raises :class:`Reject` ``date_invalid`` for anything else or a day that
    does not exist (1990-02-30).
    """
    fired: tuple[str, ...] = ()
    m = _WITH_TIME(text)
    if m is not None:
        text = m.group(1)
        fired = ("date_time_dropped",)
    for match, rules in _DATE_FORMS:
        m = match(text)
        if m is not None:
            try:
                value = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise Reject("date_invalid") from None
            return value, fired + rules
    raise Reject("date_invalid")


# ---- identifiers -------------------------------------------------------------------------------------
def clean_id_number(text: str) -> tuple[str, tuple[str, ...]]:
    """Upper-case a trailing x and upgrade a 15-digit number; validation comes after (see validators)."""
    fired: tuple[str, ...] = ()
    if text.endswith("x"):
        text = text[:-1] + "X"
        fired = ("id_number_upper_x",)
    if len(text) == 15 and text.isascii() and text.isdigit():
        try:
            text = upgrade_id_number_15(text)
        except IdentifierError as exc:
            raise Reject(exc.code) from None
        fired += ("id_number_15_to_18",)
    return text, fired


def clean_upper(text: str) -> tuple[str, tuple[str, ...]]:
    upper = text.upper()
    return (upper, ("upper_case",)) if upper != text else (text, ())


# ---- numbers -------------------------------------------------------------------------------------------
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?").fullmatch


def clean_number_text(text: str) -> tuple[str, tuple[str, ...]]:
    """ "1,234.50" → "1234.50" (thousands separators only where they are well placed)."""
    if "," in text and _THOUSANDS(text):
        return text.replace(",", ""), ("number_separator",)
    return text, ()
