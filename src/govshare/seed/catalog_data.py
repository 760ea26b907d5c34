# ruff: noqa: E501  (a data table: one entry per block reads better than strings broken at 120 columns)
"""The demo city's resource catalog (示范市政务信息资源目录): ~70 published entries across the seeded departments.

Pure data plus one loader. The entries follow the 编制指南 / GB/T 21063 metadata: base resources (人口、法人、
自然资源和空间地理、社会信用、电子证照), thematic and departmental ones, each with realistic data items, share and open
attributes. The designated data-source departments (数源部门) are marked on the entries they are the source of:
公安 for population, 市场监管 for legal entities, 民政 for marriage, 不动产登记 for real estate, and so on.

:func:`load_demo_catalog` writes them through the catalog service — drafted, submitted, reviewed and approved like
any entry, so every one of them is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_TYPES = {"C": "string", "N": "number", "D": "date", "DT": "datetime", "B": "boolean", "BY": "binary"}

#: Descriptions of items that recur across entries.
_DESC = {
    "id_number": "18 位公民身份号码 (GB 11643), 查询主键",
    "uscc": "18 位统一社会信用代码 (GB 32100), 查询主键",
    "gender": "性别代码 (GB/T 2261.1): 1 男, 2 女",
    "ethnicity": "民族代码 (GB/T 3304)",
    "birth_date": "出生日期, YYYY-MM-DD",
    "licence_id": "电子证照标识 (GB/T 36903)",
    "licence_no": "证照上的编号",
    "licence_name": "证照名称",
    "holder_name": "持证主体名称 (个人姓名或单位名称)",
    "holder_code": "持证主体代码: 公民身份号码或统一社会信用代码",
    "holder_code_type": "持证主体代码类型: 111 公民身份号码, 001 统一社会信用代码",
    "issuer_name": "颁证机构名称",
    "issuer_code": "颁证机构统一社会信用代码",
    "issue_date": "颁证日期",
    "valid_from": "有效期起始日期",
    "valid_to": "有效期截止日期, 长期有效为空",
    "licence_status": "证照状态: 有效/注销/吊销/过期",
    "licence_file": "版式文件 (OFD), 含电子印章",
    "org_name": "单位全称, 与营业执照一致",
    "legal_rep_name": "法定代表人 (负责人) 姓名",
    "reg_address": "住所 (经营场所) 地址",
    "establish_date": "成立日期",
}


@dataclass(frozen=True)
class I:  # noqa: E742  (a short name keeps the tables below readable)
    name: str
    machine: str
    type: str = "C"
    length: int | None = None
    level: str = "L1"
    key: bool = False
    sensitive: bool = False
    secret: bool = False
    mask: str | None = None
    share: str | None = None
    desc: str | None = None

    def as_dict(self) -> dict[str, Any]:
        length = self.length if self.length is not None else (50 if self.type == "C" else None)
        return {
            "name": self.name,
            "machine_name": self.machine,
            "data_type": _TYPES[self.type],
            "length": length,
            "description": self.desc if self.desc is not None else _DESC.get(self.machine, ""),
            "is_key": self.key,
            "share_type": self.share,
            "is_secret": self.secret,
            "is_sensitive": self.sensitive,
            "sensitivity": self.level,
            "masking": self.mask,
        }


@dataclass(frozen=True)
class Spec:
    org: str  # department short code (seed/city.py)
    code: str  # classification code 类+项+目
    name: str
    summary: str
    keywords: tuple[str, ...]
    items: tuple[I, ...]
    formats: tuple[str, ...] = ("database",)
    share: str = "conditional"  # unconditional | conditional | none
    condition: str = ""
    basis: str = ""
    reason: str | None = None
    modes: tuple[str, ...] = ("api",)
    open: str = "none"
    open_condition: str = ""
    cycle: str = "daily"
    network: str = "egov_extranet"
    source: bool = False  # 数源部门
    related: tuple[str, ...] = field(default=())  # names of other entries

    @property
    def kind(self) -> str:
        return {"1": "base", "2": "theme", "3": "department"}[self.code[0]]


# ---- shared item sets ------------------------------------------------------------------------------------
ID = I("公民身份号码", "id_number", length=18, level="L3", key=True, sensitive=True, mask="keep:6:4")
USCC = I("统一社会信用代码", "uscc", length=18, key=True)


def person(label: str, machine: str) -> I:
    return I(label, machine, level="L2", sensitive=True, mask="name", desc=f"{label}, 与居民身份证一致")


def licence(person_holder: bool, *extra: I) -> tuple[I, ...]:
    """The licence fields of GB/T 36903 / 电子证照元数据, then the type's own items."""
    holder = (
        I("持证主体", "holder_name", level="L2", sensitive=True, mask="name")
        if person_holder
        else I("持证主体", "holder_name", length=200)
    )
    code = (
        I("持证主体代码", "holder_code", length=18, level="L3", key=True, sensitive=True, mask="keep:6:4")
        if person_holder
        else I("持证主体代码", "holder_code", length=18, key=True)
    )
    return (
        I("证照标识", "licence_id", length=128, key=True),
        I("证照编号", "licence_no", length=64, key=True),
        I("证照名称", "licence_name", length=100),
        holder,
        code,
        I("持证主体代码类型", "holder_code_type", length=3),
        I("颁证机构", "issuer_name", length=200),
        I("颁证机构代码", "issuer_code", length=18),
        I("颁证日期", "issue_date", "D"),
        I("有效期起始日期", "valid_from", "D"),
        I("有效期截止日期", "valid_to", "D"),
        I("证照状态", "licence_status", length=10),
        *extra,
        I("证照文件", "licence_file", "BY", level="L3", sensitive=True),
    )


PRIVACY = "涉及个人信息, 仅限依法履行职责、办理政务服务事项时按需查询单人信息, 不得批量下载或转提供"
PERSON_BASIS = "《中华人民共和国个人信息保护法》第三十四条; 《政务数据共享条例》第十四条"
LICENCE_COND = "办理政务服务事项时, 经持证人授权或依法履职, 按证照编号或持证主体代码调取"
LICENCE_BASIS = "《国务院关于在线政务服务的若干规定》第八条 (电子证照与纸质证照具有同等法律效力)"

# fmt: off
SPECS: tuple[Spec, ...] = (
    # ---- 公安局 gaj: 人口 (数源) ---------------------------------------------------------------------------
    Spec("gaj", "101001", "人口基础信息", "全市户籍人口的身份、户籍与基本状况信息, 人口基础库的源头数据, 由公安户籍管理系统实时维护。",
         ("人口", "户籍", "身份"), (
             # Machine names are the person base library's fields (library/base_schemas.py), so the gateway
             # serves every item from the library table 101001/000001.
             ID, person("姓名", "name"), I("性别", "gender", length=1),
             I("出生日期", "birth_date", "D", level="L2", sensitive=True, mask="year"),
             I("民族", "ethnicity", length=20, level="L2", sensitive=True),
             I("户籍地址", "address", length=200, level="L3", sensitive=True, mask="keep:9:0",
               desc="户籍所在地详细地址"),
             I("户籍地行政区划代码", "region_code", length=6, desc="GB/T 2260 行政区划代码"),
             I("婚姻状况", "marital_status", length=10, level="L2", sensitive=True, desc="未婚/已婚/离婚/丧偶"),
             I("人口状态", "status", length=10, desc="正常/死亡/迁出; 死亡注销后为死亡"),
             I("照片", "photo", "BY", level="L4", sensitive=True, share="none", desc="居民身份证照片, 不予共享"),
         ),
         condition=PRIVACY, basis="《中华人民共和国居民身份证法》; 《中华人民共和国户口登记条例》; " + PERSON_BASIS,
         reason="sensitive", cycle="realtime", source=True, formats=("database", "service")),
    Spec("gaj", "101002", "流动人口居住登记信息", "在本市居住半年以上的非户籍人口的居住登记与居住证办理信息。",
         ("流动人口", "居住证"), (
             ID, person("登记人姓名", "registrant_name"),
             I("居住地址", "residence_address", length=200, level="L3", sensitive=True, mask="keep:9:0"),
             I("居住起始日期", "residence_start", "D"), I("居住证编号", "residence_permit_no", length=32),
             I("就业单位名称", "workplace_name", length=200),
         ), condition=PRIVACY, basis=PERSON_BASIS, reason="sensitive", related=("人口基础信息",)),
    Spec("gaj", "101003", "人口死亡注销信息", "因死亡注销户口的人员信息, 用于社保待遇停发、公积金提取、殡葬管理等业务核验。",
         ("死亡", "注销"), (
             ID, person("注销人员姓名", "deceased_name"), I("死亡日期", "death_date", "D", desc="医学死亡证明记载的日期"),
             I("注销日期", "cancel_date", "D"), I("注销原因", "cancel_reason", length=20),
         ), condition=PRIVACY, basis=PERSON_BASIS, reason="sensitive", related=("人口基础信息",)),
    Spec("gaj", "105001", "居民身份证电子证照", "居民身份证的电子证照, 用于政务服务中的身份核验与免提交。",
         ("身份证", "电子证照"), licence(True, I("签发机关", "issuing_police", length=100)),
         condition=LICENCE_COND, basis=LICENCE_BASIS, reason="sensitive", cycle="realtime"),
    Spec("gaj", "301001", "机动车驾驶证信息", "本市核发的机动车驾驶证的准驾车型、有效期与记分状态。",
         ("驾驶证", "交通"), (
             ID, person("驾驶人姓名", "driver_name"), I("准驾车型", "vehicle_class", length=10),
             I("初次领证日期", "first_issue_date", "D"), I("有效期至", "licence_valid_to", "D"),
             I("累积记分", "penalty_points", "N", length=2, level="L2"), I("驾驶证状态", "driving_licence_status", length=10),
         ), condition=PRIVACY, basis=PERSON_BASIS, reason="sensitive"),
    Spec("gaj", "301002", "出入境证件办理信息", "普通护照、往来港澳台通行证的受理、签发与证件状态信息。",
         ("护照", "出入境"), (
             ID, person("申请人姓名", "applicant_name"), I("证件类型", "travel_document_type", length=10),
             I("证件号码", "travel_document_no", length=20, level="L3", sensitive=True, mask="keep:2:2"),
             I("签发日期", "document_issue_date", "D"), I("证件状态", "document_status", length=10),
         ), condition=PRIVACY, basis="《中华人民共和国出境入境管理法》; " + PERSON_BASIS, reason="sensitive"),
    # ---- 市场监督管理局 scjgj: 法人 (数源) -------------------------------------------------------------------
    Spec("scjgj", "102001", "法人基础信息", "全市各类市场主体的登记信息, 法人基础库的源头数据, 由企业登记系统实时维护。",
         ("法人", "企业", "市场主体", "营业执照"), (
             # Machine names are the legal-entity base library's fields (library/base_schemas.py).
             USCC, I("单位名称", "name", length=200), I("市场主体类型", "entity_type", length=50),
             I("法定代表人", "legal_rep_name", length=50),
             I("法定代表人证件号码", "legal_rep_id_number", length=18, level="L3", sensitive=True, mask="keep:6:4",
               share="conditional", desc="法定代表人的公民身份号码, 有条件共享"),
             I("住所", "address", length=200), I("住所行政区划代码", "region_code", length=6),
             I("登记机关", "registration_authority", length=200),
             I("成立日期", "established_date", "D"),
             I("登记状态", "status", length=10, desc="存续/注销/吊销/迁出"),
         ), condition="法定代表人证件号码仅限依法履职时查询; 其他信息项无条件共享",
         basis="《中华人民共和国市场主体登记管理条例》; " + PERSON_BASIS, reason="sensitive", cycle="realtime",
         source=True, modes=("api", "bulk")),
    Spec("scjgj", "102002", "企业登记公示信息", "依法向社会公示的企业登记信息, 包括名称、类型、法定代表人、住所与经营范围。",
         ("企业公示", "营业执照"), (
             USCC, I("企业名称", "company_name", length=200), I("企业类型", "company_type", length=50),
             I("法定代表人姓名", "company_rep_name", length=50, desc="依法公示的法定代表人姓名"),
             I("成立日期", "founding_date", "D"), I("企业住所", "company_address", length=200),
             I("经营范围", "company_scope", length=4000, desc="依法公示的经营范围"),
         ), share="unconditional", open="unconditional", network="internet", modes=("api", "file"),
         formats=("database", "self_describing"), related=("法人基础信息",)),
    Spec("scjgj", "105002", "营业执照电子证照", "市场主体营业执照的电子证照, 在企业开办、许可审批中免于提交纸质执照。",
         ("营业执照", "电子证照"), licence(False, I("注册资本", "licence_capital", "N", length=18, desc="万元")),
         share="unconditional", cycle="realtime", formats=("document", "service")),
    Spec("scjgj", "205001", "食品经营许可信息", "食品经营许可证的核发、变更、延续与注销信息, 依法公示。",
         ("食品经营许可", "食品安全", "许可证"), (
             USCC, I("经营者名称", "operator_name", length=200), I("许可证编号", "food_permit_no", length=20, key=True),
             I("经营场所", "premises_address", length=200), I("主体业态", "business_format", length=50),
             I("经营项目", "food_items", length=2000), I("有效期至", "permit_valid_to", "D"),
         ), share="unconditional", open="unconditional", network="internet", formats=("database", "spreadsheet")),
    Spec("scjgj", "105003", "食品经营许可证电子证照", "食品经营许可证的电子证照, 用于许可核验与免提交。",
         ("食品经营许可证", "电子证照"), licence(False, I("主体业态", "licence_business_format", length=50)),
         share="unconditional", formats=("document", "service")),
    Spec("scjgj", "104001", "市场主体行政处罚信息", "市场监管部门作出的行政处罚决定, 按规定向社会公示, 纳入信用记录。",
         ("行政处罚", "信用", "监管"), (
             USCC, I("当事人名称", "party_name", length=200), I("处罚决定书文号", "penalty_decision_no", length=64, key=True),
             I("违法行为类型", "violation_type", length=200), I("处罚内容", "penalty_content", length=2000),
             I("处罚决定日期", "penalty_date", "D"), I("处罚机关", "penalty_authority", length=200),
         ), share="unconditional", open="unconditional", network="internet", formats=("database", "self_describing")),
    Spec("scjgj", "104002", "经营异常名录信息", "被列入、移出经营异常名录的市场主体及其原因。",
         ("经营异常", "信用"), (
             USCC, I("企业名称", "abnormal_company_name", length=200), I("列入原因", "listing_reason", length=500),
             I("列入日期", "listing_date", "D"), I("移出原因", "removal_reason", length=500),
             I("移出日期", "removal_date", "D"), I("作出决定机关", "decision_authority", length=200),
         ), share="unconditional", open="unconditional", network="internet"),
    # ---- 民政局 mzj: 婚姻 (数源) -----------------------------------------------------------------------
    Spec("mzj", "101005", "婚姻登记信息", "结婚、离婚及补领婚姻登记证的登记信息, 婚姻状况的源头数据。",
         ("婚姻", "结婚", "离婚", "婚姻登记"), (
             I("男方公民身份号码", "husband_id_number", length=18, level="L3", key=True, sensitive=True, mask="keep:6:4"),
             person("男方姓名", "husband_name"),
             I("女方公民身份号码", "wife_id_number", length=18, level="L3", key=True, sensitive=True, mask="keep:6:4"),
             person("女方姓名", "wife_name"),
             I("登记类型", "registration_type", length=10, desc="结婚/离婚/补领结婚证/补领离婚证"),
             I("登记日期", "registration_date", "D"), I("婚姻登记证字号", "marriage_certificate_no", length=32),
             I("登记机关", "marriage_registry", length=200),
         ), condition=PRIVACY, basis="《婚姻登记条例》; " + PERSON_BASIS, reason="sensitive", source=True),
    Spec("mzj", "105004", "结婚证电子证照", "结婚证的电子证照, 用于落户、购房、生育登记等事项免提交。",
         ("结婚证", "电子证照"), licence(True, I("配偶姓名", "spouse_name", level="L2", sensitive=True, mask="name")),
         condition=LICENCE_COND, basis=LICENCE_BASIS, reason="sensitive", related=("婚姻登记信息",)),
    Spec("mzj", "105005", "离婚证电子证照", "离婚证的电子证照, 用于不动产登记、公证等事项免提交。",
         ("离婚证", "电子证照"), licence(True, I("原配偶姓名", "former_spouse_name", level="L2", sensitive=True, mask="name")),
         condition=LICENCE_COND, basis=LICENCE_BASIS, reason="sensitive", related=("婚姻登记信息",)),
    Spec("mzj", "209001", "最低生活保障对象信息", "城乡最低生活保障对象的家庭、保障金额与动态管理信息。",
         ("低保", "社会救助"), (
             ID, person("保障对象姓名", "recipient_name"), I("家庭人口数", "family_size", "N", length=2),
             I("月保障金额", "monthly_allowance", "N", length=10, level="L3", sensitive=True, desc="元/月"),
             I("保障起始日期", "allowance_start", "D"), I("所属社区", "community", length=100),
             I("保障状态", "allowance_status", length=10),
         ), condition=PRIVACY, basis="《社会救助暂行办法》; " + PERSON_BASIS, reason="sensitive", cycle="monthly"),
    Spec("mzj", "209002", "特困人员供养信息", "特困人员认定、供养方式与供养标准信息。",
         ("特困", "社会救助", "供养"), (
             ID, person("供养对象姓名", "supported_name"), I("供养方式", "support_mode", length=10, desc="分散供养/集中供养"),
             I("供养标准", "support_amount", "N", length=10, level="L3", sensitive=True, desc="元/月"),
             I("认定日期", "recognition_date", "D"),
         ), condition=PRIVACY, basis="《社会救助暂行办法》; " + PERSON_BASIS, reason="sensitive", cycle="monthly"),
    Spec("mzj", "209003", "社会组织登记信息", "社会团体、民办非企业单位和基金会的登记信息, 依法公示。",
         ("社会组织", "社会团体", "登记"), (
             USCC, I("社会组织名称", "social_org_name", length=200),
             I("组织类型", "social_org_type", length=20, desc="社会团体/民办非企业单位/基金会"),
             I("负责人", "social_org_rep", length=50), I("登记日期", "social_org_reg_date", "D"),
             I("业务范围", "social_org_scope", length=2000), I("业务主管单位", "supervising_unit", length=200),
         ), share="unconditional", open="unconditional", network="internet", source=True,
         formats=("database", "spreadsheet")),
    Spec("mzj", "209004", "养老机构名录", "全市养老机构的名称、地址、床位数与服务类型。",
         ("养老", "养老机构"), (
             USCC, I("机构名称", "care_home_name", length=200), I("机构地址", "care_home_address", length=200),
             I("床位数", "bed_count", "N", length=6), I("服务类型", "care_service_type", length=50),
             I("联系电话", "care_home_phone", length=20, desc="机构对外服务电话"),
         ), share="unconditional", open="unconditional", network="internet", cycle="quarterly",
         formats=("spreadsheet", "self_describing"), modes=("file", "api")),
    Spec("mzj", "209005", "火化信息", "殡仪馆火化记录, 用于死亡人员社保待遇停发与身后事联办。",
         ("殡葬", "火化"), (
             ID, person("逝者姓名", "cremated_name"), I("火化日期", "cremation_date", "D"),
             I("殡仪馆", "funeral_home", length=200),
         ), condition=PRIVACY, basis="《殡葬管理条例》; " + PERSON_BASIS, reason="sensitive",
         related=("人口死亡注销信息",)),
    # ---- 人力资源和社会保障局 rsj ---------------------------------------------------------------------------
    Spec("rsj", "201001", "社会保险参保信息", "企业职工和城乡居民养老、失业、工伤保险的参保登记与缴费信息, 社保参保的源头数据。",
         ("社保", "参保", "养老保险", "缴费"), (
             ID, person("参保人姓名", "insured_name"), I("险种", "insurance_type", length=20, desc="养老/失业/工伤"),
             I("参保状态", "participation_status", length=10), I("首次参保日期", "first_participation_date", "D"),
             I("参保单位统一社会信用代码", "insured_employer_uscc", length=18),
             I("参保单位名称", "insured_employer_name", length=200),
             I("缴费基数", "contribution_base", "N", length=10, level="L3", sensitive=True, desc="元/月"),
             I("累计缴费月数", "contribution_months", "N", length=4),
         ), condition=PRIVACY, basis="《中华人民共和国社会保险法》; " + PERSON_BASIS, reason="sensitive",
         source=True, related=("人口基础信息",)),
    Spec("rsj", "201002", "养老保险待遇发放信息", "基本养老金的核定、发放与停发信息。",
         ("养老金", "待遇"), (
             ID, person("领取人姓名", "pensioner_name"), I("待遇类型", "benefit_type", length=20),
             I("月发放金额", "monthly_pension", "N", length=10, level="L3", sensitive=True),
             I("发放状态", "payment_status", length=10), I("待遇起始年月", "benefit_start_month", length=6),
         ), condition=PRIVACY, basis="《中华人民共和国社会保险法》; " + PERSON_BASIS, reason="sensitive",
         cycle="monthly"),
    Spec("rsj", "201003", "就业失业登记信息", "劳动者就业登记、失业登记与就业困难人员认定信息。",
         ("就业", "失业登记"), (
             ID, person("劳动者姓名", "worker_name"), I("登记类型", "employment_reg_type", length=10),
             I("登记日期", "employment_reg_date", "D"), I("用工单位名称", "hiring_unit_name", length=200),
             I("就业困难人员标识", "hard_to_employ", "B"),
         ), condition=PRIVACY, basis="《就业服务与就业管理规定》; " + PERSON_BASIS, reason="sensitive"),
    Spec("rsj", "105006", "社会保障卡电子证照", "社会保障卡 (电子社保卡) 的签发与状态信息。",
         ("社保卡", "电子证照"), licence(True, I("社会保障号码", "social_security_no", length=18, level="L3",
                                                  sensitive=True, mask="keep:6:4")),
         condition=LICENCE_COND, basis=LICENCE_BASIS, reason="sensitive"),
    Spec("rsj", "201004", "人力资源服务机构名录", "经许可或备案的人力资源服务机构。",
         ("人力资源服务", "职业中介"), (
             USCC, I("机构名称", "hr_agency_name", length=200), I("许可证编号", "hr_permit_no", length=32),
             I("服务范围", "hr_service_scope", length=1000), I("机构地址", "hr_agency_address", length=200),
         ), share="unconditional", open="unconditional", network="internet", cycle="monthly",
         formats=("spreadsheet",), modes=("file",)),
    # ---- 不动产登记中心 bdcdjzx ---------------------------------------------------------------------------
    Spec("bdcdjzx", "103001", "不动产登记信息", "土地、房屋等不动产的权利人、权属、坐落与登记状态, 不动产权属的源头数据。",
         ("不动产", "房产", "产权", "登记"), (
             I("不动产单元号", "property_unit_no", length=28, key=True, desc="GB/T 37346 不动产单元编码"),
             I("不动产权证书号", "property_certificate_no", length=64, key=True),
             I("权利人", "right_holder_name", length=200, level="L2", sensitive=True, mask="name"),
             I("权利人证件号码", "right_holder_id", length=18, level="L3", key=True, sensitive=True, mask="keep:6:4"),
             I("坐落", "property_location", length=300, level="L2"),
             I("用途", "property_use", length=50), I("面积", "property_area", "N", length=12, desc="平方米"),
             I("权利类型", "right_type", length=50), I("权利性质", "right_nature", length=50),
             I("共有情况", "co_ownership", length=50, level="L2"), I("登记日期", "property_reg_date", "D"),
             I("抵押状态", "mortgage_status", "B"), I("查封状态", "seizure_status", "B"),
         ), condition="按不动产单元号或权利人查询; 查询结果仅用于本事项办理",
         basis="《不动产登记暂行条例》; 《不动产登记资料查询暂行办法》", reason="law", source=True, cycle="realtime"),
    Spec("bdcdjzx", "103002", "不动产抵押登记信息", "不动产抵押权的设立、变更与注销登记信息。",
         ("抵押", "不动产"), (
             I("不动产单元号", "property_unit_no", length=28, key=True, desc="GB/T 37346 不动产单元编码"),
             I("抵押权人", "mortgagee", length=200), I("被担保债权数额", "secured_amount", "N", length=18, level="L2"),
             I("债务履行期限起", "debt_term_from", "D"), I("债务履行期限止", "debt_term_to", "D"),
             I("不动产登记证明号", "mortgage_certificate_no", length=64),
         ), condition="仅限金融监管、司法协助与相关登记事项", basis="《不动产登记暂行条例》", reason="law",
         cycle="realtime", related=("不动产登记信息",)),
    Spec("bdcdjzx", "103003", "不动产查封登记信息", "人民法院等机关嘱托的查封、解封登记信息。",
         ("查封", "不动产"), (
             I("不动产单元号", "property_unit_no", length=28, key=True, desc="GB/T 37346 不动产单元编码"),
             I("查封机关", "seizure_authority", length=200), I("查封文号", "seizure_document_no", length=64),
             I("查封期限起", "seizure_from", "D"), I("查封期限止", "seizure_to", "D"),
         ), condition="仅限司法协助与登记事项", basis="《不动产登记暂行条例》", reason="law", cycle="realtime",
         related=("不动产登记信息",)),
    Spec("bdcdjzx", "105007", "不动产权证书电子证照", "不动产权证书与不动产登记证明的电子证照。",
         ("不动产权证书", "电子证照"), licence(True, I("不动产单元号", "licence_property_unit_no", length=28)),
         condition=LICENCE_COND, basis=LICENCE_BASIS, reason="sensitive", related=("不动产登记信息",)),
    # ---- 教育局 jyj --------------------------------------------------------------------------------------
    Spec("jyj", "203001", "中小学学籍信息", "义务教育和普通高中学生的学籍注册、转学与毕业信息, 学籍的源头数据。",
         ("学籍", "学生", "教育"), (
             ID, I("全国学籍号", "student_no", length=19, key=True, level="L2"),
             person("学生姓名", "student_name"), I("学校名称", "school_name", length=200),
             I("年级", "grade", length=10), I("班级", "class_name", length=20), I("入学日期", "enrollment_date", "D"),
             I("学籍状态", "enrollment_status", length=10), person("监护人姓名", "guardian_name"),
             I("监护人联系电话", "guardian_phone", length=11, level="L3", sensitive=True, mask="keep:3:4"),
         ), condition=PRIVACY, basis="《中小学生学籍管理办法》; " + PERSON_BASIS, reason="sensitive", source=True,
         cycle="weekly"),
    Spec("jyj", "203002", "义务教育入学报名信息", "小学、初中新生入学报名、材料核验与录取信息。",
         ("入学", "招生"), (
             ID, person("报名学生姓名", "applicant_student_name"), I("报名学校", "applied_school", length=200),
             I("报名类别", "admission_category", length=20), I("录取结果", "admission_result", length=20),
         ), condition=PRIVACY, basis="《中华人民共和国义务教育法》; " + PERSON_BASIS, reason="sensitive",
         cycle="irregular", related=("中小学学籍信息", "不动产登记信息")),
    Spec("jyj", "203003", "学校名录", "全市幼儿园、中小学、职业学校的名称、地址、办学性质与学段。",
         ("学校", "幼儿园"), (
             USCC, I("学校名称", "school_title", length=200), I("办学性质", "school_ownership", length=10),
             I("学段", "school_level", length=20), I("学校地址", "school_address", length=200),
             I("招生范围", "catchment_area", length=1000),
         ), share="unconditional", open="unconditional", network="internet", cycle="annual",
         formats=("spreadsheet", "self_describing"), modes=("file", "api")),
    # ---- 卫生健康委员会 wjw --------------------------------------------------------------------------------
    Spec("wjw", "202001", "出生医学证明信息", "出生医学证明的签发、补发信息, 新生儿出生的源头数据。",
         ("出生", "出生医学证明", "新生儿"), (
             I("出生医学证明编号", "birth_certificate_no", length=10, key=True),
             person("新生儿姓名", "newborn_name"), I("新生儿性别", "newborn_gender", length=1),
             I("出生时间", "birth_time", "DT", level="L2"), I("出生地点", "birth_institution", length=200),
             I("出生体重", "birth_weight", "N", length=5, level="L2", desc="克"),
             person("母亲姓名", "mother_name"),
             I("母亲公民身份号码", "mother_id_number", length=18, level="L3", key=True, sensitive=True, mask="keep:6:4"),
             person("父亲姓名", "father_name"),
             I("父亲公民身份号码", "father_id_number", length=18, level="L3", key=True, sensitive=True, mask="keep:6:4"),
             I("签发日期", "birth_cert_issue_date", "D"),
         ), condition=PRIVACY, basis="《中华人民共和国母婴保健法》; " + PERSON_BASIS, reason="sensitive", source=True,
         cycle="realtime"),
    Spec("wjw", "105008", "出生医学证明电子证照", "出生医学证明的电子证照, 用于出生登记、入户、医保参保等出生一件事。",
         ("出生医学证明", "电子证照", "出生一件事"), licence(True, I("新生儿姓名", "licence_newborn_name", level="L2",
                                                                    sensitive=True, mask="name")),
         condition=LICENCE_COND, basis=LICENCE_BASIS, reason="sensitive", related=("出生医学证明信息",)),
    Spec("wjw", "202002", "医疗机构执业登记信息", "医疗机构的名称、类别、诊疗科目与执业许可信息, 依法公示。",
         ("医疗机构", "医院", "诊所"), (
             USCC, I("机构名称", "clinic_name", length=200), I("机构类别", "clinic_category", length=50),
             I("诊疗科目", "clinical_departments", length=2000), I("执业地址", "clinic_address", length=200),
             I("执业许可证登记号", "clinic_licence_no", length=32),
         ), share="unconditional", open="unconditional", network="internet", cycle="monthly",
         formats=("database", "self_describing")),
    Spec("wjw", "105009", "医疗机构执业许可证电子证照", "医疗机构执业许可证的电子证照。",
         ("医疗机构执业许可证", "电子证照"), licence(False, I("诊疗科目", "licence_clinical_departments", length=2000)),
         share="unconditional", formats=("document", "service")),
    Spec("wjw", "202003", "预防接种信息", "儿童预防接种记录, 用于入托入学查验接种证。",
         ("疫苗", "接种"), (
             ID, person("受种者姓名", "vaccinee_name"), I("疫苗名称", "vaccine_name", length=100),
             I("接种剂次", "dose_no", "N", length=2), I("接种日期", "vaccination_date", "D"),
             I("接种单位", "vaccination_site", length=200),
         ), condition=PRIVACY, basis="《中华人民共和国疫苗管理法》; " + PERSON_BASIS, reason="sensitive"),
    # ---- 司法局 sfj ---------------------------------------------------------------------------------------
    Spec("sfj", "211001", "公证书信息", "公证机构出具的公证书登记信息, 用于公证书真伪核验。",
         ("公证", "公证书"), (
             I("公证书编号", "notarial_certificate_no", length=64, key=True), I("公证事项", "notarial_matter", length=200),
             person("当事人姓名", "notary_party_name"), I("公证机构", "notary_office", length=200),
             I("出具日期", "notarial_date", "D"),
         ), condition="用于公证书真伪核验与相关事项办理", basis="《中华人民共和国公证法》", reason="law",
         cycle="daily"),
    Spec("sfj", "211002", "法律援助案件信息", "法律援助申请、经济困难审查与指派信息。",
         ("法律援助",), (
             ID, person("受援人姓名", "aid_recipient_name"), I("案件类型", "aid_case_type", length=50),
             I("指派日期", "aid_assign_date", "D"), I("承办机构", "aid_agency", length=200),
         ), condition=PRIVACY, basis="《中华人民共和国法律援助法》; " + PERSON_BASIS, reason="sensitive"),
    Spec("sfj", "211003", "律师事务所及律师执业信息", "律师事务所执业许可与律师执业证信息, 依法公示。",
         ("律师", "律师事务所"), (
             USCC, I("律师事务所名称", "law_firm_name", length=200), I("执业许可证号", "law_firm_licence_no", length=32),
             I("律师姓名", "lawyer_name", length=50, desc="依法公示的律师姓名"),
             I("律师执业证号", "lawyer_licence_no", length=32), I("执业状态", "practice_status", length=10),
         ), share="unconditional", open="unconditional", network="internet", cycle="monthly"),
    # ---- 住房公积金管理中心 gjjzx ------------------------------------------------------------------------
    Spec("gjjzx", "204001", "住房公积金缴存信息", "职工住房公积金个人账户的开户、缴存与余额信息, 公积金缴存的源头数据。",
         ("公积金", "缴存"), (
             ID, person("缴存人姓名", "depositor_name"), I("个人账号", "fund_account_no", length=20, level="L2"),
             I("缴存单位名称", "deposit_unit_name", length=200), I("账户状态", "fund_account_status", length=10),
             I("缴存基数", "deposit_base", "N", length=10, level="L3", sensitive=True),
             I("月缴存额", "monthly_deposit", "N", length=10, level="L3", sensitive=True),
             I("账户余额", "fund_balance", "N", length=12, level="L3", sensitive=True),
             I("缴至年月", "paid_up_to", length=6),
         ), condition=PRIVACY, basis="《住房公积金管理条例》; " + PERSON_BASIS, reason="sensitive", source=True,
         cycle="monthly"),
    Spec("gjjzx", "204002", "住房公积金贷款信息", "住房公积金个人住房贷款的发放、还款与结清信息。",
         ("公积金贷款", "房贷"), (
             ID, person("借款人姓名", "borrower_name"), I("贷款金额", "loan_amount", "N", length=12, level="L3",
                                                            sensitive=True),
             I("贷款期限", "loan_term_months", "N", length=3), I("贷款状态", "loan_status", length=10),
             I("抵押房屋不动产单元号", "loan_property_unit_no", length=28),
         ), condition=PRIVACY, basis="《住房公积金管理条例》; " + PERSON_BASIS, reason="sensitive", cycle="monthly",
         related=("住房公积金缴存信息", "不动产登记信息")),
    Spec("gjjzx", "204003", "住房公积金提取信息", "住房公积金提取申请与审核结果。",
         ("公积金提取",), (
             ID, person("提取人姓名", "withdrawer_name"), I("提取原因", "withdrawal_reason", length=50),
             I("提取金额", "withdrawal_amount", "N", length=12, level="L3", sensitive=True),
             I("提取日期", "withdrawal_date", "D"),
         ), condition=PRIVACY, basis="《住房公积金管理条例》; " + PERSON_BASIS, reason="sensitive", cycle="daily"),
    # ---- 税务局 swj --------------------------------------------------------------------------------------
    Spec("swj", "210001", "纳税人登记信息", "纳税人税务登记、纳税人类型与主管税务机关信息。",
         ("纳税人", "税务登记"), (
             USCC, I("纳税人名称", "taxpayer_name", length=200), I("纳税人状态", "taxpayer_status", length=10),
             I("纳税人类型", "taxpayer_type", length=20, desc="一般纳税人/小规模纳税人"),
             I("主管税务机关", "tax_authority", length=200),
         ), condition="依法履职查询, 不得用于与办理事项无关的用途", basis="《中华人民共和国税收征收管理法》",
         reason="law", source=True, related=("法人基础信息",)),
    Spec("swj", "210002", "纳税信用A级纳税人名单", "年度纳税信用评价为 A 级的纳税人名单, 依法向社会公布。",
         ("纳税信用", "A级纳税人", "信用"), (
             USCC, I("纳税人名称", "a_taxpayer_name", length=200), I("评价年度", "rating_year", length=4),
         ), share="unconditional", open="unconditional", network="internet", cycle="annual",
         formats=("spreadsheet",), modes=("file",)),
    Spec("swj", "210003", "个人所得税纳税记录", "个人所得税的申报与缴纳记录。涉及纳税人隐私, 依法保密, 不予共享。",
         ("个人所得税", "纳税记录"), (
             ID, person("纳税人姓名", "iit_taxpayer_name"), I("所得项目", "income_item", length=50, level="L3"),
             I("应纳税所得额", "taxable_income", "N", length=14, level="L4", sensitive=True),
             I("已缴税额", "tax_paid", "N", length=14, level="L4", sensitive=True), I("所属期", "tax_period", length=7),
         ), share="none", condition="涉及纳税人个人隐私, 依法保密, 不通过平台共享; 本人可通过个人所得税 App 开具纳税记录",
         basis="《中华人民共和国税收征收管理法》第八条", reason="law", modes=(), cycle="monthly"),
    # ---- 医疗保障局 ybj ---------------------------------------------------------------------------------
    Spec("ybj", "201006", "基本医疗保险参保信息", "职工和城乡居民基本医疗保险的参保登记与缴费状态, 医保参保的源头数据。",
         ("医保", "参保", "医疗保险"), (
             ID, person("医保参保人姓名", "medical_insured_name"), I("险种类型", "medical_insurance_type", length=20),
             I("参保状态", "medical_participation_status", length=10), I("参保日期", "medical_participation_date", "D"),
             I("医保参保单位名称", "medical_employer_name", length=200),
         ), condition=PRIVACY, basis="《医疗保障基金使用监督管理条例》; " + PERSON_BASIS, reason="sensitive",
         source=True),
    Spec("ybj", "201007", "医保定点医药机构名录", "医保定点医疗机构与零售药店名录。",
         ("定点医院", "定点药店", "医保"), (
             USCC, I("机构名称", "designated_name", length=200), I("机构类型", "designated_type", length=20),
             I("机构地址", "designated_address", length=200), I("定点编码", "designated_code", length=20),
         ), share="unconditional", open="unconditional", network="internet", cycle="monthly",
         formats=("spreadsheet", "self_describing"), modes=("file", "api")),
    # ---- 财政局 czj --------------------------------------------------------------------------------------
    Spec("czj", "210004", "部门预算执行信息", "市级部门一般公共预算的年度预算与执行数, 按预算公开要求公布。",
         ("预算", "财政", "预算公开"), (
             I("预算年度", "budget_year", length=4, key=True), I("部门名称", "budget_department", length=200),
             I("科目编码", "budget_subject_code", length=20), I("科目名称", "budget_subject_name", length=200),
             I("年初预算数", "budget_amount", "N", length=16, desc="万元"),
             I("执行数", "executed_amount", "N", length=16, desc="万元"),
         ), share="unconditional", open="unconditional", network="internet", cycle="monthly",
         formats=("spreadsheet",), modes=("file",)),
    Spec("czj", "210005", "非税收入缴款信息", "行政事业性收费、罚没收入等非税收入的缴款记录。",
         ("非税收入", "缴款"), (
             I("缴款码", "payment_code", length=20, key=True), I("缴款人", "payer_name", length=200, level="L2"),
             I("执收单位", "collecting_unit", length=200), I("项目名称", "charge_item", length=200),
             I("缴款金额", "payment_amount", "N", length=14, level="L2"), I("缴款日期", "payment_date", "D"),
         ), condition="仅限执收单位与监督部门查询本单位相关缴款", basis="《政府非税收入管理办法》", reason="policy"),
    # ---- 交通运输局 jtysj --------------------------------------------------------------------------------
    Spec("jtysj", "208001", "道路运输经营许可信息", "道路客运、货运及站场经营许可信息, 依法公示。",
         ("道路运输", "经营许可", "许可证"), (
             USCC, I("业户名称", "transport_operator", length=200), I("许可证号", "transport_permit_no", length=20),
             I("经营范围", "transport_scope", length=500), I("有效期至", "transport_valid_to", "D"),
         ), share="unconditional", open="unconditional", network="internet"),
    Spec("jtysj", "105010", "道路运输经营许可证电子证照", "道路运输经营许可证的电子证照。",
         ("道路运输经营许可证", "电子证照"), licence(False), share="unconditional", formats=("document", "service")),
    Spec("jtysj", "208002", "公交线路与站点信息", "城市公交线路、站点位置与首末班时间。",
         ("公交", "线路", "站点", "出行"), (
             I("线路编号", "bus_line_no", length=10, key=True), I("线路名称", "bus_line_name", length=50),
             I("站点名称", "bus_stop_name", length=50), I("站点经度", "stop_longitude", "N", length=12),
             I("站点纬度", "stop_latitude", "N", length=12), I("首班时间", "first_bus", length=5),
             I("末班时间", "last_bus", length=5),
         ), share="unconditional", open="unconditional", network="internet", cycle="monthly",
         formats=("self_describing", "service"), modes=("api",)),
    # ---- 生态环境局 sthjj ---------------------------------------------------------------------------------
    Spec("sthjj", "206001", "排污许可信息", "排污单位的排污许可证核发与执行报告信息, 依法公开。",
         ("排污许可", "环境"), (
             USCC, I("排污单位名称", "emitter_name", length=200), I("许可证编号", "emission_permit_no", length=32),
             I("行业类别", "industry_category", length=100), I("主要污染物", "main_pollutants", length=500),
             I("有效期至", "emission_valid_to", "D"),
         ), share="unconditional", open="unconditional", network="internet"),
    Spec("sthjj", "206002", "空气质量自动监测数据", "国控、省控空气自动监测站的小时浓度与空气质量指数。",
         ("空气质量", "AQI", "环境监测"), (
             I("监测站点", "station_name", length=50, key=True), I("监测时间", "observed_at", "DT", key=True),
             I("PM2.5浓度", "pm25", "N", length=6, desc="微克/立方米"), I("PM10浓度", "pm10", "N", length=6,
                                                                      desc="微克/立方米"),
             I("臭氧浓度", "o3", "N", length=6, desc="微克/立方米"), I("空气质量指数", "aqi", "N", length=4),
         ), share="unconditional", open="unconditional", network="internet", cycle="realtime",
         formats=("self_describing", "service"), modes=("api",)),
    Spec("sthjj", "105011", "排污许可证电子证照", "排污许可证的电子证照。",
         ("排污许可证", "电子证照"), licence(False), share="unconditional", formats=("document", "service")),
    # ---- 住房和城乡建设局 zjj ------------------------------------------------------------------------------
    Spec("zjj", "204004", "商品房网签备案信息", "商品房买卖合同网签与备案信息。",
         ("网签", "商品房", "备案"), (
             I("合同备案号", "contract_filing_no", length=32, key=True), I("买受人", "buyer_name", length=200, level="L2",
                                                                          sensitive=True, mask="name"),
             I("买受人证件号码", "buyer_id_number", length=18, level="L3", key=True, sensitive=True, mask="keep:6:4"),
             I("房屋坐落", "house_location", length=300, level="L2"), I("合同金额", "contract_amount", "N", length=14,
                                                                         level="L3", sensitive=True),
             I("备案日期", "filing_date", "D"),
         ), condition=PRIVACY, basis="《城市商品房预售管理办法》; " + PERSON_BASIS, reason="sensitive",
         related=("不动产登记信息",)),
    Spec("zjj", "204005", "建筑工程施工许可信息", "房屋建筑和市政基础设施工程施工许可信息, 依法公开。",
         ("施工许可", "建筑"), (
             I("施工许可证编号", "construction_permit_no", length=32, key=True), I("项目名称", "project_name", length=200),
             I("建设单位", "developer_name", length=200), I("建设地址", "project_address", length=200),
             I("合同价格", "contract_price", "N", length=14, desc="万元"), I("发证日期", "construction_permit_date", "D"),
         ), share="unconditional", open="unconditional", network="internet"),
    Spec("zjj", "105012", "建筑工程施工许可证电子证照", "建筑工程施工许可证的电子证照。",
         ("施工许可证", "电子证照"), licence(False), share="unconditional", formats=("document", "service")),
    # ---- 其他部门 ---------------------------------------------------------------------------------------
    Spec("zrzyj", "103004", "国土空间规划信息", "国土空间总体规划与详细规划的用地分区与管控要求。",
         ("国土空间规划", "用地", "规划"), (
             I("地块编号", "parcel_no", length=32, key=True), I("规划用途", "planned_use", length=50),
             I("容积率", "plot_ratio", "N", length=6), I("规划许可证号", "planning_permit_no", length=32),
         ), share="unconditional", open="conditional", open_condition="经实名申请并签署使用协议后开放矢量数据",
         network="egov_extranet", cycle="irregular", formats=("database", "image")),
    Spec("nyncj", "212001", "农村土地承包经营权信息", "农村土地承包经营权确权登记与流转信息。",
         ("土地承包", "确权", "农村"), (
             I("承包合同编号", "contract_no", length=32, key=True), person("承包方代表", "contractor_name"),
             I("承包方代表证件号码", "contractor_id_number", length=18, level="L3", key=True, sensitive=True,
               mask="keep:6:4"),
             I("承包地块面积", "contracted_area", "N", length=10, desc="亩"), I("流转状态", "transfer_status", length=10),
         ), condition=PRIVACY, basis="《中华人民共和国农村土地承包法》; " + PERSON_BASIS, reason="sensitive",
         cycle="monthly"),
    Spec("wglj", "203004", "文化市场经营许可信息", "娱乐场所、演出经纪、互联网上网服务营业场所的经营许可信息。",
         ("文化市场", "网吧", "娱乐场所", "许可证"), (
             USCC, I("经营单位名称", "venue_operator", length=200), I("许可证号", "culture_permit_no", length=32),
             I("经营范围", "culture_scope", length=200), I("经营地址", "venue_address", length=200),
         ), share="unconditional", open="unconditional", network="internet", cycle="monthly"),
    Spec("tyjrj", "209006", "退役军人信息", "退役军人的退役安置、优抚待遇信息。",
         ("退役军人", "优抚"), (
             ID, person("退役军人姓名", "veteran_name"), I("入伍日期", "enlistment_date", "D"),
             I("退役日期", "discharge_date", "D"), I("安置方式", "placement_mode", length=20),
             I("服役部队番号", "unit_designation", length=50, level="L4", secret=True, share="none",
               desc="涉密, 不予共享"),
         ), condition=PRIVACY + "; 服役部队番号涉密, 不予共享", basis="《退役军人保障法》; 《中华人民共和国保守国家秘密法》",
         reason="sensitive"),
    Spec("yjglj", "207001", "危险化学品经营许可信息", "危险化学品经营许可证的核发与变更信息, 依法公开。",
         ("危险化学品", "经营许可", "安全生产"), (
             USCC, I("企业名称", "hazchem_company", length=200), I("许可证编号", "hazchem_permit_no", length=32),
             I("许可范围", "hazchem_scope", length=1000), I("有效期至", "hazchem_valid_to", "D"),
         ), share="unconditional", open="unconditional", network="internet"),
    Spec("yjglj", "105013", "危险化学品经营许可证电子证照", "危险化学品经营许可证的电子证照。",
         ("危险化学品经营许可证", "电子证照"), licence(False), share="unconditional", formats=("document", "service")),
    Spec("tjj", "210006", "国民经济主要指标", "地区生产总值、规模以上工业增加值、社会消费品零售总额等月度与年度指标。",
         ("统计", "GDP", "经济指标"), (
             I("指标名称", "indicator_name", length=100, key=True), I("统计期", "stat_period", length=7, key=True),
             I("指标值", "indicator_value", "N", length=18), I("计量单位", "indicator_unit", length=20),
             I("同比增长", "yoy_growth", "N", length=8, desc="同比增长率, 百分比"),
         ), share="unconditional", open="unconditional", network="internet", cycle="monthly",
         formats=("spreadsheet", "self_describing"), modes=("file", "api")),
    Spec("cgj", "323001", "数字城管案件信息", "城市部件、事件问题的上报、派遣、处置与结案信息。",
         ("城管", "市容", "案件"), (
             I("案件编号", "case_no", length=20, key=True), I("问题类别", "problem_category", length=50),
             I("发生地点", "case_location", length=200), I("上报时间", "reported_at", "DT"),
             I("处置状态", "case_status", length=10),
         ), share="unconditional", open="conditional", open_condition="按月汇总开放, 不含上报人信息",
         network="egov_extranet", cycle="daily"),
    Spec("zwfwzx", "324001", "政务服务办件信息", "综合窗口受理的政务服务事项办件过程与结果信息。",
         ("办件", "政务服务", "一窗受理"), (
             I("办件编号", "service_case_no", length=32, key=True), I("事项名称", "service_item_name", length=200),
             I("申请人", "service_applicant", length=200, level="L2", sensitive=True, mask="name"),
             I("受理时间", "accepted_at", "DT"), I("办结时间", "completed_at", "DT"), I("办理结果", "case_result", length=20),
         ), condition="仅限事项相关部门查询本部门参与办理的办件", basis="《国务院关于在线政务服务的若干规定》",
         reason="policy", cycle="realtime"),
)
# fmt: on


def spec_content(spec: Spec, related_codes: list[str]) -> dict[str, Any]:
    conditional = spec.share in ("conditional", "none")
    return {
        "classification_kind": spec.kind,
        "classification_code": spec.code,
        "name": spec.name,
        "summary": spec.summary,
        "keywords": list(spec.keywords),
        "formats": list(spec.formats),
        "share_type": spec.share,
        "share_condition": spec.condition if conditional else "",
        "share_basis": spec.basis if conditional else "",
        "share_reason": spec.reason if conditional else None,
        "share_modes": list(spec.modes),
        "open_type": spec.open,
        "open_condition": spec.open_condition,
        "update_cycle": spec.cycle,
        "network": spec.network,
        "related_codes": related_codes,
        "is_data_source": spec.source,
        "items": [i.as_dict() for i in spec.items],
    }


def load_demo_catalog(session: Session, *, orgs_by_short_code: dict[str, str]) -> int:
    """Draft, submit and approve every demo entry whose department exists; returns how many were published.

    Runs as the platform (``PLATFORM``) in the caller's transaction. Entries of departments missing from
    ``orgs_by_short_code`` are skipped, so a smaller test city loads what applies to it.
    """
    from govshare.catalog import service
    from govshare.catalog.schemas import ResourceCreate
    from govshare.identity.principal import PLATFORM

    codes: dict[str, str] = {}
    count = 0
    for spec in SPECS:
        org_id = orgs_by_short_code.get(spec.org)
        if org_id is None:
            continue
        related = [codes[name] for name in spec.related if name in codes]
        data = ResourceCreate(**spec_content(spec, related), provider_org_id=org_id)
        r = service.create_resource(session, actor=PLATFORM, data=data)
        service.submit(session, actor=PLATFORM, resource_id=r.id, note="示范市目录初始化")
        report = service.run_checks(session, actor=PLATFORM, resource_id=r.id)
        reason = "" if report.ok else "示范市目录初始化, 已人工核对 (demo catalog load)"
        service.approve(session, actor=PLATFORM, resource_id=r.id, reason=reason)
        codes[spec.name] = r.code
        count += 1
    return count
