"""The identifiers the platform keys its data on ("one number": 一人一号, 一企一码, 一证一标识).

- 公民身份号码 (citizen ID number, GB 11643-1999);
- 统一社会信用代码 (unified social credit code, USCC, GB 32100-2015) with its embedded
  组织机构代码 (organization code, GB 11714-1997);
- 电子证照标识 (e-licence identifier, GB/T 36904-2018 "电子证照 标识规范"; the project docs cite it as
  GB/T 36903, which is the metadata part of the same series).

The check algorithms come from python-stdnum wherever it has them. Every rejection raises
:class:`IdentifierError` with a stable ``code`` and a Chinese and an English message.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from stdnum import numdb
from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc
from stdnum.iso7064 import mod_37_36

from govshare.standards import regions


class IdentifierError(ValueError):
    """An identifier failed a check. ``code`` is stable (API error codes, tests); messages are for people."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


# ---- 公民身份号码 (GB 11643-1999) -------------------------------------------------------------------
ID_NUMBER_LENGTH = 18
ID_NUMBER_OLD_LENGTH = 15
#: Position weights of the check (2^(17-i) mod 11); kept for callers that precompute partial sums.
ID_NUMBER_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Σ aᵢ·wᵢ mod 11 → check character.
ID_NUMBER_CHECK_CHARS = "10X98765432"


def _compact_id(value: str) -> str:
    if not isinstance(value, str):
        raise IdentifierError("id_number_format", "公民身份号码必须是字符串", "ID number must be a string")
    return _ric.compact(value)


def id_number_check_char(first17: str) -> str:
    """The check character (``0``–``9`` or ``X``) for the first 17 digits of an ID number."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise IdentifierError("id_number_format", "前17位必须是数字", "the first 17 characters must be digits")
    # stdnum's calc_check_digit expects the full number and ignores its last character.
    return _ric.calc_check_digit(first17 + "0")


@cache
def _historical_region(code: str) -> bool:
    """Whether stdnum's table of current *and past* county codes knows ``code``.

    An ID number keeps the region code it was issued under, so a code abolished since (440524 潮阳县) is
    still right. stdnum's own ``get_birth_place`` also requires the code to have existed in the birth
    year, which wrongly rejects people registered after birth; we only ask whether the code ever existed.
    """
    return any("county" in props for _part, props in numdb.get("cn/loc").info(code))


def _check_region_code(code: str) -> None:
    if not (_historical_region(code) or regions.is_known_region(code)):
        raise IdentifierError(
            "id_number_region", f"公民身份号码的地址码无效: {code}", f"unknown region code in ID number: {code}"
        )


def _parse_birth_date(digits: str, *, today: dt.date | None = None) -> dt.date:
    try:
        born = dt.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise IdentifierError(
            "id_number_birth_date", f"出生日期无效: {digits}", f"invalid birth date: {digits}"
        ) from None
    if born > (today or dt.date.today()):
        raise IdentifierError(
            "id_number_birth_date", f"出生日期晚于今天: {digits}", f"birth date in the future: {digits}"
        )
    return born


def validate_id_number(value: str, *, today: dt.date | None = None) -> str:
    """Check a 18-character 公民身份号码 and return its canonical form (no spaces, upper-case ``X``).

    Checks, in order: length, digits, check character, birth date (a real date, not after ``today``),
    region code (current GB/T 2260, the demo city, or any code that existed in the past).
    """
    number = _compact_id(value)
    if len(number) != ID_NUMBER_LENGTH:
        raise IdentifierError(
            "id_number_length",
            f"公民身份号码应为18位, 实为{len(number)}位",
            f"ID number must have 18 characters, not {len(number)}",
        )
    if not (number[:17].isascii() and number[:17].isdigit()) or number[17] not in "0123456789X":
        raise IdentifierError(
            "id_number_format", "公民身份号码只能由数字和末位X组成", "ID number must be 17 digits and a digit or X"
        )
    if number[17] != id_number_check_char(number[:17]):
        raise IdentifierError("id_number_checksum", "公民身份号码校验码错误", "ID number check character is wrong")
    _parse_birth_date(number[6:14], today=today)
    _check_region_code(number[:6])
    return number


def is_valid_id_number(value: str) -> bool:
    try:
        validate_id_number(value)
    except IdentifierError:
        return False
    return True


def upgrade_id_number_15(value: str) -> str:
    """Turn an old 15-digit number (1985–1999 cards) into the 18-character form.

    The 15-digit layout is region (6) + YYMMDD + sequence (3); all were issued to people born in the
    1900s, so "19" goes before the year, then the check character is appended.
    """
    number = _compact_id(value)
    if len(number) != ID_NUMBER_OLD_LENGTH:
        raise IdentifierError(
            "id_number_length",
            f"旧公民身份号码应为15位, 实为{len(number)}位",
            f"old ID number must have 15 digits, not {len(number)}",
        )
    if not (number.isascii() and number.isdigit()):
        raise IdentifierError("id_number_format", "旧公民身份号码只能由数字组成", "old ID number must be digits only")
    first17 = number[:6] + "19" + number[6:]
    return validate_id_number(first17 + id_number_check_char(first17))


def make_id_number(region: str, birth_date: dt.date, sequence: int) -> str:
    """Compose a valid ID number. ``sequence`` is 1–999: odd for men, even for women (顺序码)."""
    if not (isinstance(region, str) and len(region) == 6 and region.isdigit()):
        raise IdentifierError("id_number_region", f"地址码应为6位数字: {region}", f"region must be 6 digits: {region}")
    if not 1 <= sequence <= 999:
        raise IdentifierError("id_number_format", "顺序码应在001–999之间", "sequence must be 1–999")
    first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_char(first17)


def id_number_gender(value: str) -> str:
    """``"男"`` (male) or ``"女"`` (female), from the parity of the sequence digit (17th)."""
    number = validate_id_number(value)
    return "男" if int(number[16]) % 2 else "女"


def id_number_birth_date(value: str) -> dt.date:
    """The birth date encoded in a valid ID number."""
    number = validate_id_number(value)
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


# ---- 统一社会信用代码 (GB 32100-2015) ---------------------------------------------------------------
USCC_LENGTH = 18
#: The 31 characters of GB 32100 (no I, O, S, V, Z), value = index.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_ALPHABET_SET = frozenset(USCC_ALPHABET)

#: 登记管理部门代码 (position 1) → 机构类别代码 (position 2) → name. Informative: validation does not
#: reject codes outside this table, since the registry has grown new codes over the years (N in 2018).
# fmt: off
USCC_AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构",
                      "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}
# fmt: on

#: Weights of the GB 11714 organization-code check, over its first 8 characters.
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

#: uscc_warnings() codes and their words.
USCC_WARNINGS: dict[str, tuple[str, str]] = {
    "uscc_org_code_checksum": (
        "组织机构代码(第9–17位)校验码不符合GB 11714, 常见于早期试点代码",
        "the organization code (positions 9–17) fails its GB 11714 check, as some early pilot codes do",
    ),
    "uscc_checksum": (
        "统一社会信用代码校验码不符合GB 32100, 常见于早期试点代码",
        "the USCC check character fails GB 32100, as some early pilot codes do",
    ),
    "uscc_region_unknown": (
        "登记管理机关行政区划码(第3–8位)不在行政区划代码表中",
        "the region code (positions 3–8) is not a known GB/T 2260 code",
    ),
}


def _uscc_compact(value: str) -> str:
    if not isinstance(value, str):
        raise IdentifierError("uscc_format", "统一社会信用代码必须是字符串", "USCC must be a string")
    number = _uscc.compact(value)
    if len(number) != USCC_LENGTH:
        raise IdentifierError(
            "uscc_length",
            f"统一社会信用代码应为18位, 实为{len(number)}位",
            f"USCC must have 18 characters, not {len(number)}",
        )
    # stdnum's validate() wants digits in positions 1–2, but GB 32100 allows the whole alphabet there
    # (Y 其他, N 农业, A 军队 …), so the format is checked here and only the check digit comes from stdnum.
    if any(c not in _USCC_ALPHABET_SET for c in number) or not number[2:8].isdigit():
        raise IdentifierError(
            "uscc_format",
            "统一社会信用代码格式错误: 第3–8位应为数字, 其余为数字或大写字母(不含I、O、S、V、Z)",
            "malformed USCC: positions 3–8 must be digits, the rest digits or letters other than I, O, S, V, Z",
        )
    return number


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters (C18 = 31 − Σcᵢwᵢ mod 31)."""
    # stdnum's calc_check_digit maps characters through the same 31-character alphabet for every
    # position, so letters in positions 1–2 are handled; it zips over 17 weights and ignores a 18th char.
    return _uscc.calc_check_digit(first17)


def org_code_check_char(first8: str) -> str:
    """The GB 11714 check character of an 8-character organization code (组织机构代码).

    Written by hand: python-stdnum has no GB 11714 module. C9 = 11 − Σcᵢwᵢ mod 11 with
    0–9 → 0–9, A–Z → 10–35; a result of 10 is written ``X`` and 11 is written ``0``.
    """
    if len(first8) != 8 or not all(c.isascii() and c.isalnum() for c in first8):
        raise IdentifierError(
            "uscc_format", "组织机构代码本体应为8位数字或字母", "organization code body must be 8 alphanumerics"
        )
    total = sum(int(c, 36) * w for c, w in zip(first8.upper(), _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _org_code_ok(number: str) -> bool:
    body, check = number[8:16], number[16]
    return org_code_check_char(body) == check


def validate_uscc(value: str, *, accept_bad_checksum: bool = False) -> str:
    """Check a 统一社会信用代码 and return it compact and upper-case.

    Checks the length, the alphabet, digits in positions 3–8 and the GB 32100 check character. The
    embedded organization code's own check is *not* enforced (see :func:`uscc_warnings`).

    Some codes issued in the 2015 pilots (e.g. in 福建) are legal yet fail the GB 32100 check character;
    pass ``accept_bad_checksum=True`` where such real codes must be taken in (e.g. importing the legal
    entity register), and report the problem with :func:`uscc_warnings`.
    """
    number = _uscc_compact(value)
    if not accept_bad_checksum and number[17] != uscc_check_char(number[:17]):
        raise IdentifierError("uscc_checksum", "统一社会信用代码校验码错误", "USCC check character is wrong")
    return number


def is_valid_uscc(value: str) -> bool:
    try:
        validate_uscc(value)
    except IdentifierError:
        return False
    return True


def uscc_warnings(value: str) -> list[str]:
    """Problems that do not make a USCC invalid, as stable codes (words in :data:`USCC_WARNINGS`).

    Raises :class:`IdentifierError` only for a wrong length or alphabet.
    """
    number = _uscc_compact(value)
    warnings: list[str] = []
    if number[17] != uscc_check_char(number[:17]):
        warnings.append("uscc_checksum")
    if not _org_code_ok(number):
        warnings.append("uscc_org_code_checksum")
    region = number[2:8]
    if not (regions.is_valid_region(region) or _historical_region(region)):
        warnings.append("uscc_region_unknown")
    return warnings


def make_uscc(authority: str, org_type: str, region: str, org_code8: str) -> str:
    """Compose a USCC: authority (登记管理部门) + type (机构类别) + region + org code + both checks."""
    head = f"{authority}{org_type}{region}".upper()
    body = org_code8.upper()
    if len(authority) != 1 or len(org_type) != 1 or len(region) != 6 or len(body) != 8:
        raise IdentifierError(
            "uscc_length",
            "登记管理部门和机构类别各1位, 行政区划6位, 组织机构代码本体8位",
            "authority and type take 1 character each, region 6 digits, organization code body 8 characters",
        )
    first17 = head + body + org_code_check_char(body)
    if not all(c in USCC_ALPHABET for c in first17):  # uscc_check_char would raise a bare ValueError
        raise IdentifierError(
            "uscc_format",
            "统一社会信用代码只能由数字和除 I、O、S、V、Z 以外的大写字母组成",
            "a USCC holds digits and letters other than I, O, S, V, Z only",
        )
    return validate_uscc(first17 + uscc_check_char(first17))


# ---- 电子证照标识 (GB/T 36904-2018) ----------------------------------------------------------------
#: OID arc of the e-licence identifier: 1.2.156 (China) .3005 (电子证照) .2 (identifier).
LICENCE_ID_PREFIX = "1.2.156.3005.2"
#: ISO/IEC 7064 MOD 37,36 (GB/T 17710) works over 0–9 then A–Z, the same as stdnum's default alphabet.
LICENCE_ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

_USCC_RE = f"[{USCC_ALPHABET}]{{18}}"
_LICENCE_ID_RE = re.compile(
    re.escape(LICENCE_ID_PREFIX)
    + rf"\.(?P<type_code>{_USCC_RE}\d{{3}})"  # defining authority's USCC + 3-digit sequence
    + rf"\.(?P<issuer_code>{_USCC_RE})"  # issuing authority's USCC
    + r"\.(?P<serial>[0-9A-Z]{1,64})"  # 流水号, chosen by the issuer
    + r"\.(?P<version>\d{3})"
    + r"\.(?P<check>[0-9A-Z])"
)


def licence_id_check_char(type_code: str, issuer_code: str, serial: str, version: str) -> str:
    """The MOD 37,36 check character over the four fields joined without dots."""
    return mod_37_36.calc_check_digit(f"{type_code}{issuer_code}{serial}{version}", alphabet=LICENCE_ID_ALPHABET)


def validate_licence_id(value: str) -> str:
    """Check an e-licence identifier (电子证照标识) and return it upper-cased and stripped.

    ``1.2.156.3005.2.{type code}.{issuer code}.{serial}.{version}.{check}``, e.g.
    ``1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F``.
    The USCCs inside must be well-formed; their own check characters are not enforced here (a licence
    stays valid when its issuer's pilot-era code fails the GB 32100 check).
    """
    if not isinstance(value, str):
        raise IdentifierError("licence_id_format", "电子证照标识必须是字符串", "licence identifier must be a string")
    text = value.strip().upper()
    match = _LICENCE_ID_RE.fullmatch(text)
    if match is None:
        raise IdentifierError(
            "licence_id_format",
            "电子证照标识格式错误, 应为 1.2.156.3005.2.证照类型代码.颁发机构代码.流水号.版本号.校验位",
            "malformed licence identifier; expected 1.2.156.3005.2.type.issuer.serial.version.check",
        )
    expected = licence_id_check_char(match["type_code"], match["issuer_code"], match["serial"], match["version"])
    if match["check"] != expected:
        raise IdentifierError(
            "licence_id_checksum", "电子证照标识校验位错误", "licence identifier check character is wrong"
        )
    return text


def make_licence_id(type_code: str, issuer_code: str, serial: str, version: int = 1) -> str:
    """Compose an e-licence identifier; ``type_code`` is the defining authority's USCC + 3 digits."""
    if not 0 <= version <= 999:
        raise IdentifierError("licence_id_format", "版本号应在000–999之间", "version must be 0–999")
    fields = (type_code.upper(), issuer_code.upper(), str(serial).upper(), f"{version:03d}")
    check = licence_id_check_char(*fields)
    return validate_licence_id(".".join((LICENCE_ID_PREFIX, *fields, check)))


def parse_licence_id(value: str) -> dict[str, str]:
    """The fields of a valid identifier: type_code, issuer_code, serial, version, check."""
    text = validate_licence_id(value)
    match = _LICENCE_ID_RE.fullmatch(text)
    assert match is not None  # validate_licence_id matched it already
    return match.groupdict()
