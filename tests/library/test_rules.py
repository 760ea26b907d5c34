"""Each cleaning rule and validator, with valid and invalid examples (DOMAIN.md), no store needed."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from govshare.library.base_schemas import base_schema
from govshare.library.cleaning import Reject, clean_id_number, clean_text, parse_date
from govshare.library.compiler import RowProcessor
from govshare.library.rules import CLEANING_RULES, RULES, VALIDATION_RULES, WARNING_RULES
from govshare.library.validators import IdNumberChecker, check_uscc
from govshare.standards.identifiers import (
    IdentifierError,
    id_number_check_char,
    make_id_number,
    make_licence_id,
    make_uscc,
    validate_id_number,
)

TODAY = dt.date(2026, 6, 1)
PERSON = RowProcessor(base_schema("person"), today=TODAY)
LICENCE = RowProcessor(base_schema("licence"), today=TODAY)
ENTITY = RowProcessor(base_schema("legal_entity"), today=TODAY)
PLACE = RowProcessor(base_schema("place"), today=TODAY)


# ---- text cleaning --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "clean", "fired"),
    [
        ("张三", "张三", ()),
        ("  张三 ", "张三", ("trim_whitespace",)),
        ("\u3000张三\u3000", "张三", ("fullwidth_to_halfwidth", "trim_whitespace")),
        ("ＡＢＣ１２３", "ABC123", ("fullwidth_to_halfwidth",)),
        ("明湖路１２号", "明湖路12号", ("fullwidth_to_halfwidth",)),
        ("\ufeff张三\u200b", "张三", ("invisible_characters",)),
        ("NULL", None, ("null_token",)),
        (" n/a ", None, ("trim_whitespace", "null_token")),
        ("", None, ()),
        ("无", "无", ()),  # a value, not a null marker
    ],
)
def test_clean_text(raw, clean, fired):
    value, rules, rejection = clean_text(raw)
    assert (value, rules, rejection) == (clean, fired, None)


def test_control_characters_are_rejected_not_silently_dropped():
    assert clean_text("张\x00三")[2] == "control_characters"
    assert clean_text("第一行\n第二行")[2] is None  # line breaks inside text are legitimate


# ---- dates ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("1990-01-02", None),
        ("1990年1月2日", "date_chinese"),
        ("1990 年 01 月 02 日", "date_chinese"),
        ("1990/1/2", "date_slashed"),
        ("1990.01.02", "date_slashed"),
        ("19900102", "date_compact"),
        ("1990-1-2", "date_unpadded"),
    ],
)
def test_date_forms_normalize_to_iso(raw, rule):
    day, fired = parse_date(raw)
    assert day == dt.date(1990, 1, 2)
    assert fired == ((rule,) if rule else ())


def test_date_with_time_drops_the_time():
    assert parse_date("1990-01-02 08:30:00") == (dt.date(1990, 1, 2), ("date_time_dropped",))


@pytest.mark.parametrize("raw", ["1990-02-30", "19901301", "90/1/2", "一九九〇年一月二日", "yesterday"])
def test_invalid_dates_are_rejected(raw):
    with pytest.raises(Reject) as err:
        parse_date(raw)
    assert err.value.rule == "date_invalid"


def test_date_field_rules_future_long_term_and_excel_dates():
    assert PERSON.value("birth_date", "2030-01-01")[2] == "date_future"
    assert PERSON.value("birth_date", dt.datetime(1990, 1, 2, 0, 0)) == ("1990-01-02", (), None)
    assert LICENCE.value("valid_to", "长期") == (None, ("long_term_to_null",), None)
    assert LICENCE.value("valid_to", "2030-01-01") == ("2030-01-01", (), None)  # not_future only on issue dates
    assert PERSON.value("birth_date", "")[2] == "required"


# ---- identifiers ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_valid_id_numbers_from_domain(number):
    assert PERSON.value("id_number", number) == (number, (), None)


@pytest.mark.parametrize(
    ("number", "rule"),
    [
        ("110105194912310021", "id_number_checksum"),
        ("11010519491231002", "id_number_length"),
        ("1101051949123100A2", "id_number_format"),
        ("11010519491331002" + id_number_check_char("11010519491331002"), "id_number_birth_date"),  # month 13
        (make_id_number("110105", dt.date(2027, 1, 1), 1), "id_number_birth_date"),  # after "today"
        (make_id_number("999999", dt.date(1990, 1, 1), 1), "id_number_region"),
    ],
)
def test_invalid_id_numbers(number, rule):
    assert PERSON.value("id_number", number)[2] == rule


def test_id_number_cleaning_upper_x_fullwidth_and_15_digit_upgrade():
    assert PERSON.value("id_number", "11010519491231002x") == ("11010519491231002X", ("id_number_upper_x",), None)
    assert PERSON.value("id_number", "１１０１０５１９４９１２３１００２Ｘ")[0] == "11010519491231002X"
    # DOMAIN.md: insert "19" before the year, append the check character.
    old = "110105491231002"
    upgraded = "11010519491231002" + id_number_check_char("11010519491231002")
    assert clean_id_number(old) == (upgraded, ("id_number_15_to_18",))
    assert PERSON.value("id_number", old) == (upgraded, ("id_number_15_to_18",), None)


def test_id_fast_path_agrees_with_the_full_check():
    """The precomputed fast path accepts only what validate_id_number accepts (random valid and broken)."""
    rng = random.Random(7)
    checker = IdNumberChecker(TODAY)
    checker.check("11010519491231002X")  # teaches the fast path one region
    regions = ["110105", "440524", "331902", "999999", "110100"]
    accepted_fast = 0
    for _ in range(3000):
        born = dt.date(1880, 1, 1) + dt.timedelta(days=rng.randrange(60_000))
        number = make_id_number(rng.choice(regions), born, rng.randrange(1, 1000))
        mutation = rng.random()
        if mutation < 0.3:
            i = rng.randrange(18)
            number = number[:i] + rng.choice("0123456789X") + number[i + 1 :]
        elif mutation < 0.35:
            number += "1"
        try:
            validate_id_number(number, today=TODAY)
            expected = True
        except IdentifierError:
            expected = False
        if checker.fast_check(number) is not None:
            accepted_fast += 1
            assert expected, f"fast path accepted an invalid number {number}"
        try:
            checker.check(number)
            got = True
        except Reject:
            got = False
        assert got == expected, number
    assert accepted_fast > 500  # the fast path did most of the work


def test_uscc_strict_lenient_and_upper_case():
    good = make_uscc("9", "1", "331902", "MA2B3C4D")
    assert ENTITY.value("uscc", good.lower()) == (good, ("upper_case",), None)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    # The legal-entity register accepts early pilot codes with a warning (GB 32100 check fails legitimately).
    assert ENTITY.value("uscc", bad_check) == (bad_check, ("uscc_checksum_accepted",), None)
    with pytest.raises(Reject) as err:
        check_uscc(bad_check, lenient=False)
    assert err.value.rule == "uscc_checksum"
    assert ENTITY.value("uscc", "91331902MA2B3C4D")[2] == "uscc_length"
    assert ENTITY.value("uscc", "9133190IMA2B3C4D5X")[2] == "uscc_format"


def test_licence_identifier_gbt_36903():
    sample = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F"
    assert LICENCE.value("licence_id", sample) == (sample, (), None)
    assert LICENCE.value("licence_id", sample.lower())[1] == ("upper_case",)
    assert LICENCE.value("licence_id", sample[:-1] + "G")[2] == "licence_id_checksum"
    assert LICENCE.value("licence_id", "1.2.156.3005.2.123.456")[2] == "licence_id_format"


def test_region_codes_enums_and_aliases():
    assert PERSON.value("region_code", "440305") == ("440305", (), None)
    assert PERSON.value("region_code", "331902") == ("331902", (), None)  # the demo city
    assert PERSON.value("region_code", "999999")[2] == "region_code_invalid"
    assert PERSON.value("gender", "1") == ("男", ("enum_alias",), None)  # GB/T 2261.1
    assert PERSON.value("gender", "男性") == ("男", ("enum_alias",), None)
    assert PERSON.value("gender", "男的")[2] == "enum"
    assert PERSON.value("ethnicity", "22") == ("畲族", ("enum_alias",), None)  # GB/T 3304
    assert PERSON.value("marital_status", "离婚") == ("离异", ("enum_alias",), None)
    assert LICENCE.value("holder_code_type", "1") == ("001", ("enum_alias",), None)  # Excel ate the zeros


def test_lengths_patterns_and_numbers():
    assert PERSON.value("name", "张" * 51)[2] == "max_length"
    assert LICENCE.value("file_hash", "abc")[2] == "pattern"
    assert PLACE.value("longitude", "120.5") == (120.5, (), None)
    assert PLACE.value("longitude", "200")[2] == "maximum"
    assert PLACE.value("latitude", "1")[2] == "minimum"
    assert PLACE.value("longitude", "east")[2] == "number_invalid"
    assert PLACE.value("longitude", "1,120.5")[2] == "maximum"  # separator cleaned, then bounded
    assert PLACE.value("crs", "EPSG:4490") == ("CGCS2000", ("enum_alias",), None)


# ---- row rules -------------------------------------------------------------------------------------------
def _person(**over):
    row = {
        "id_number": "11010519491231002X",
        "name": "王芳",
        "gender": "女",
        "birth_date": "1949-12-31",
        "ethnicity": "汉族",
        "address": "北京市朝阳区建国路1号",
        "region_code": "110105",
        "marital_status": "丧偶",
        "status": "正常",
    } | over
    return tuple(row[n] for n in PERSON.names)


def test_person_row_rules_gender_and_birth_date_agree_with_id():
    out = PERSON.process([(2, _person()), (3, _person(gender="男")), (4, _person(birth_date="1950-01-01"))])
    assert out.keys == ["11010519491231002X"]
    assert [(r, f, rule) for r, f, rule, _ in out.issues] == [
        (3, "gender", "id_number_gender_mismatch"),
        (4, "birth_date", "id_number_birth_date_mismatch"),
    ]


def _licence(**over):
    type_code = make_uscc("1", "1", "100000", "00000001") + "001"
    issuer = make_uscc("1", "1", "331900", "00000002")
    row = {
        "licence_id": make_licence_id(type_code, issuer, "A0001"),
        "licence_type_code": type_code,
        "licence_type_name": "结婚证",
        "licence_number": "J331900-2020-000001",
        "holder_name": "王芳",
        "holder_code": "11010519491231002x",
        "holder_code_type": "111",
        "issuer_name": "示范市民政局",
        "issuer_code": issuer,
        "issue_date": "2020-05-20",
        "valid_from": "2020-05-20",
        "valid_to": "长期",
        "status": "有效",
        "file_hash": None,
    } | over
    return tuple(row[n] for n in LICENCE.names)


def test_licence_row_rules():
    other = make_uscc("1", "1", "331900", "00000009")
    out = LICENCE.process(
        [
            (2, _licence()),
            (3, _licence(holder_code="11010519491231002Y")),
            (4, _licence(issuer_code=other)),
            (5, _licence(valid_from="2020-05-20", valid_to="2019-01-01")),
            (6, _licence(holder_code_type="002")),
            (7, _licence(holder_code_type="001", holder_code="9133190IMA2B3C4D5X")),
        ]
    )
    assert len(out.keys) == 1
    assert '"11010519491231002X"' in out.datas[0]  # the holder code was upper-cased and checked as an ID number
    assert out.fired["upper_case"] >= 1 and out.fired["long_term_to_null"] >= 1
    assert [(r, f, rule) for r, f, rule, _ in out.issues] == [
        (3, "holder_code", "id_number_format"),
        (4, "issuer_code", "licence_issuer_mismatch"),
        (5, "valid_to", "date_order"),
        (6, "holder_code_type", "enum"),
        (7, "holder_code", "uscc_format"),
    ]


def test_licence_issuer_mismatch_with_a_valid_identifier():
    type_code = make_uscc("1", "1", "100000", "00000001") + "001"
    issuer = make_uscc("1", "1", "331900", "00000002")
    other = make_uscc("1", "1", "331900", "00000009")
    out = LICENCE.process([(2, _licence(licence_id=make_licence_id(type_code, other, "A0001"), issuer_code=issuer))])
    assert [(f, rule) for _r, f, rule, _ in out.issues] == [("issuer_code", "licence_issuer_mismatch")]


def test_duplicate_keys_in_a_chunk_keep_the_first():
    out = PERSON.process([(2, _person()), (3, _person(name="王芳芳"))])
    assert out.keys == ["11010519491231002X"] and out.row_numbers == [2]
    assert out.issues == [(3, "id_number", "key_duplicate", "11010519491231002X")]


def test_generated_loop_matches_the_reference_loop():
    """The unrolled loop (generated code) and the plain loop give identical records, issues and counts."""
    rng = random.Random(11)
    rows = []
    for i in range(3000):
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30_000))
        seq = rng.randrange(1, 999)
        number = make_id_number(rng.choice(["110105", "331902", "331981"]), born, seq)
        row = dict(zip(PERSON.names, _person(), strict=True))
        row.update(id_number=number, gender="男" if seq % 2 else "女", birth_date=born.isoformat())
        r = rng.random()
        if r < 0.05:
            row["id_number"] = number[:-1] + ("0" if number[-1] != "0" else "1")
        elif r < 0.1:
            row["birth_date"] = born.strftime("%Y年%m月%d日")
        elif r < 0.15:
            row["name"] = " " + row["name"] + "\u3000"
        elif r < 0.2:
            row["gender"] = rng.choice(["1", "2", "未知性别"])
        elif r < 0.25:
            row["region_code"] = "000000"
        elif r < 0.3 and rows:
            row["id_number"] = rows[-1][1][0]
        rows.append((i + 2, tuple(row[n] for n in PERSON.names)))
    fast = RowProcessor(base_schema("person"), today=TODAY).process(rows)
    slow = RowProcessor(base_schema("person"), today=TODAY).process_reference(rows)
    assert fast.keys == slow.keys and fast.datas == slow.datas and fast.hashes == slow.hashes
    assert fast.issues == slow.issues and fast.fired == slow.fired
    assert fast.rows_read == slow.rows_read == 3000 and fast.rows_rejected == slow.rows_rejected > 100


def test_every_rule_has_words_and_a_kind():
    assert CLEANING_RULES and VALIDATION_RULES and WARNING_RULES
    for code, r in RULES.items():
        assert r.zh and r.en and r.kind in ("cleaning", "validation", "warning"), code
