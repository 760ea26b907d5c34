"""Validators of the standard formats and the row rules, built once per ingest and called per value.

The authority for every identifier is :mod:`govshare.standards.identifiers` (python-stdnum underneath). For the
hot loop, :class:`IdNumberChecker` adds a fast path that accepts exactly what ``validate_id_number`` accepts: the
check character is linear in the digits, so it is the sum of three precomputed partial sums (region, birth date,
sequence) looked up in dicts that only hold region codes the full check has accepted, real birth dates up to
today and the 1000 sequence numbers. Anything the fast path does not accept goes to the full check, which gives
the precise rule code. A test compares both on random inputs.
"""

from __future__ import annotations

import calendar
import datetime as dt
import threading
from collections.abc import Callable

from govshare.library.cleaning import Reject
from govshare.library.tableschema import CodeByType, DateOrder, IdNumberConsistency, LicenceIdConsistency, TableSchema
from govshare.standards import regions
from govshare.standards.identifiers import (
    ID_NUMBER_CHECK_CHARS,
    ID_NUMBER_WEIGHTS,
    IdentifierError,
    parse_licence_id,
    uscc_warnings,
    validate_id_number,
    validate_licence_id,
    validate_uscc,
)

CHECK_CHARS = ID_NUMBER_CHECK_CHARS
#: The fast path knows birth dates from this day on; older ones take the full check.
FAST_PATH_FIRST_DAY = dt.date(1900, 1, 1)


def _partial(digits: str, offset: int) -> int:
    return sum(int(c) * w for c, w in zip(digits, ID_NUMBER_WEIGHTS[offset:], strict=False))


def _date_partials(first: dt.date, last: dt.date) -> dict[str, int]:
    """``YYYYMMDD`` → its part of the check sum (positions 7–14) for every day from ``first`` to ``last``, summed
    from the year's, month's and day's parts (a strftime and a digit sum per day took 0.17 s at every start)."""
    months = [_partial(f"{m:02d}", 10) for m in range(13)]
    days = [_partial(f"{d:02d}", 12) for d in range(32)]
    start, stop = first.strftime("%Y%m%d"), last.strftime("%Y%m%d")
    table: dict[str, int] = {}
    for year in range(first.year, last.year + 1):
        year_text = f"{year:04d}"
        year_part = _partial(year_text, 6)
        for month in range(1, 13):
            prefix, part = f"{year_text}{month:02d}", year_part + months[month]
            for day in range(1, calendar.monthrange(year, month)[1] + 1):
                digits = f"{prefix}{day:02d}"
                if digits > stop:
                    return table
                if digits >= start:
                    table[digits] = part + days[day]
    return table


class IdNumberChecker:
    """Validates 公民身份号码 (GB 11643) for one ``today`` (birth dates after it are rejected)."""

    _lock = threading.Lock()
    _date_tables: dict[dt.date, dict[str, int]] = {}
    #: Region codes (first 6 digits) the full check accepted, with their partial sums; shared and only grown.
    _regions: dict[str, int] = {}
    _seq = {f"{i:03d}": _partial(f"{i:03d}", 14) for i in range(1000)}

    def __init__(self, today: dt.date | None = None) -> None:
        self.today = today or dt.date.today()
        with self._lock:
            table = self._date_tables.get(self.today)
            if table is None:
                table = _date_partials(FAST_PATH_FIRST_DAY, self.today)
                self._date_tables.clear()  # one day's table at a time
                self._date_tables[self.today] = table
        self.dates = table

    def check(self, text: str) -> str:
        """The canonical number, or :class:`Reject` with the rule code of the first failed check."""
        if self.fast_check(text) is not None:
            return text
        try:
            number = validate_id_number(text, today=self.today)
        except IdentifierError as exc:
            raise Reject(exc.code) from None
        self._regions[number[:6]] = _partial(number[:6], 0)
        return number

    def fast_check(self, text: str) -> str | None:
        """The fast path alone: ``text`` when it is certainly valid, ``None`` when the full check must decide.

        The generated row loop (compiler.py) inlines this very test.
        """
        if len(text) == 18:
            p = self._regions.get(text[:6])
            q = self.dates.get(text[6:14])
            r = self._seq.get(text[14:17])
            if p is not None and q is not None and r is not None and CHECK_CHARS[(p + q + r) % 11] == text[17]:
                return text
        return None


def check_uscc(text: str, *, lenient: bool) -> tuple[str, tuple[str, ...]]:
    """A USCC in canonical form, and warnings. ``lenient`` accepts a failing check character with a warning."""
    try:
        number = validate_uscc(text, accept_bad_checksum=lenient)
    except IdentifierError as exc:
        raise Reject(exc.code) from None
    if lenient and "uscc_checksum" in uscc_warnings(number):
        return number, ("uscc_checksum_accepted",)
    return number, ()


def check_region(text: str) -> str:
    if not regions.is_valid_region(text):
        raise Reject("region_code_invalid")
    return text


def check_licence_id(text: str) -> str:
    try:
        return validate_licence_id(text)
    except IdentifierError as exc:
        raise Reject(exc.code) from None


# ---- row rules ---------------------------------------------------------------------------------------
#: A compiled row rule: takes the row's clean values (may correct them in place, e.g. a subject code) and the
#: cleaning counter; returns the (field, rule) pairs that failed, or an empty tuple.
RowCheck = Callable[[list, dict[str, int]], "tuple[tuple[str, str], ...] | list[tuple[str, str]]"]

_MALE, _FEMALE = "男", "女"


def compile_row_rule(spec, schema: TableSchema, ids: IdNumberChecker) -> RowCheck:  # noqa: ANN001
    if isinstance(spec, IdNumberConsistency):
        i = schema.position(spec.id_field)
        g = schema.position(spec.gender_field) if spec.gender_field else None
        b = schema.position(spec.birth_date_field) if spec.birth_date_field else None
        gender_field, birth_field = spec.gender_field, spec.birth_date_field

        def id_consistency(vals: list, _counts: dict[str, int]) -> tuple[tuple[str, str], ...]:
            number = vals[i]
            if number is None:
                return ()
            out: tuple[tuple[str, str], ...] = ()
            if g is not None:
                gender = vals[g]
                if (gender == _MALE and number[16] in "02468") or (gender == _FEMALE and number[16] in "13579"):
                    out = ((gender_field, "id_number_gender_mismatch"),)
            if b is not None:
                born = vals[b]
                if born is not None and born.replace("-", "") != number[6:14]:
                    out += ((birth_field, "id_number_birth_date_mismatch"),)
            return out

        return id_consistency

    if isinstance(spec, DateOrder):
        s, e, end_field = schema.position(spec.start_field), schema.position(spec.end_field), spec.end_field

        def date_order(vals: list, _counts: dict[str, int]) -> tuple[tuple[str, str], ...]:
            start, end = vals[s], vals[e]
            if start is not None and end is not None and end < start:  # ISO dates compare as text
                return ((end_field, "date_order"),)
            return ()

        return date_order

    if isinstance(spec, CodeByType):
        c, t, code_field = schema.position(spec.code_field), schema.position(spec.type_field), spec.code_field
        id_check = ids.check

        def code_by_type(vals: list, counts: dict[str, int]) -> tuple[tuple[str, str], ...]:
            code, kind = vals[c], vals[t]
            if code is None or kind is None:
                return ()
            try:
                if kind == "111":
                    if code.endswith("x"):
                        code = code[:-1] + "X"
                        counts["id_number_upper_x"] = counts.get("id_number_upper_x", 0) + 1
                    vals[c] = id_check(code)
                elif kind == "001":
                    vals[c] = check_uscc(code, lenient=True)[0]
                else:
                    return ((code_field, "code_type_invalid"),)
            except Reject as exc:
                return ((code_field, exc.rule),)
            return ()

        return code_by_type

    if isinstance(spec, LicenceIdConsistency):
        i = schema.position(spec.id_field)
        tc = schema.position(spec.type_code_field) if spec.type_code_field else None
        ic = schema.position(spec.issuer_code_field) if spec.issuer_code_field else None
        tc_field, ic_field = spec.type_code_field, spec.issuer_code_field

        def licence_consistency(vals: list, _counts: dict[str, int]) -> list[tuple[str, str]]:
            ident = vals[i]
            if ident is None:
                return []
            parts = parse_licence_id(ident)
            out = []
            if tc is not None and vals[tc] is not None and vals[tc].upper() != parts["type_code"]:
                out.append((tc_field, "licence_type_mismatch"))
            if ic is not None and vals[ic] is not None and vals[ic] != parts["issuer_code"]:
                out.append((ic_field, "licence_issuer_mismatch"))
            return out

        return licence_consistency

    raise ValueError(f"unknown row rule: {spec!r}")
