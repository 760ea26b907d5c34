"""Vectorized fast acceptance (pyarrow.compute) in front of the row processor: "accept in bulk, explain per row".

Most rows of a real file are already clean and valid. For them, a handful of Arrow compute kernels per column
(set membership, lengths, a few regular expressions, the ID number check as table look-ups) decide acceptance
for the whole chunk at C speed, and the JSON data of the accepted rows is assembled column-wise. Every row these
checks do not accept outright — anything to clean, anything invalid, anything unusual — goes to the
:class:`~govshare.library.compiler.RowProcessor`, which stays the single authority on what is valid, which
cleaning rule fired and which rule rejected a value.

The contract, checked by a differential test on randomly dirtied rows: a row the fast path accepts is one the
row processor accepts too, with byte-identical data (hence identical content hash) and no cleaning rule fired.
Schemas with kinds the fast path does not cover (numbers, patterns, licence identifiers, subject codes by type,
composite keys) are processed by the row processor alone (:func:`supports`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from govshare.library.cleaning import INVISIBLE, NULL_TOKENS, clean_text
from govshare.library.compiler import HASH_HEX, KEY_MAX, ProcessedChunk, RowProcessor
from govshare.library.tableschema import DateOrder, FieldSpec, IdNumberConsistency, TableSchema
from govshare.library.validators import _partial, check_region
from govshare.standards.identifiers import (
    ID_NUMBER_CHECK_CHARS,
    ID_NUMBER_WEIGHTS,
    USCC_ALPHABET,
    make_id_number,
    validate_id_number,
)

_FORMATS = (None, "id_number", "uscc", "region_code")
#: Control, full-width and invisible characters (RE2 syntax): a value with any of them needs cleaning.
_ODD_RE2 = (
    "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f"
    + "".join(f"\\x{{{ord(c):x}}}" for c in INVISIBLE)
    + ("\\x{3000}\\x{ff01}-\\x{ff5e}]")
)
#: Every character Python's str.strip() removes, at either end of a value.
_SPACES = "".join(f"\\x{{{ord(c):x}}}" for c in map(chr, range(0x3001)) if c.isspace())
_EDGE_RE2 = f"^[{_SPACES}]|[{_SPACES}]$"
_UNCLEAN_RE2 = f"{_ODD_RE2}|{_EDGE_RE2}"
#: Characters JSON (and orjson) escape that a clean text value may contain.
_JSON_SPECIAL = set('"\\\t\n\r')
_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
_NULL_TOKENS = pa.array(sorted(NULL_TOKENS))
_USCC_RE2 = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUES = pa.array(list(USCC_ALPHABET))
_ODD_DIGITS = pa.array(list("13579"))
_EVEN_DIGITS = pa.array(list("02468"))
_FIRST_DAY = dt.date(1800, 1, 1)
_LAST_DAY = dt.date(2100, 12, 31)


def supports(schema: TableSchema) -> bool:
    """Whether every field and row rule of ``schema`` has a vectorized fast check."""
    if len(schema.primary_key) != 1:
        return False
    for f in schema.fields:
        if f.type not in ("string", "date") or f.format not in _FORMATS:
            return False
        if f.pattern is not None or f.min_length is not None:
            return False
        if f.enum is not None and any(clean_text(v) != (v, (), None) for v in f.enum):
            return False  # an enumeration value that cleaning would change cannot be matched as it is
    return all(isinstance(r, IdNumberConsistency | DateOrder) for r in schema.row_rules)


@dataclass(slots=True)
class ArrowChunk:
    """A chunk as Arrow columns in schema field order (None: the file lacks the column); "" means empty."""

    columns: list[pa.Array | None]
    numbers: pa.Array  # row number of each row
    issues: list[tuple[int, str | None, str, str | None]] = field(default_factory=list)
    rows_read: int = 0
    first_row: int = 0
    last_row: int = 0


def _iso_dates(first: dt.date, last: dt.date) -> pa.Array:
    """Every day from ``first`` to ``last`` as ``YYYY-MM-DD`` (Arrow's date to string cast writes ISO dates)."""
    epoch = dt.date(1970, 1, 1)
    days = pa.array(range((first - epoch).days, (last - epoch).days + 1), pa.int32())
    return days.cast(pa.date32()).cast(pa.string())


class VectorProcessor:
    """Fast acceptance for one ingest (not thread-safe: it learns region codes as it goes)."""

    def __init__(self, rows: RowProcessor) -> None:
        self.rows = rows
        self.schema = rows.schema
        today = rows.today
        self.names = rows.names
        self.key_position = rows.key_positions[0]
        self._dates_all = _iso_dates(_FIRST_DAY, _LAST_DAY)
        self._dates_past = self._dates_all.slice(0, (today - _FIRST_DAY).days + 1)
        # The ID number check as table look-ups (see validators.IdNumberChecker): partial sums of the check.
        ids = rows.ids
        self._id_dates = pa.array(list(ids.dates))
        self._id_date_partials = pa.array(list(ids.dates.values()), pa.int32())
        self._id_seq = pa.array([f"{i:03d}" for i in range(1000)])
        self._id_seq_partials = pa.array([_partial(f"{i:03d}", 14) for i in range(1000)], pa.int32())
        max_sum = 9 * sum(ID_NUMBER_WEIGHTS)
        self._id_check_table = pa.array([ID_NUMBER_CHECK_CHARS[s % 11] for s in range(max_sum + 1)])
        self._id_regions: dict[str, int] = {}  # region prefixes the full check accepts → partial sum
        self._id_regions_seen: set[str] = set()
        self._id_region_arrays: tuple[pa.Array, pa.Array] | None = None
        self._regions_ok: set[str] = set()
        self._regions_seen: set[str] = set()
        self._regions_array: pa.Array | None = None
        # Free text can hold quotes, backslashes and line breaks; checked codes, dates and enums cannot.
        self._may_need_escape = [
            f.format is None and f.type == "string" and (f.enum is None or any(_JSON_SPECIAL & set(v) for v in f.enum))
            for f in self.schema.fields
        ]

    # ---- learning region codes (a few hundred distinct values, checked once each) ---------------------
    def _region_set(self, col: pa.Array) -> pa.Array:
        new = [c for c in pc.unique(col).to_pylist() if c and c not in self._regions_seen]
        if new or self._regions_array is None:
            for code in new:
                self._regions_seen.add(code)
                try:
                    check_region(code)
                    self._regions_ok.add(code)
                except Exception:  # noqa: BLE001,S112 (Reject: the row processor will say why)
                    continue
            self._regions_array = pa.array(sorted(self._regions_ok), pa.string())
        return self._regions_array

    def _id_region_tables(self, prefixes: pa.Array) -> tuple[pa.Array, pa.Array]:
        new = [p for p in pc.unique(prefixes).to_pylist() if p not in self._id_regions_seen]
        if new or self._id_region_arrays is None:
            for prefix in new:
                self._id_regions_seen.add(prefix)
                if len(prefix) != 6 or not (prefix.isascii() and prefix.isdigit()):
                    continue
                try:  # a region prefix is good when a number with it passes the full check
                    validate_id_number(make_id_number(prefix, dt.date(2000, 1, 1), 1))
                except Exception:  # noqa: BLE001,S112
                    continue
                self._id_regions[prefix] = _partial(prefix, 0)
            keys, partials = list(self._id_regions), list(self._id_regions.values())
            self._id_region_arrays = (pa.array(keys, pa.string()), pa.array(partials, pa.int32()))
        return self._id_region_arrays

    # ---- per-field fast checks -------------------------------------------------------------------------
    def _clean(self, col: pa.Array) -> pa.Array:
        """Values that clean_text leaves exactly as they are (and that are no null marker)."""
        needs_cleaning = pc.match_substring_regex(col, _UNCLEAN_RE2)
        return pc.invert(pc.or_(needs_cleaning, pc.is_in(col, value_set=_NULL_TOKENS)))

    def _id_ok(self, col: pa.Array) -> pa.Array:
        ascii18 = pc.equal(pc.binary_length(col), 18)
        keys, partials = self._id_region_tables(pc.utf8_slice_codeunits(col, 0, 6))
        rp = pc.take(partials, pc.index_in(pc.utf8_slice_codeunits(col, 0, 6), value_set=keys))
        dp = pc.take(self._id_date_partials, pc.index_in(pc.utf8_slice_codeunits(col, 6, 14), value_set=self._id_dates))
        sp = pc.take(self._id_seq_partials, pc.index_in(pc.utf8_slice_codeunits(col, 14, 17), value_set=self._id_seq))
        total = pc.add(pc.add(rp, dp), sp)  # null when any part is unknown
        check = pc.take(self._id_check_table, total)
        return pc.fill_null(pc.and_(ascii18, pc.equal(check, pc.utf8_slice_codeunits(col, 17, 18))), False)

    def _uscc_ok(self, col: pa.Array) -> pa.Array:
        shaped = pc.match_substring_regex(col, _USCC_RE2)
        safe = pc.if_else(shaped, col, pa.scalar("0" * 18))
        total = None
        for i, w in enumerate(_USCC_WEIGHTS):
            v = pc.multiply(pc.index_in(pc.utf8_slice_codeunits(safe, i, i + 1), value_set=_USCC_VALUES), w)
            total = v if total is None else pc.add(total, v)
        # C18 = 31 − (Σ mod 31), 31 → 0; as a look-up over every possible sum (no modulo kernel needed)
        table = pa.array([USCC_ALPHABET[(31 - s % 31) % 31] for s in range(30 * sum(_USCC_WEIGHTS) + 1)])
        check = pc.take(table, total)
        return pc.fill_null(pc.and_(shaped, pc.equal(check, pc.utf8_slice_codeunits(safe, 17, 18))), False)

    def _field_ok(self, f: FieldSpec, col: pa.Array, empty: pa.Array) -> pa.Array:
        if f.format == "id_number":
            value_ok = self._id_ok(col)
        elif f.format == "uscc":
            value_ok = self._uscc_ok(col)
        elif f.format == "region_code":
            value_ok = pc.is_in(col, value_set=self._region_set(col))
        elif f.type == "date":
            value_ok = pc.is_in(col, value_set=self._dates_past if f.not_future else self._dates_all)
        elif f.enum is not None:
            value_ok = pc.is_in(col, value_set=pa.array(f.enum))
        else:
            value_ok = self._clean(col)
            if f.max_length is not None:
                value_ok = pc.and_(value_ok, pc.less_equal(pc.utf8_length(col), f.max_length))
        value_ok = pc.and_(value_ok, pc.invert(empty))
        return value_ok if f.required else pc.or_(value_ok, empty)

    # ---- the chunk -------------------------------------------------------------------------------------
    def process(self, chunk: ArrowChunk, dialect: str, stamp) -> tuple[ProcessedChunk, bytes | None]:  # noqa: ANN001
        """Accepted records and their store payload (see store.build_payload), plus issues of the rest."""
        n = len(chunk.numbers)
        out = ProcessedChunk(rows_read=chunk.rows_read, issues=list(chunk.issues), rows_rejected=len(chunk.issues))
        if n == 0:
            return out, None
        schema = self.schema
        blank = pa.array([""] * n, pa.string())
        cols = [c if c is not None else blank for c in chunk.columns]
        empties = [pc.equal(c, "") for c in cols]
        ok = None
        for f, col, empty in zip(schema.fields, cols, empties, strict=True):
            field_ok = self._field_ok(f, col, empty)
            ok = field_ok if ok is None else pc.and_(ok, field_ok)
        for rule in schema.row_rules:
            ok = pc.and_(ok, self._row_rule_ok(rule, cols))
        key_col = cols[self.key_position]
        ok = pc.and_(ok, pc.less_equal(pc.utf8_length(key_col), KEY_MAX))
        ok = pc.fill_null(ok, False)

        fast_idx = pc.indices_nonzero(ok)
        slow_idx = pc.indices_nonzero(pc.invert(ok))
        slow = ProcessedChunk()
        if len(slow_idx):
            py_cols = [pc.take(c, slow_idx).to_pylist() if c is not None else None for c in chunk.columns]
            nums = pc.take(chunk.numbers, slow_idx).to_pylist()
            values = zip(*[c if c is not None else [None] * len(nums) for c in py_cols], strict=True)
            rows = list(zip(nums, values, strict=True))
            self.rows.process(rows, slow)
        fast_key_col = pc.take(key_col, fast_idx)
        fast_keys = fast_key_col.to_pylist()
        fast_nums = pc.take(chunk.numbers, fast_idx).to_pylist()
        taken = set(fast_keys)
        if len(taken) != len(fast_keys) or any(k in taken for k in slow.keys):
            # A key repeated inside the chunk: "first occurrence wins" needs file order; the row processor has it.
            from govshare.library.store import build_payload

            out = self._all_rows(chunk, out)
            return out, (build_payload(out, dialect, stamp) if out.keys else None)

        # The JSON of every row, then of the accepted ones only: one take instead of one per column.
        data = pc.take(self._json(cols, empties), fast_idx)
        hashes = [hashlib.sha256(b).hexdigest()[:HASH_HEX] for b in data.cast(pa.binary()).to_pylist()]

        out.keys = fast_keys + slow.keys
        out.row_numbers = fast_nums + slow.row_numbers
        out.issues += slow.issues
        out.rows_rejected += slow.rows_rejected
        out.fired = slow.fired
        payload = self._payload(dialect, stamp, fast_key_col, data, hashes, slow)
        out.rows_read = chunk.rows_read
        return out, payload

    def _all_rows(self, chunk: ArrowChunk, out: ProcessedChunk) -> ProcessedChunk:
        n = len(chunk.numbers)
        py_cols = [c.to_pylist() if c is not None else [None] * n for c in chunk.columns]
        rows = list(zip(chunk.numbers.to_pylist(), zip(*py_cols, strict=True), strict=True))
        self.rows.process(rows, out)
        out.rows_read = chunk.rows_read
        return out

    def _row_rule_ok(self, rule, cols: list[pa.Array]) -> pa.Array:  # noqa: ANN001
        s = self.schema
        if isinstance(rule, IdNumberConsistency):
            ident = cols[s.position(rule.id_field)]
            ok = pa.array([True] * len(ident))
            if rule.gender_field:
                gender = cols[s.position(rule.gender_field)]
                parity = pc.utf8_slice_codeunits(ident, 16, 17)
                male_even = pc.and_(pc.equal(gender, "男"), pc.is_in(parity, value_set=_EVEN_DIGITS))
                female_odd = pc.and_(pc.equal(gender, "女"), pc.is_in(parity, value_set=_ODD_DIGITS))
                ok = pc.and_(ok, pc.invert(pc.or_(male_even, female_odd)))
            if rule.birth_date_field:
                born = cols[s.position(rule.birth_date_field)]
                same = pc.equal(pc.replace_substring(born, "-", ""), pc.utf8_slice_codeunits(ident, 6, 14))
                ok = pc.and_(ok, pc.or_(pc.equal(born, ""), same))
            return ok
        start, end = cols[s.position(rule.start_field)], cols[s.position(rule.end_field)]
        either_empty = pc.or_(pc.equal(start, ""), pc.equal(end, ""))
        return pc.or_(either_empty, pc.greater_equal(end, start))

    # ---- output ----------------------------------------------------------------------------------------
    @staticmethod
    def _escaped(col: pa.Array, escapes: tuple[tuple[str, str], ...]) -> pa.Array:
        # Usually nothing to escape: found out by a byte search (memchr) per character over the column's values,
        # twenty times faster than a regular expression kernel.
        values = _concatenated(col).tobytes()
        if any(plain.encode() in values for plain, _ in escapes):
            for plain, escaped in escapes:
                col = pc.replace_substring(col, plain, escaped)
        return col

    def _json(self, cols: list[pa.Array], empties: list[pa.Array]) -> pa.Array:
        """The data array of each row as orjson writes it: ["v1","v2",null,…] with trailing nulls dropped.

        One element-wise join over columns and the literal text between them (adjacent literals merged: the
        join's cost grows with its pieces); only free-text columns can hold characters JSON escapes (codes,
        dates and enumerations were checked to be plain), so only they are scanned. An optional column with no
        empty value in the chunk (the usual case) is joined like a required one.
        """
        pieces: list[object] = []
        literal = "["
        any_null = False
        for i, (col, empty) in enumerate(zip(cols, empties, strict=True)):
            if i:
                literal += ","
            if self._may_need_escape[i]:
                col = self._escaped(col, _JSON_ESCAPES)
            if self.schema.fields[i].required or not pc.any(empty).as_py():
                pieces += [literal + '"', col]
                literal = '"'
            else:
                quoted = pc.binary_join_element_wise('"', col, '"', "")
                pieces += [literal, pc.if_else(empty, pa.scalar("null"), quoted)]
                literal = ""
                any_null = True
        data = pc.binary_join_element_wise(*pieces, literal + "]", "")
        if any_null and not self.schema.fields[-1].required:
            data = pc.replace_substring_regex(data, pattern=r"(,null)+\]$", replacement="]")
        return data

    def _payload(
        self,
        dialect: str,
        stamp,  # noqa: ANN001
        keys: pa.Array,
        data: pa.Array,
        hashes: list[str],
        slow: ProcessedChunk,
    ) -> bytes:
        """The store payload of the fast rows and the row processor's rows, in key order (see build_payload)."""
        from govshare.library.store import frame_payload, payload_items

        hash_col = pa.array(hashes, pa.string())
        if dialect == "postgresql":
            key_c = self._escaped(keys, _COPY_ESCAPES)
            data_c = self._escaped(data, _COPY_ESCAPES[:1])
            items = pc.binary_join_element_wise(key_c, "\t", data_c, "\t", hash_col, stamp.copy_suffix(), "")
        else:
            escape = self._may_need_escape[self.key_position]
            key_j = self._escaped(keys, _JSON_ESCAPES) if escape else keys
            items = pc.binary_join_element_wise('"', hash_col, key_j, '":', data, ",", "")
        if slow.keys:
            slow_items = payload_items(slow.keys, slow.datas, slow.hashes, dialect, stamp)
            items = pa.concat_arrays([items, pa.array(slow_items, pa.string())])
            keys = pa.concat_arrays([keys, pa.array(slow.keys, pa.string())])
        items = items.take(pc.sort_indices(keys))
        return frame_payload(_concatenated(items), dialect)


def _concatenated(col: pa.Array) -> memoryview:
    """All values of a string column back to back, as UTF-8: a view of the column's value buffer (no copy)."""
    if len(col) == 0:
        return memoryview(b"")
    offsets = memoryview(col.buffers()[1]).cast("i")  # int32 offsets of a (non-large) string array
    start, end = offsets[col.offset], offsets[col.offset + len(col)]
    return memoryview(col.buffers()[2])[start:end]
