"""Identifier checks: 公民身份号码, 统一社会信用代码, 电子证照标识."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.cn import ric

from govshare.standards.identifiers import (
    IdentifierError,
    id_number_birth_date,
    id_number_check_char,
    id_number_gender,
    is_valid_id_number,
    is_valid_uscc,
    make_id_number,
    make_licence_id,
    make_uscc,
    org_code_check_char,
    parse_licence_id,
    upgrade_id_number_15,
    uscc_warnings,
    validate_id_number,
    validate_licence_id,
    validate_uscc,
)


def _code(fn, value: str) -> str:
    with pytest.raises(IdentifierError) as info:
        fn(value)
    assert info.value.message_zh and info.value.message_en
    return info.value.code


# ---- 公民身份号码 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["11010519491231002X", "440524188001010014"])
def test_valid_id_numbers(value: str) -> None:
    assert validate_id_number(value) == value


def test_abolished_region_code_is_still_valid() -> None:
    # 440524 潮阳县 existed 1983–1993 only; an ID number keeps the code it was issued under.
    assert is_valid_id_number("440524188001010014")
    assert not ric.is_valid("440524188001010014")  # stdnum alone is stricter (birth year vs code's years)


def test_lower_case_x_and_spaces_are_normalised() -> None:
    assert validate_id_number(" 11010519491231002x ") == "11010519491231002X"


def test_error_codes() -> None:
    assert _code(validate_id_number, "11010519491231002") == "id_number_length"
    assert _code(validate_id_number, "1101051949123100211") == "id_number_length"
    assert _code(validate_id_number, "1101051949123100AX") == "id_number_format"
    assert _code(validate_id_number, "110105194912310021") == "id_number_checksum"
    # right check character, impossible date (2 月 30 日)
    first17 = "11010519490230002"
    assert _code(validate_id_number, first17 + id_number_check_char(first17)) == "id_number_birth_date"
    # right check character, region code never used
    first17 = "99999919491231002"
    assert _code(validate_id_number, first17 + id_number_check_char(first17)) == "id_number_region"


def test_birth_date_in_future_rejected() -> None:
    number = make_id_number("110105", dt.date(2030, 1, 1), 3)
    with pytest.raises(IdentifierError) as info:
        validate_id_number(number, today=dt.date(2026, 1, 1))
    assert info.value.code == "id_number_birth_date"
    assert validate_id_number(number, today=dt.date(2030, 1, 1)) == number


def test_identifier_error_is_a_value_error() -> None:
    assert issubclass(IdentifierError, ValueError)


def test_check_char_agrees_with_the_weighted_sum_and_stdnum() -> None:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    for first17 in ("11010519491231002", "44052418800101001", "33190220000229123", "00000000000000000"):
        by_hand = "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]
        assert id_number_check_char(first17) == by_hand == ric.calc_check_digit(first17 + "?")


def test_upgrade_15_to_18() -> None:
    assert upgrade_id_number_15("110105491231002") == "11010519491231002X"
    assert _code(upgrade_id_number_15, "11010549123100") == "id_number_length"
    assert _code(upgrade_id_number_15, "11010549123100X") == "id_number_format"


def test_make_id_number_and_decoders() -> None:
    man = make_id_number("331902", dt.date(1990, 5, 17), 123)
    woman = make_id_number("331902", dt.date(1990, 5, 17), 124)
    assert validate_id_number(man) == man  # the demo city's fictional district is accepted
    assert id_number_gender(man) == "男" and id_number_gender(woman) == "女"
    assert id_number_birth_date(man) == dt.date(1990, 5, 17)
    assert man[:17] == "33190219900517123"
    with pytest.raises(IdentifierError):
        make_id_number("331902", dt.date(1990, 5, 17), 0)


# ---- 统一社会信用代码 -------------------------------------------------------------------------------
def test_valid_uscc() -> None:
    assert validate_uscc("91110000600037341L") == "91110000600037341L"
    assert validate_uscc("9111 0000 6000 3734 1l") == "91110000600037341L"
    assert uscc_warnings("91110000600037341L") == []


def test_uscc_errors() -> None:
    assert _code(validate_uscc, "91110000600037341") == "uscc_length"
    assert _code(validate_uscc, "9111000060003734IL") == "uscc_format"  # I is not in the alphabet
    assert _code(validate_uscc, "911100A0600037341L") == "uscc_format"  # region must be digits
    assert _code(validate_uscc, "91110000600037341M") == "uscc_checksum"
    assert not is_valid_uscc("91110000600037341M")


def _check_by_hand(first17: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(alphabet.index(c) * w for c, w in zip(first17, weights, strict=True))
    return alphabet[(31 - total % 31) % 31]


def test_letter_authority_codes_are_valid() -> None:
    # stdnum.cn.uscc.validate rejects a letter in positions 1–2; GB 32100 allows Y (其他), N (农业), A (军队).
    for authority, org_type in (("Y", "1"), ("N", "2"), ("A", "1")):
        code = make_uscc(authority, org_type, "440300", "MA5D1K2P")
        assert code[17] == _check_by_hand(code[:17])
        assert validate_uscc(code) == code
        assert uscc_warnings(code) == []


def test_org_code_check() -> None:
    # 600037341 (the body of 91110000600037341L) and 00001333 8 are real organization codes.
    assert org_code_check_char("60003734") == "1"
    assert org_code_check_char("00001333") == "8"
    # 10 → X, 11 → 0
    bodies = {org_code_check_char(f"{i:08d}") for i in range(200)}
    assert {"X", "0"} <= bodies


def test_bad_inner_org_code_is_a_warning_not_an_error() -> None:
    good = make_uscc("1", "1", "331900", "00123456")
    inner = good[16]
    wrong_inner = "0" if inner != "0" else "1"
    first17 = good[:16] + wrong_inner
    code = first17 + _check_by_hand(first17)  # outer check right, inner check wrong
    assert validate_uscc(code) == code
    assert uscc_warnings(code) == ["uscc_org_code_checksum"]


def test_pilot_code_failing_outer_check() -> None:
    # A real 2015 pilot code from 福建: legal, yet its GB 32100 check character does not compute.
    pilot = "91350100M0001TGQXM"
    assert _code(validate_uscc, pilot) == "uscc_checksum"
    assert validate_uscc(pilot, accept_bad_checksum=True) == pilot
    assert uscc_warnings(pilot) == ["uscc_checksum"]


def test_unknown_region_in_uscc_warns() -> None:
    code = make_uscc("9", "1", "999900", "MA5D1K2P")
    assert uscc_warnings(code) == ["uscc_region_unknown"]


# ---- 电子证照标识 -----------------------------------------------------------------------------------
REAL_LICENCE_ID = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F"


def test_real_licence_id_validates() -> None:
    # Seen in a public data dictionary; its check character agrees with ISO 7064 MOD 37,36 over
    # type code + issuer code + serial + version.
    assert validate_licence_id(REAL_LICENCE_ID) == REAL_LICENCE_ID
    assert parse_licence_id(REAL_LICENCE_ID) == {
        "type_code": "11100000000013338W032",
        "issuer_code": "11220000013544541J",
        "serial": "2430599",
        "version": "001",
        "check": "F",
    }


def test_licence_id_round_trip() -> None:
    authority = make_uscc("1", "1", "330000", "00250000")
    issuer = make_uscc("1", "1", "331900", "MB0K3H7Q")
    ident = make_licence_id(authority + "001", issuer, "20260000123", version=2)
    assert ident.startswith("1.2.156.3005.2.")
    assert validate_licence_id(ident) == ident
    fields = parse_licence_id(ident)
    assert (fields["type_code"], fields["issuer_code"], fields["serial"], fields["version"]) == (
        authority + "001",
        issuer,
        "20260000123",
        "002",
    )
    assert validate_licence_id(ident.lower()) == ident


def test_licence_id_tampering_is_detected() -> None:
    prefix, check = REAL_LICENCE_ID.rsplit(".", 1)
    tampered = [
        REAL_LICENCE_ID.replace("2430599", "2430598"),  # serial
        REAL_LICENCE_ID.replace(".001.", ".002."),  # version
        REAL_LICENCE_ID.replace("13544541J", "13544542J"),  # issuer
        f"{prefix}.{'G' if check != 'G' else 'H'}",  # check character
    ]
    for value in tampered:
        assert _code(validate_licence_id, value) == "licence_id_checksum", value


def test_licence_id_format_errors() -> None:
    for value in (
        "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.1.F",  # version not 3 digits
        "1.2.156.3005.3.11100000000013338W032.11220000013544541J.2430599.001.F",  # wrong OID arc
        "1.2.156.3005.2.11100000000013338W.11220000013544541J.2430599.001.F",  # type code without sequence
        "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001",  # no check
        "",
    ):
        assert _code(validate_licence_id, value) == "licence_id_format", value


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("Z", "1", "331900", "00000001"), "uscc_format"),  # Z is not in the USCC alphabet
        (("1", "1", "331900", "0000000I"), "uscc_format"),  # nor I (a valid organization-code character)
        (("1", "1", "331900", "0000000!"), "uscc_format"),
        (("1", "1", "33190", "00000001"), "uscc_length"),
    ],
)
def test_make_uscc_rejects_bad_parts_with_identifier_error(args, code):
    with pytest.raises(IdentifierError) as err:
        make_uscc(*args)
    assert err.value.code == code and err.value.message_zh and err.value.message_en
