"""The named rules of ingestion: cleaning (清洗), validation (校验) and warnings (提示), with stable codes.

Every rule that changes or rejects a value has a code here; the ingest report counts by code and the quarantine
stores the code, so the words (Chinese and English) live in one place and can change without touching data.
Identifier rule codes (``id_number_checksum`` …) are those of :class:`govshare.standards.identifiers.IdentifierError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RuleKind = Literal["cleaning", "validation", "warning"]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    kind: RuleKind
    zh: str
    en: str


_RULES: tuple[Rule, ...] = (
    # ---- cleaning: the value is changed, the row goes on ------------------------------------------------
    Rule("fullwidth_to_halfwidth", "cleaning", "全角字符转半角", "full-width characters made half-width"),
    Rule("invisible_characters", "cleaning", "删除零宽字符和字节顺序标记", "zero-width characters and BOM removed"),
    Rule("trim_whitespace", "cleaning", "去除首尾空白", "leading and trailing whitespace removed"),
    Rule("null_token", "cleaning", "空值标记(NULL、无、-等)转为空值", "null marker (NULL, N/A, - …) made empty"),
    Rule("date_chinese", "cleaning", "中文日期(1990年1月2日)规范为1990-01-02", "Chinese date normalized"),
    Rule("date_slashed", "cleaning", "斜杠或点分日期(1990/1/2)规范为1990-01-02", "slashed or dotted date normalized"),
    Rule("date_compact", "cleaning", "紧凑日期(19900102)规范为1990-01-02", "compact date (19900102) normalized"),
    Rule("date_unpadded", "cleaning", "补齐月日的前导零(1990-1-2)", "month and day zero-padded (1990-1-2)"),
    Rule("date_time_dropped", "cleaning", "去除日期后的时间部分", "time of day dropped from a date"),
    Rule("long_term_to_null", "cleaning", "“长期”“永久”有效期转为空(不限期)", "'long-term' validity made open-ended"),
    Rule("id_number_upper_x", "cleaning", "身份证号末位x转为大写X", "lower-case x of an ID number upper-cased"),
    Rule("id_number_15_to_18", "cleaning", "15位身份证号升级为18位", "15-digit ID number upgraded to 18 digits"),
    Rule("upper_case", "cleaning", "代码转为大写", "code upper-cased"),
    Rule("enum_alias", "cleaning", "代码值映射为标准值(如1→男)", "value mapped to its standard term (e.g. 1 → 男)"),
    Rule("number_separator", "cleaning", "去除数字中的千位分隔符", "thousands separators removed from a number"),
    # ---- validation: the row is rejected to the quarantine --------------------------------------------
    Rule("required", "validation", "必填项为空", "required value missing"),
    Rule("max_length", "validation", "长度超过上限", "value too long"),
    Rule("min_length", "validation", "长度不足", "value too short"),
    Rule("pattern", "validation", "格式不符合规定的模式", "value does not match the required pattern"),
    Rule("enum", "validation", "不是允许的代码值", "value not in the allowed list"),
    Rule("control_characters", "validation", "含有控制字符", "value contains control characters"),
    Rule("date_invalid", "validation", "日期无效", "invalid date"),
    Rule("date_future", "validation", "日期晚于今天", "date in the future"),
    Rule("integer_invalid", "validation", "不是整数", "not an integer"),
    Rule("number_invalid", "validation", "不是数字", "not a number"),
    Rule("boolean_invalid", "validation", "不是是/否值", "not a yes/no value"),
    Rule("minimum", "validation", "数值小于下限", "number below the minimum"),
    Rule("maximum", "validation", "数值大于上限", "number above the maximum"),
    Rule("id_number_length", "validation", "公民身份号码位数错误", "ID number has the wrong length"),
    Rule("id_number_format", "validation", "公民身份号码含非法字符", "ID number has invalid characters"),
    Rule("id_number_checksum", "validation", "公民身份号码校验码错误", "ID number check character is wrong"),
    Rule("id_number_birth_date", "validation", "公民身份号码中的出生日期无效", "invalid birth date in the ID number"),
    Rule("id_number_region", "validation", "公民身份号码中的地址码无效", "unknown region code in the ID number"),
    Rule("uscc_length", "validation", "统一社会信用代码位数错误", "USCC has the wrong length"),
    Rule("uscc_format", "validation", "统一社会信用代码格式错误", "malformed USCC"),
    Rule("uscc_checksum", "validation", "统一社会信用代码校验码错误", "USCC check character is wrong"),
    Rule("licence_id_format", "validation", "电子证照标识格式错误", "malformed e-licence identifier"),
    Rule("licence_id_checksum", "validation", "电子证照标识校验位错误", "e-licence identifier check is wrong"),
    Rule("region_code_invalid", "validation", "行政区划代码无效(GB/T 2260)", "not a valid GB/T 2260 region code"),
    Rule("code_type_invalid", "validation", "主体代码类型无法识别", "unknown subject code type"),
    Rule(
        "id_number_gender_mismatch", "validation", "性别与身份证号顺序码奇偶不符", "gender disagrees with the ID number"
    ),
    Rule(
        "id_number_birth_date_mismatch",
        "validation",
        "出生日期与身份证号不符",
        "birth date disagrees with the ID number",
    ),
    Rule("date_order", "validation", "结束日期早于开始日期", "end date before start date"),
    Rule(
        "licence_type_mismatch",
        "validation",
        "证照类型代码与电子证照标识中的不一致",
        "licence type code disagrees with the identifier",
    ),
    Rule(
        "licence_issuer_mismatch",
        "validation",
        "颁发机构代码与电子证照标识中的不一致",
        "issuer code disagrees with the identifier",
    ),
    Rule("key_duplicate", "validation", "主键在本次导入中重复(保留首次出现)", "key repeated in this file (first kept)"),
    Rule("column_count", "validation", "列数与表头不一致", "number of columns differs from the header"),
    Rule("csv_format", "validation", "CSV格式错误", "malformed CSV record"),
    Rule("jsonl_format", "validation", "JSON Lines行不是JSON对象", "JSON Lines line is not a JSON object"),
    Rule("encoding_invalid", "validation", "含有无法按文件编码解码的字节", "bytes not valid in the file's encoding"),
    # ---- warnings: counted and reported, the row is accepted -----------------------------------------
    Rule(
        "uscc_checksum_accepted",
        "warning",
        "统一社会信用代码校验码不符(早期试点代码), 已接收",
        "USCC check character fails (early pilot code); accepted",
    ),
)

RULES: dict[str, Rule] = {r.code: r for r in _RULES}

CLEANING_RULES = frozenset(r.code for r in _RULES if r.kind == "cleaning")
VALIDATION_RULES = frozenset(r.code for r in _RULES if r.kind == "validation")
WARNING_RULES = frozenset(r.code for r in _RULES if r.kind == "warning")


def rule(code: str) -> Rule:
    """The rule of ``code``; an unknown code (e.g. a new identifier check) is reported as a validation rule."""
    found = RULES.get(code)
    return found if found is not None else Rule(code, "validation", code, code)
