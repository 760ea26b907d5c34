"""Streaming readers: CSV (UTF-8 or GB18030), Excel (.xlsx), JSON Lines and Parquet.

A reader opens the file, reads the header, maps its columns onto the schema's fields (by name, Chinese title or
alias) and then yields chunks of rows in field order. Memory stays bounded by the chunk size whatever the file
size: CSV and JSON Lines are read line by line, Excel through openpyxl's read-only mode, Parquet one record
batch at a time.

Row numbers are those a person finds the row under: for CSV the record number with the header as 1 (blank lines
are not records; without blank lines and multi-line values it is the spreadsheet row), for Excel the spreadsheet
row, for JSON Lines the line number, for Parquet the 1-based record number.

UTF-8 CSV is also readable through Arrow's C++ reader (:meth:`Source.arrow_chunks`), for the vectorized fast
path; it gives the same rows, row numbers and reader issues as the Python reader.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from pathlib import Path

import orjson

from govshare.errors import Problem
from govshare.library.tableschema import TableSchema, normalize_header

FORMATS = ("csv", "xlsx", "jsonl", "parquet")
_EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
#: Encodings accepted when declared; the GB family is read as GB18030, which contains GBK and GB2312.
_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "gb18030": "gb18030",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "cp936": "gb18030",
}
SNIFF_BYTES = 1 << 20
csv.field_size_limit(1 << 24)  # a legitimately long text field (16 MB) must not abort the whole file

# Decoding errors after the sample: count them (so rows with U+FFFD get quarantined) instead of aborting the file.
_decode_errors = threading.local()


def _count_and_replace(exc: UnicodeDecodeError) -> tuple[str, int]:
    _decode_errors.count = getattr(_decode_errors, "count", 0) + 1
    return "\ufffd", exc.end


codecs.register_error("govshare_count_replace", _count_and_replace)


def _problem(code: str, zh: str, en: str, **extra: object) -> Problem:
    return Problem(422, code, zh, en, field="file", extra=extra or None)


def detect_format(path: Path, declared: str | None = None) -> str:
    if declared:
        fmt = declared.lower().lstrip(".")
        fmt = {"ndjson": "jsonl", "excel": "xlsx", "xls": "xls"}.get(fmt, fmt)
        if fmt not in FORMATS:
            raise _problem(
                "ingest_format_unsupported",
                f"不支持的文件格式: {declared}(支持 CSV、Excel .xlsx、JSON Lines、Parquet)",
                f"unsupported format: {declared} (CSV, Excel .xlsx, JSON Lines, Parquet are)",
            )
        return fmt
    by_ext = _EXTENSIONS.get(path.suffix.lower())
    if by_ext:
        return by_ext
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.lstrip()[:1] == b"{":
        return "jsonl"
    return "csv"


def detect_encoding(path: Path, declared: str | None = None) -> str:
    """The declared encoding, or: a UTF-8 BOM → utf-8-sig; the first MB decodes as UTF-8 → utf-8; else GB18030."""
    if declared:
        enc = _ENCODINGS.get(declared.lower().replace("_", "-"))
        if enc is None:
            raise _problem(
                "ingest_encoding_unsupported",
                f"不支持的编码: {declared}(支持 UTF-8、GB18030/GBK)",
                f"unsupported encoding: {declared} (UTF-8 and GB18030/GBK are)",
            )
        return enc
    with open(path, "rb") as f:
        sample = f.read(SNIFF_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SNIFF_BYTES)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


class _HashingReader(io.RawIOBase):
    """Hashes the bytes as they are read, so a streamed file is read once for both parsing and its SHA-256."""

    def __init__(self, raw: io.FileIO) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        n = self.raw.readinto(buffer)
        if n:
            self.sha256.update(memoryview(buffer)[:n])
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@dataclass(slots=True)
class RawChunk:
    #: (row number, values in schema field order): a list or tuple of len(schema.fields).
    rows: list[tuple[int, list | tuple]] = field(default_factory=list)
    #: Rows the reader itself rejects: (row number, field, rule, value).
    issues: list[tuple[int, str | None, str, str | None]] = field(default_factory=list)
    rows_read: int = 0
    first_row: int = 0
    last_row: int = 0


def _scalar(value: object) -> object:
    """Values as the field processors take them: str, int, float, bool, date, datetime or None."""
    if value is None or value.__class__ in (str, int, float, bool, dt.date, dt.datetime):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list | tuple):
        return orjson.dumps(value, default=str).decode()
    return str(value)


class Source:
    """An opened input file mapped onto a schema. Iterate :meth:`chunks`; then ``sha256`` is known."""

    def __init__(
        self,
        path: Path,
        schema: TableSchema,
        fmt: str,
        encoding: str | None,
        *,
        delimiter: str = ",",
        sheet: str | None = None,
    ) -> None:
        self.path = path
        self.schema = schema
        self.format = fmt
        self.encoding = encoding
        self.delimiter = delimiter
        self.sheet = sheet
        self.header: list[str] = []
        self.ignored_columns: list[str] = []
        self.missing_columns: list[str] = []
        self.sha256: str | None = None
        self._n = len(schema.fields)
        self._getter = None  # column indexes → tuple in field order
        self._width = 0

    # ---- header mapping --------------------------------------------------------------------------------
    def _map_header(self, header: list[object]) -> None:
        self.header = ["" if h is None else str(h) for h in header]
        labels = self.schema.header_map()
        positions: list[int | None] = [None] * self._n
        for j, label in enumerate(self.header):
            pos = labels.get(normalize_header(label)) if label.strip() else None
            if pos is None or positions[pos] is not None:
                if label.strip():
                    self.ignored_columns.append(label)
                continue
            positions[pos] = j
        self.missing_columns = [f.name for f, p in zip(self.schema.fields, positions, strict=True) if p is None]
        required_missing = [
            f.name for f, p in zip(self.schema.fields, positions, strict=True) if p is None and f.required
        ]
        if required_missing:
            titles = "、".join(self.schema.field(n).title for n in required_missing)
            raise _problem(
                "ingest_columns_missing",
                f"文件缺少必填列: {titles}",
                f"the file lacks required columns: {', '.join(required_missing)}",
                missing_columns=required_missing,
                header=self.header,
            )
        self._width = len(self.header)
        # A column the file lacks reads from an extra None appended to each row (index == width).
        index = [self._width if p is None else p for p in positions]
        if index == list(range(self._n)) and self._width == self._n:
            self._getter = None  # header already in field order: rows are used as they are read
        elif self._n == 1:
            (only,) = index
            self._getter = lambda row: (row[only],)
        else:
            self._getter = itemgetter(*index)

    # ---- chunks ----------------------------------------------------------------------------------------
    def chunks(self, size: int) -> Iterator[RawChunk]:
        """Chunks of about ``size`` rows. The header is read (and may raise a Problem) on the first ``next``."""
        reader = {"csv": self._csv, "jsonl": self._jsonl, "xlsx": self._xlsx, "parquet": self._parquet}[self.format]
        try:
            yield from reader(size)
        except Problem:
            raise
        except (OSError, ValueError, KeyError, EOFError) as exc:
            # A file damaged past its header (a truncated .xlsx, a corrupt Parquet page): bad input, not a bug.
            raise _problem(
                "ingest_file_unreadable",
                "文件内容损坏, 无法继续读取",
                f"the file is damaged and cannot be read further: {exc.__class__.__name__}",
            ) from exc

    def _open_text(self) -> tuple[io.TextIOWrapper, _HashingReader]:
        raw = _HashingReader(io.FileIO(self.path, "r"))
        buffered = io.BufferedReader(raw, buffer_size=1 << 16)
        text = io.TextIOWrapper(buffered, encoding=self.encoding, errors="govshare_count_replace", newline="")
        return text, raw

    def _csv(self, size: int) -> Iterator[RawChunk]:
        _decode_errors.count = 0
        text, raw = self._open_text()
        with text:
            reader = csv.reader(text, delimiter=self.delimiter, strict=False)
            header = None
            number = 0
            while header is None:
                try:
                    row = next(reader)
                except StopIteration:
                    raise _problem("ingest_empty_file", "文件为空或没有表头", "empty file or no header") from None
                except csv.Error as exc:
                    raise _problem("ingest_header_invalid", "无法读取表头", f"cannot read the header: {exc}") from None
                if any(c.strip() for c in row):
                    number += 1
                    header = row
            self._map_header(header)
            width, getter = self._width, self._getter
            chunk = RawChunk(first_row=number + 1)
            rows_append, issues = chunk.rows.append, chunk.issues
            read = 0
            while True:  # re-entered after a malformed record; the reader goes on with the next line
                try:
                    for row in reader:  # the hot loop: keep it to a length check and an append
                        number += 1
                        if len(row) == width:
                            if getter is not None:
                                row.append(None)  # what columns missing from the file read
                                row = getter(row)
                            rows_append((number, row))
                        elif not row or (len(row) == 1 and not row[0]):
                            number -= 1  # a blank line is not a record (as Arrow's reader counts)
                            continue
                        else:
                            issues.append((number, None, "column_count", f"{len(row)} ≠ {width}"))
                        read += 1
                        if read >= size:
                            yield self._close_chunk(chunk, read, number)
                            chunk = RawChunk(first_row=number + 1)
                            rows_append, issues = chunk.rows.append, chunk.issues
                            read = 0
                    break
                except csv.Error as exc:
                    number += 1
                    read += 1
                    issues.append((number, None, "csv_format", str(exc)[:256]))
            if read:
                yield self._close_chunk(chunk, read, number)
        self.sha256 = raw.sha256.hexdigest()

    # ---- CSV through Arrow (for the vectorized fast path) ------------------------------------------------
    def arrow_capable(self) -> bool:
        """UTF-8 CSV can be parsed by Arrow's C++ reader (other encodings take the Python reader)."""
        return self.format == "csv" and self.encoding in ("utf-8", "utf-8-sig")

    def arrow_chunks(self, size: int) -> Iterator:
        """Chunks as Arrow columns (vectorized.ArrowChunk) in schema field order; same rows, numbers and issues
        as :meth:`chunks` gives for the same file."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pcsv

        from govshare.library.vectorized import ArrowChunk

        invalid: list[tuple[int, int]] = []

        def on_invalid(row) -> str:  # noqa: ANN001
            invalid.append((row.number, row.actual_columns))
            return "skip"

        raw = _HashingReader(io.FileIO(self.path, "r"))
        stream = io.BufferedReader(raw, buffer_size=1 << 20)
        try:
            reader = pcsv.open_csv(
                stream,
                read_options=pcsv.ReadOptions(use_threads=False, block_size=1 << 20),  # 4 MB blocks cost +100 MB RSS
                parse_options=pcsv.ParseOptions(
                    delimiter=self.delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
                ),
                convert_options=pcsv.ConvertOptions(
                    default_column_type=pa.binary(), strings_can_be_null=False, quoted_strings_can_be_null=False
                ),
            )
        except pa.ArrowInvalid as exc:
            stream.close()
            raise _problem("ingest_header_invalid", "无法读取表头", f"cannot read the header: {exc}") from None
        with stream:
            self._map_header(reader.schema.names)
            width = self._width
            positions = [None] * self._n
            for pos, label in self._header_positions().items():
                positions[pos] = label
            next_number = 2  # the header is record 1; blank lines are not records
            counting = pa.array(range(size), pa.int64())  # 0, 1, … once: shifted per chunk

            def number_rows(count: int) -> pa.Array:
                nonlocal next_number
                skip = sorted(n for n, _ in invalid if n is not None and n >= next_number)
                if not skip or skip[0] >= next_number + count:
                    out = pc.add(counting.slice(0, count), next_number)
                    next_number += count
                    return out
                numbers, gaps = [], set(skip)
                while len(numbers) < count:
                    if next_number not in gaps:
                        numbers.append(next_number)
                    next_number += 1
                return pa.array(numbers, pa.int64())

            def make_chunk(table: pa.Table, final: bool) -> ArrowChunk:
                n = table.num_rows
                numbers = number_rows(n)
                issues = []
                reported = [(num, cols) for num, cols in invalid if num is None or num < next_number or final]
                for num, cols in reported:
                    issues.append((num if num is not None else 0, None, "column_count", f"{cols} ≠ {width}"))
                invalid[:] = [x for x in invalid if x not in reported]
                columns: list = []
                keep = None
                for pos in range(self._n):
                    j = positions[pos]
                    if j is None:
                        columns.append(None)
                        continue
                    col = table.column(j).combine_chunks()
                    try:
                        columns.append(pc.cast(col, pa.string()))
                    except pa.ArrowInvalid:  # bytes that are not UTF-8: quarantine those rows only
                        texts = [b.decode("utf-8", "replace") for b in col.to_pylist()]
                        bad = pa.array(["\ufffd" in t for t in texts])
                        for i in pc.indices_nonzero(bad).to_pylist():
                            issues.append((numbers[i].as_py(), self.schema.fields[pos].name, "encoding_invalid",
                                           texts[i][:256]))  # fmt: skip
                        keep = pc.invert(bad) if keep is None else pc.and_(keep, pc.invert(bad))
                        columns.append(pa.array(texts, pa.string()))
                if keep is not None:
                    columns = [c.filter(keep) if c is not None else None for c in columns]
                    numbers = numbers.filter(keep)
                chunk = ArrowChunk(columns=columns, numbers=numbers, issues=issues, rows_read=n + len(reported))
                chunk.first_row = numbers[0].as_py() if len(numbers) else next_number
                chunk.last_row = next_number - 1
                return chunk

            buffered = reader.schema.empty_table()
            for batch in reader:  # Arrow's batches follow its 1 MB blocks; re-cut them to `size` rows
                buffered = pa.concat_tables([buffered, pa.Table.from_batches([batch])])
                while buffered.num_rows >= size:
                    yield make_chunk(buffered.slice(0, size), False)
                    buffered = buffered.slice(size)
            tail = make_chunk(buffered, True)
            if tail.rows_read:
                yield tail
        self.sha256 = raw.sha256.hexdigest()

    def _header_positions(self) -> dict[int, int]:
        """Field position → column index of the file, for the columns the file has."""
        labels = self.schema.header_map()
        out: dict[int, int] = {}
        for j, label in enumerate(self.header):
            pos = labels.get(normalize_header(label)) if label.strip() else None
            if pos is not None and pos not in out:
                out[pos] = j
        return out

    def _close_chunk(self, chunk: RawChunk, read: int, last: int) -> RawChunk:
        chunk.rows_read = read
        chunk.last_row = last
        if getattr(_decode_errors, "count", 0):
            # Some bytes did not decode (U+FFFD stands in for them). The decoder reads ahead of the parser, so
            # once this happened every later chunk is checked too; rows without errors are not touched.
            names = self.schema.field_names
            kept = []
            for number, values in chunk.rows:
                bad = next((i for i, v in enumerate(values) if v.__class__ is str and "\ufffd" in v), None)
                if bad is None:
                    kept.append((number, values))
                else:
                    chunk.issues.append((number, names[bad], "encoding_invalid", values[bad][:256]))
            chunk.rows = kept
        return chunk

    def _jsonl(self, size: int) -> Iterator[RawChunk]:
        _decode_errors.count = 0
        labels = self.schema.header_map()
        positions: dict[str, int | None] = {}
        seen_columns: dict[str, None] = {}
        n = self._n
        text, raw = self._open_text()
        with text:
            chunk = RawChunk(first_row=1)
            number = 0
            for line in text:
                number += 1
                if not line.strip():
                    continue
                chunk.rows_read += 1
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError:
                    obj = None
                if not isinstance(obj, dict):
                    chunk.issues.append((number, None, "jsonl_format", line.strip()[:256]))
                else:
                    values: list[object] = [None] * n
                    for k, v in obj.items():
                        pos = positions.get(k, -1)
                        if pos == -1:
                            pos = positions[k] = labels.get(normalize_header(str(k)))
                            seen_columns[k] = None
                        if pos is not None:
                            values[pos] = _scalar(v)
                    chunk.rows.append((number, tuple(values)))
                if chunk.rows_read >= size:
                    chunk.last_row = number
                    yield chunk
                    chunk = RawChunk(first_row=number + 1)
            chunk.last_row = number
            if chunk.rows_read:
                yield chunk
        self.header = list(seen_columns)
        self.ignored_columns = [k for k, p in positions.items() if p is None]
        found = {p for p in positions.values() if p is not None}
        self.missing_columns = [f.name for i, f in enumerate(self.schema.fields) if i not in found]
        self.sha256 = raw.sha256.hexdigest()

    def _xlsx(self, size: int) -> Iterator[RawChunk]:
        from openpyxl import load_workbook  # imported here: only Excel uploads pay for it

        try:
            book = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise _problem(
                "ingest_file_unreadable", "无法读取 Excel 文件", f"cannot read the Excel file: {exc.__class__.__name__}"
            ) from None
        try:
            sheet = book[self.sheet] if self.sheet else book.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            number = 0
            header = None
            for cells in rows:
                number += 1
                if any(c is not None and str(c).strip() for c in cells):
                    header = list(cells)
                    break
            if header is None:
                raise _problem("ingest_empty_file", "工作表为空或没有表头", "the sheet is empty or has no header")
            while header and (header[-1] is None or not str(header[-1]).strip()):
                header.pop()
            self._map_header(header)
            width, getter = self._width, self._getter
            extra = 0 if getter is None else 1  # the None that columns missing from the file read
            chunk = RawChunk(first_row=number + 1)
            for cells in rows:
                number += 1
                if len(cells) > width and any(c is not None for c in cells[width:]):
                    chunk.rows_read += 1
                    chunk.issues.append((number, None, "column_count", f"{len(cells)} > {width}"))
                elif all(c is None or (c.__class__ is str and not c.strip()) for c in cells):
                    continue  # empty spreadsheet row
                else:
                    chunk.rows_read += 1
                    values = [_excel_value(c) for c in cells[:width]]
                    values.extend([None] * (width - len(values) + extra))
                    chunk.rows.append((number, values if getter is None else getter(values)))
                if chunk.rows_read >= size:
                    chunk.last_row = number
                    yield chunk
                    chunk = RawChunk(first_row=number + 1)
            chunk.last_row = number
            if chunk.rows_read:
                yield chunk
        finally:
            book.close()
        self.sha256 = file_sha256(self.path)

    def _parquet(self, size: int) -> Iterator[RawChunk]:
        import pyarrow.parquet as pq  # imported here: only Parquet uploads pay for it

        try:
            pf = pq.ParquetFile(self.path)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError …
            raise _problem(
                "ingest_file_unreadable", "无法读取 Parquet 文件", f"cannot read the Parquet file: {exc}"
            ) from None
        with pf:
            self._map_header(list(pf.schema_arrow.names))
            width, getter = self._width, self._getter
            number = 0
            for batch in pf.iter_batches(batch_size=size):
                columns = [batch.column(j).to_pylist() for j in range(width)]
                chunk = RawChunk(first_row=number + 1)
                for values in zip(*columns, strict=True):
                    number += 1
                    row = [_scalar(v) for v in values]
                    if getter is not None:
                        row.append(None)
                        row = getter(row)
                    chunk.rows.append((number, row))
                chunk.rows_read = len(chunk.rows)
                chunk.last_row = number
                if chunk.rows_read:
                    yield chunk
        self.sha256 = file_sha256(self.path)


def _excel_value(cell: object) -> object:
    if cell is None or cell.__class__ is str or cell.__class__ is int:
        return cell
    if cell.__class__ is float:
        # Excel keeps every number as a double: 3 is 3.0. An 18-digit ID number typed as a number has already
        # lost its last digits, which the ID number check will reject.
        return int(cell) if cell.is_integer() and abs(cell) < 1e18 else cell
    if isinstance(cell, dt.datetime):
        return cell.date() if cell.time() == dt.time() else cell
    return _scalar(cell)


def open_source(
    path: Path,
    schema: TableSchema,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    delimiter: str = ",",
    sheet: str | None = None,
) -> Source:
    """Open ``path`` for ingestion into ``schema``: detects format and encoding; the header is read lazily."""
    if not path.is_file():
        raise _problem("ingest_file_missing", f"文件不存在: {path.name}", f"no such file: {path.name}")
    if os.path.getsize(path) == 0:
        raise _problem("ingest_empty_file", "文件为空", "the file is empty")
    fmt = detect_format(path, fmt)
    if fmt == "xls":
        raise _problem(
            "ingest_format_unsupported", "不支持旧版 .xls, 请另存为 .xlsx", "legacy .xls unsupported; save as .xlsx"
        )
    enc = detect_encoding(path, encoding) if fmt in ("csv", "jsonl") else None
    if len(delimiter) != 1:
        raise _problem("ingest_delimiter_invalid", "分隔符必须是单个字符", "the delimiter must be one character")
    return Source(path, schema, fmt, enc, delimiter=delimiter, sheet=sheet)
