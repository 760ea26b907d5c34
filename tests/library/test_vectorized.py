"""The vectorized fast path agrees with the row processor, and Arrow's CSV reader with the Python one."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from govshare.library.base_schemas import base_schema
from govshare.library.compiler import HASH_HEX, ProcessedChunk, RowProcessor
from govshare.library.readers import open_source
from govshare.library.store import Stamp
from govshare.library.vectorized import ArrowChunk, VectorProcessor, supports
from govshare.seed.persons import iter_persons
from govshare.standards.identifiers import make_id_number, make_uscc

TODAY = dt.date(2026, 6, 1)
STAMP = Stamp(7, 3, dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC))


def _dirty(value: str, rng: random.Random) -> str:
    """One of the ways real files get values wrong (or only unusual)."""
    return rng.choice(
        [
            lambda v: " " + v,
            lambda v: v + "\u3000",
            lambda v: v.replace("1", "１", 1),
            lambda v: v + "\u200b",
            lambda v: v[:-1],
            lambda v: v[:-1] + "x",
            lambda v: "",
            lambda v: "NULL",
            lambda v: v.replace("-", "/"),
            lambda v: v + '"',
            lambda v: v + "\\",
            lambda v: v + "\t尾",
            lambda v: v + "\x0b",
            lambda v: v + "\xa0",
            lambda v: "\x85" + v,
            lambda v: v * 30,
            lambda v: v.lower(),
        ]
    )(value)


def _person_rows(n: int, seed: int) -> list[tuple[int, tuple]]:
    rng = random.Random(seed)
    rows = []
    for i, p in enumerate(iter_persons(n, seed)):
        values = [p.id_number, p.name, p.gender, p.birth_date.isoformat(), p.ethnicity, p.address, p.region_code,
                  p.marital_status, p.status]  # fmt: skip
        if rng.random() < 0.3:
            j = rng.randrange(len(values))
            values[j] = _dirty(values[j], rng)
        if rng.random() < 0.02:
            values[0] = values[0][:6] + values[0][8:17]  # an old 15-digit number
        if rng.random() < 0.02:
            values[2] = "女" if values[2] == "男" else "男"
        if rng.random() < 0.01:
            values[5] = ""
        rows.append((i + 2, tuple(values)))
    return rows


def _entity_rows(n: int, seed: int) -> list[tuple[int, tuple]]:
    rng = random.Random(seed)
    schema = base_schema("legal_entity")
    rows = []
    for i in range(n):
        body = f"{rng.randrange(10**8):08d}"
        uscc = make_uscc("9", rng.choice("123"), "331902", body)
        if rng.random() < 0.1:
            uscc = uscc[:17] + ("0" if uscc[17] != "0" else "1")  # pilot code: accepted with a warning
        rep = make_id_number("331903", dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(15000)), 11)
        values = {
            "uscc": uscc, "name": f"示范市测试{i}有限公司", "entity_type": "企业法人", "legal_rep_name": "张三",
            "legal_rep_id_number": rep if rng.random() < 0.8 else "", "address": "明湖区人民路1号",
            "region_code": rng.choice(["331902", "331903", "999999"]), "registration_authority": "",
            "established_date": rng.choice(["2001-02-03", "2001/2/3", "", "2099-01-01"]), "status": "存续",
        }  # fmt: skip
        if rng.random() < 0.2:
            key = rng.choice(list(values))
            values[key] = _dirty(values[key] or "x", rng)
        rows.append((i + 2, tuple(values[f.name] for f in schema.fields)))
    return rows


def _arrow(rows: list[tuple[int, tuple]], width: int) -> ArrowChunk:
    columns = [pa.array([("" if r[1][j] is None else r[1][j]) for r in rows], pa.string()) for j in range(width)]
    return ArrowChunk(columns=columns, numbers=pa.array([r[0] for r in rows], pa.int64()), rows_read=len(rows))


def _members(payload: bytes) -> list[tuple[str, list, str]]:
    """(content hash, data, key) of each record of a SQLite payload (``"<hash><key>": <data>`` members)."""
    return [(label[:HASH_HEX], data, label[HASH_HEX:]) for label, data in orjson.loads(payload).items()]


def _by_key(out: ProcessedChunk, payload: bytes | None = None) -> dict:
    return dict(zip(out.keys, zip(out.datas, out.hashes, strict=True), strict=True)) if out.datas else {}


@pytest.mark.parametrize(
    ("base", "make", "slow_share"), [("person", _person_rows, 0.45), ("legal_entity", _entity_rows, 0.9)]
)
def test_fast_path_accepts_only_what_the_row_processor_accepts_identically(base, make, slow_share):
    schema = base_schema(base)
    assert supports(schema)
    rows = make(3000, seed=5)
    reference = RowProcessor(schema, today=TODAY).process_reference(rows)
    vector = VectorProcessor(RowProcessor(schema, today=TODAY))
    slow_rows = []
    explain = vector.rows.process
    vector.rows.process = lambda rows, out, **kw: (slow_rows.extend(rows), explain(rows, out, **kw))[1]
    got, payload = vector.process(_arrow(rows, len(schema.fields)), "sqlite", STAMP)

    assert sorted(got.issues) == sorted(reference.issues)
    assert got.fired == reference.fired and got.rows_rejected == reference.rows_rejected
    assert sorted(got.keys) == sorted(reference.keys)
    assert dict(zip(got.keys, got.row_numbers, strict=True)) == dict(
        zip(reference.keys, reference.row_numbers, strict=True)
    )
    # The payload carries exactly the reference's data and content hash for every key (byte for byte).
    elements = _members(payload)
    expected = {k: (d, h) for k, d, h in zip(reference.keys, reference.datas, reference.hashes, strict=True)}
    assert len(elements) == len(expected)
    assert [key for _hash, _data, key in elements] == sorted(expected)  # in key order, the fast and the slow rows
    for content_hash, data, key in elements:
        assert (orjson.dumps(data).decode(), content_hash) == expected[key]
    assert 0 < len(slow_rows) < slow_share * len(rows)  # the dirty ones; the rest never left Arrow

    # The PostgreSQL payload: COPY lines in the record's layout, same data and hashes.
    vector = VectorProcessor(RowProcessor(schema, today=TODAY))
    _got, copy_lines = vector.process(_arrow(rows, len(schema.fields)), "postgresql", STAMP)
    parsed = {}
    lines = copy_lines.decode().split("\n")[:-1]
    assert [line.split("\t", 1)[0].replace("\\\\", "\\") for line in lines] == sorted(expected)  # key order
    for line in lines:
        key, data, content_hash, table, superseded, at, ingest, verified, verified_at = line.split("\t")
        assert (table, superseded, ingest, verified, at) == ("7", "0", "3", "3", "2026-06-01 08:00:00+00:00")
        parsed[key.replace("\\\\", "\\")] = (data.replace("\\\\", "\\"), content_hash)
    assert parsed == expected


def test_repeated_keys_in_a_chunk_fall_back_to_file_order():
    schema = base_schema("person")
    people = [
        (p.id_number, p.name, p.gender, p.birth_date.isoformat(), p.ethnicity, p.address, p.region_code,
         p.marital_status, p.status)
        for p in iter_persons(50, seed=8)
    ]  # fmt: skip
    rows = [(i + 2, p) for i, p in enumerate(people)]
    rows.insert(10, (12, (people[30][0], "另一个名字", *people[30][2:])))  # row 32's key, earlier in the file
    vector = VectorProcessor(RowProcessor(schema, today=TODAY))
    got, payload = vector.process(_arrow(rows, 9), "sqlite", STAMP)
    reference = RowProcessor(schema, today=TODAY).process_reference(rows)
    assert got.keys == reference.keys and got.issues == reference.issues
    assert sorted(key for _hash, _data, key in _members(payload)) == sorted(reference.keys)
    assert got.issues == [(32, "id_number", "key_duplicate", people[30][0])]


def test_schemas_the_fast_path_does_not_cover():
    assert not supports(base_schema("licence"))  # licence identifiers, subject codes by type
    assert not supports(base_schema("place"))  # numbers, patterns
    assert supports(base_schema("credit")) is False


MESSY = (
    "id_number,name,gender,birth_date,ethnicity,address,region_code,marital_status,status\n"
    "{p0}\n"
    "\n"  # a blank line: not a record
    "{p1}\n"
    "1,2,3\n"  # wrong number of columns
    '{p2_id},"多行\n地址",{p2_rest}\n'  # a value with a line break inside quotes
    "{p3}\n"
    "{p4},extra\n"
    "{p5}"  # no final newline
)


def test_arrow_reader_and_python_reader_give_the_same_rows(tmp_path: Path):
    people = [
        [p.id_number, p.name, p.gender, p.birth_date.isoformat(), p.ethnicity, p.address, p.region_code,
         p.marital_status, p.status]
        for p in iter_persons(6, seed=3)
    ]  # fmt: skip
    line = ",".join
    text = MESSY.format(
        p0=line(people[0]), p1=line(people[1]), p2_id=people[2][0], p2_rest=line(people[2][2:]),
        p3=line(people[3]), p4=line(people[4]), p5=line(people[5]),
    )  # fmt: skip
    path = tmp_path / "messy.csv"
    path.write_bytes(text.encode("utf-8").replace(people[3][1].encode(), people[3][1].encode()[:-1] + b"\xff"))
    schema = base_schema("person")

    py = open_source(path, schema, encoding="utf-8")
    py_rows, py_issues, py_read = [], [], 0
    for chunk in py.chunks(3):
        py_rows += [(n, tuple(v)) for n, v in chunk.rows]
        py_issues += chunk.issues
        py_read += chunk.rows_read
    arrow = open_source(path, schema, encoding="utf-8")
    ar_rows, ar_issues, ar_read = [], [], 0
    for chunk in arrow.arrow_chunks(3):
        numbers = chunk.numbers.to_pylist()
        columns = [c.to_pylist() for c in chunk.columns]
        ar_rows += [(n, tuple(col[i] for col in columns)) for i, n in enumerate(numbers)]
        ar_issues += chunk.issues
        ar_read += chunk.rows_read
    assert ar_rows == py_rows and [r[0] for r in ar_rows] == [2, 3, 5, 8]
    assert py_rows[2][1][1] == "多行\n地址"
    assert sorted((n, rule) for n, _f, rule, _v in ar_issues) == sorted((n, rule) for n, _f, rule, _v in py_issues)
    assert sorted((n, rule) for n, _f, rule, _v in py_issues) == [(4, "column_count"), (6, "encoding_invalid"),
                                                                    (7, "column_count")]  # fmt: skip
    assert ar_read == py_read == 7
    assert arrow.sha256 == py.sha256 and arrow.sha256 is not None
