"""Synthetic persons: valid, unique, consistent and deterministic."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections import Counter
from pathlib import Path

import pytest

from govshare.seed.city import DISTRICTS
from govshare.seed.persons import AS_OF, PERSON_FIELDS, Person, iter_persons, write_persons_csv
from govshare.standards.identifiers import id_number_birth_date, validate_id_number
from govshare.standards.regions import is_valid_region

N = 20_000


@pytest.fixture(scope="module")
def persons() -> list[Person]:
    return list(iter_persons(N, seed=2026))


def test_count_and_types(persons: list[Person]) -> None:
    assert len(persons) == N
    assert all(isinstance(p, Person) for p in persons)
    assert isinstance(persons[0].birth_date, dt.date)


def test_ids_valid_and_unique(persons: list[Person]) -> None:
    ids = [p.id_number for p in persons]
    assert len(set(ids)) == N
    for number in ids:
        assert validate_id_number(number) == number


def test_id_agrees_with_row(persons: list[Person]) -> None:
    for p in persons:
        assert p.id_number[:6] == p.region_code
        assert id_number_birth_date(p.id_number) == p.birth_date
        assert p.gender == ("男" if int(p.id_number[16]) % 2 else "女")
        assert p.id_number[14:17] != "000"
        assert p.birth_date <= AS_OF


def test_fields_are_plausible(persons: list[Person]) -> None:
    district_names = {d.code: d.name for d in DISTRICTS}
    for p in persons:
        assert 2 <= len(p.name) <= 4
        assert p.ethnicity.endswith("族")
        assert p.address.startswith("浙江省示范市" + district_names[p.region_code])
        assert p.status in ("正常", "死亡", "迁出")
        age = AS_OF.year - p.birth_date.year
        if age < (22 if p.gender == "男" else 20):
            assert p.marital_status == "未婚"
        else:
            assert p.marital_status in ("未婚", "已婚", "离异", "丧偶")
    genders = Counter(p.gender for p in persons)
    assert 0.47 < genders["男"] / N < 0.55
    assert Counter(p.ethnicity for p in persons).most_common(1)[0][0] == "汉族"
    assert Counter(p.status for p in persons).most_common(1)[0][0] == "正常"
    assert Counter(p.marital_status for p in persons).most_common(1)[0][0] == "已婚"
    assert set(Counter(p.region_code for p in persons)) == set(district_names)


def test_deterministic(persons: list[Person]) -> None:
    assert list(iter_persons(500, seed=2026)) == persons[:500]
    assert list(iter_persons(500, seed=2027)) != persons[:500]


def test_streams_lazily() -> None:
    # taking a few rows of a huge run must not generate the whole run
    first = list(itertools.islice(iter_persons(10_000_000, seed=1), 3))
    assert len(first) == 3


def test_custom_regions() -> None:
    rows = list(iter_persons(2_000, seed=5, region_codes={"440305": 3, "110105": 1}))
    counts = Counter(p.region_code for p in rows)
    assert set(counts) == {"440305", "110105"} and counts["440305"] > counts["110105"]
    for p in rows:
        assert validate_id_number(p.id_number) and is_valid_region(p.region_code)
    assert any(p.address.startswith("广东省深圳市南山区") for p in rows)
    with pytest.raises(ValueError):
        list(iter_persons(10, region_codes=["440300"]))  # a prefecture, not a county
    with pytest.raises(ValueError):
        list(iter_persons(10, region_codes=["999901"]))


def test_small_region_set_capacity_guard() -> None:
    with pytest.raises(ValueError):
        next(iter_persons(100_000_000, region_codes=["331902"]))


def test_csv(tmp_path: Path, persons: list[Person]) -> None:
    path = tmp_path / "persons.csv"
    assert write_persons_csv(path, 1_000, seed=2026) == 1_000
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    assert tuple(header) == PERSON_FIELDS
    assert len(rows) == 1_000
    expected = [tuple(str(v) for v in p) for p in persons[:1_000]]  # str(date) is ISO 8601
    assert [tuple(r) for r in rows] == expected
