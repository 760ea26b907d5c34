"""The five base libraries (基础库) as data: 人口, 法人, 电子证照, 空间地理, 社会信用.

Each is a plain dict in the same JSON shape a department uses to declare a thematic library, validated into a
:class:`~govshare.library.tableschema.TableSchema` at import. Code tables follow the national standards where
there is one: GB/T 2261.1 (gender), GB/T 3304 (ethnicity), GB/T 2261.2 (marital status), GB/T 2260 (regions).
"""

from __future__ import annotations

from typing import Any

from govshare.library.tableschema import TableSchema

# GB/T 3304-1991 民族名称代码 (01–56), plus 97 其他 and 98 外国血统中国籍人士.
ETHNICITIES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 "
    "哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 "
    "达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 "
    "俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
).split()
_ETHNICITY_MAP = {f"{i:02d}": name for i, name in enumerate(ETHNICITIES, start=1)}
_ETHNICITY_MAP |= {name.removesuffix("族"): name for name in ETHNICITIES if len(name) > 2}
_ETHNICITY_MAP |= {"97": "其他", "98": "外国血统中国籍人士"}

GENDERS = ["男", "女", "未知", "未说明"]
_GENDER_MAP = {"1": "男", "2": "女", "0": "未知", "9": "未说明", "男性": "男", "女性": "女", "M": "男", "F": "女"}
MARITAL = ["未婚", "已婚", "离异", "丧偶", "未说明"]
_MARITAL_MAP = {
    "10": "未婚", "20": "已婚", "21": "已婚", "22": "已婚", "23": "已婚", "30": "丧偶", "40": "离异", "90": "未说明",
    "初婚": "已婚", "再婚": "已婚", "复婚": "已婚", "离婚": "离异",
}  # fmt: skip
PERSON_STATUS = ["正常", "死亡", "迁出"]
ENTITY_TYPES = [
    "企业法人", "个体工商户", "农民专业合作社", "机关法人", "事业单位法人", "社会团体法人", "民办非企业单位", "基金会",
    "其他",
]  # fmt: skip
ENTITY_STATUS = ["存续", "在业", "迁入", "迁出", "停业", "吊销", "注销", "撤销"]
LICENCE_STATUS = ["有效", "注销", "吊销", "过期", "作废"]
CODE_TYPES = ["111", "001"]  # 111 公民身份号码, 001 统一社会信用代码
_CODE_TYPE_MAP = {"1": "001", "01": "001", "身份证": "111", "居民身份证": "111", "统一社会信用代码": "001"}
CREDIT_KINDS = ["红名单", "黑名单", "行政许可", "行政处罚"]
#: Rough bounding box of China's territory (CGCS2000/WGS84 degrees); a point outside is a data error.
CHINA_LON = (73.4, 135.1)
CHINA_LAT = (3.8, 53.6)

_USCC_PLUS3 = r"[0-9A-HJ-NPQRTUWXY]{18}[0-9]{3}"

PERSON: dict[str, Any] = {
    "fields": [
        {"name": "id_number", "title": "公民身份号码", "format": "id_number", "required": True,
         "aliases": ["身份证号", "身份证号码", "证件号码", "公民身份证号"]},
        {"name": "name", "title": "姓名", "required": True, "max_length": 50},
        {"name": "gender", "title": "性别", "enum": GENDERS, "enum_map": _GENDER_MAP, "required": True},
        {"name": "birth_date", "title": "出生日期", "type": "date", "required": True, "not_future": True},
        {"name": "ethnicity", "title": "民族", "enum": [*ETHNICITIES, "其他", "外国血统中国籍人士"],
         "enum_map": _ETHNICITY_MAP},
        {"name": "address", "title": "户籍地址", "max_length": 200, "aliases": ["户籍地详址", "住址"]},
        {"name": "region_code", "title": "户籍地行政区划代码", "format": "region_code", "required": True,
         "aliases": ["行政区划代码", "区划代码"]},
        {"name": "marital_status", "title": "婚姻状况", "enum": MARITAL, "enum_map": _MARITAL_MAP},
        {"name": "status", "title": "人口状态", "enum": PERSON_STATUS, "required": True,
         "enum_map": {"死亡注销": "死亡", "迁出注销": "迁出"}},
    ],
    "primary_key": ["id_number"],
    "row_rules": [
        {"rule": "id_number_consistency", "id_field": "id_number", "gender_field": "gender",
         "birth_date_field": "birth_date"},
    ],
}  # fmt: skip

LEGAL_ENTITY: dict[str, Any] = {
    "fields": [
        {"name": "uscc", "title": "统一社会信用代码", "format": "uscc", "required": True, "accept_bad_checksum": True},
        {"name": "name", "title": "名称", "required": True, "max_length": 200, "aliases": ["单位名称", "企业名称"]},
        {"name": "entity_type", "title": "主体类型", "enum": ENTITY_TYPES, "required": True},
        {"name": "legal_rep_name", "title": "法定代表人", "max_length": 50, "aliases": ["法定代表人姓名"]},
        {"name": "legal_rep_id_number", "title": "法定代表人公民身份号码", "format": "id_number",
         "aliases": ["法定代表人身份证号"]},
        {"name": "address", "title": "住所", "max_length": 200, "aliases": ["注册地址"]},
        {"name": "region_code", "title": "住所行政区划代码", "format": "region_code", "required": True},
        {"name": "registration_authority", "title": "登记机关", "max_length": 100},
        {"name": "established_date", "title": "成立日期", "type": "date", "not_future": True},
        {"name": "status", "title": "登记状态", "enum": ENTITY_STATUS, "required": True},
    ],
    "primary_key": ["uscc"],
    "consistency": [
        {"name": "legal_rep_in_population", "title": "法定代表人公民身份号码在人口库中存在", "rule": "exists_in",
         "ref_field": "legal_rep_id_number", "target": {"base": "person"}},
    ],
}  # fmt: skip

LICENCE: dict[str, Any] = {
    "fields": [
        {"name": "licence_id", "title": "电子证照标识", "format": "licence_id", "required": True,
         "description": "GB/T 36903: 1.2.156.3005.2.类型代码.颁发机构代码.流水号.版本号.校验位"},
        {"name": "licence_type_code", "title": "证照类型代码", "required": True, "pattern": _USCC_PLUS3},
        {"name": "licence_type_name", "title": "证照类型名称", "required": True, "max_length": 100},
        {"name": "licence_number", "title": "证照编号", "required": True, "max_length": 100},
        {"name": "holder_name", "title": "持证主体", "required": True, "max_length": 200},
        {"name": "holder_code", "title": "持证主体代码", "format": "subject_code", "required": True},
        {"name": "holder_code_type", "title": "持证主体代码类型", "enum": CODE_TYPES, "enum_map": _CODE_TYPE_MAP,
         "required": True},
        {"name": "issuer_name", "title": "颁发机构", "required": True, "max_length": 200},
        {"name": "issuer_code", "title": "颁发机构代码", "format": "uscc", "required": True,
         "accept_bad_checksum": True},
        {"name": "issue_date", "title": "颁发日期", "type": "date", "required": True, "not_future": True},
        {"name": "valid_from", "title": "有效期起始日期", "type": "date"},
        {"name": "valid_to", "title": "有效期截止日期", "type": "date", "long_term": True},
        {"name": "status", "title": "证照状态", "enum": LICENCE_STATUS, "required": True},
        {"name": "file_hash", "title": "证照文件摘要", "pattern": "[0-9a-fA-F]{64}",
         "description": "SHA-256 或 SM3 摘要(十六进制)"},
    ],
    "primary_key": ["licence_id"],
    "row_rules": [
        {"rule": "code_by_type", "code_field": "holder_code", "type_field": "holder_code_type"},
        {"rule": "licence_id_consistency", "id_field": "licence_id", "type_code_field": "licence_type_code",
         "issuer_code_field": "issuer_code"},
        {"rule": "date_order", "start_field": "valid_from", "end_field": "valid_to"},
    ],
    "consistency": [
        {"name": "holder_name_matches_population", "title": "持证人姓名与人口库一致", "rule": "matches_in",
         "ref_field": "holder_code", "when": {"holder_code_type": ["111"]}, "target": {"base": "person"},
         "local_field": "holder_name", "target_field": "name"},
        {"name": "deceased_hold_no_valid_licence", "title": "已死亡人员不持有有效证照", "rule": "target_state_not",
         "ref_field": "holder_code", "when": {"holder_code_type": ["111"], "status": ["有效"]},
         "target": {"base": "person"}, "target_field": "status", "values": ["死亡"]},
    ],
}  # fmt: skip

PLACE: dict[str, Any] = {
    "fields": [
        {"name": "place_code", "title": "地址编码", "required": True, "pattern": "[0-9A-Za-z-]{1,64}"},
        {"name": "standard_address", "title": "标准地址", "required": True, "max_length": 200},
        {"name": "region_code", "title": "行政区划代码", "format": "region_code", "required": True},
        {"name": "place_name", "title": "地名", "max_length": 100},
        {"name": "longitude", "title": "经度", "type": "number", "minimum": CHINA_LON[0], "maximum": CHINA_LON[1]},
        {"name": "latitude", "title": "纬度", "type": "number", "minimum": CHINA_LAT[0], "maximum": CHINA_LAT[1]},
        {"name": "crs", "title": "坐标系", "enum": ["CGCS2000", "WGS84"],
         "enum_map": {"4490": "CGCS2000", "EPSG:4490": "CGCS2000", "国家2000": "CGCS2000", "4326": "WGS84",
                      "EPSG:4326": "WGS84", "WGS-84": "WGS84"}},
    ],
    "primary_key": ["place_code"],
}  # fmt: skip

CREDIT: dict[str, Any] = {
    "fields": [
        {"name": "record_no", "title": "决定文书号", "required": True, "max_length": 100},
        {"name": "subject_name", "title": "主体名称", "required": True, "max_length": 200},
        {"name": "subject_code", "title": "主体代码", "format": "subject_code", "required": True},
        {"name": "subject_code_type", "title": "主体代码类型", "enum": CODE_TYPES, "enum_map": _CODE_TYPE_MAP,
         "required": True},
        {"name": "kind", "title": "信用信息类别", "enum": CREDIT_KINDS, "required": True},
        {"name": "deciding_org", "title": "作出决定机关", "required": True, "max_length": 200},
        {"name": "decision_date", "title": "决定日期", "type": "date", "required": True, "not_future": True},
        {"name": "valid_until", "title": "有效期至", "type": "date", "long_term": True},
        {"name": "content", "title": "内容", "max_length": 2000},
    ],
    "primary_key": ["record_no"],
    "row_rules": [
        {"rule": "code_by_type", "code_field": "subject_code", "type_field": "subject_code_type"},
        {"rule": "date_order", "start_field": "decision_date", "end_field": "valid_until"},
    ],
    "consistency": [
        {"name": "entity_subject_registered", "title": "法人主体在法人库中登记", "rule": "exists_in",
         "ref_field": "subject_code", "when": {"subject_code_type": ["001"]}, "target": {"base": "legal_entity"}},
        {"name": "person_subject_registered", "title": "自然人主体在人口库中登记", "rule": "exists_in",
         "ref_field": "subject_code", "when": {"subject_code_type": ["111"]}, "target": {"base": "person"}},
    ],
}  # fmt: skip

#: base name → (Chinese name, schema).
BASE_LIBRARIES: dict[str, tuple[str, TableSchema]] = {
    "person": ("人口基础库", TableSchema.model_validate(PERSON)),
    "legal_entity": ("法人基础库", TableSchema.model_validate(LEGAL_ENTITY)),
    "licence": ("电子证照库", TableSchema.model_validate(LICENCE)),
    "place": ("自然资源和空间地理基础库", TableSchema.model_validate(PLACE)),
    "credit": ("社会信用库", TableSchema.model_validate(CREDIT)),
}


def base_schema(base: str) -> TableSchema:
    return BASE_LIBRARIES[base][1].model_copy(deep=True)
