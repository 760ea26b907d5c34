"""The demo city 示范市: its departments (部门), their business systems (应用系统) and staff. Pure data, no DB.

示范市 is fictional: prefecture code 331900 inside 浙江省, unused by GB/T 2260 and listed in
``standards/data/demo_regions.csv``. The department list, systems and usernames are fixed so that docs and
demos can name them (``gaj_admin``, ``zwfwzx_clerk1`` …); what the seed changes is the people's names
and the organization codes inside the USCCs, so two seeds give two different but equally valid cities.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from govshare.identity.principal import OrgKind, OrgLevel, Role
from govshare.seed.names import random_name
from govshare.standards.identifiers import USCC_ALPHABET, make_uscc

#: The one password of every demo staff account. Demo only: change it before anything real.
DEMO_PASSWORD = "Demo@2026"

CITY_NAME = "示范市"
CITY_CODE = "331900"
PROVINCE_CODE = "330000"
PROVINCE_NAME = "浙江省"


@dataclass(frozen=True, slots=True)
class District:
    """A county-level division (区/县/县级市) of the city, with its relative population weight."""

    code: str
    name: str
    weight: float
    urban: bool  # 市辖区 with 街道/社区, else 县/县级市 with 镇/村


#: Codes must match standards/data/demo_regions.csv.
DISTRICTS: tuple[District, ...] = (
    District("331902", "明湖区", 0.30, True),
    District("331903", "云溪区", 0.22, True),
    District("331904", "新港区", 0.20, True),
    District("331921", "青山县", 0.12, False),
    District("331981", "清源市", 0.16, False),
)


@dataclass(frozen=True, slots=True)
class SystemSpec:
    """A business system (应用系统) that will call the platform with its own API credential."""

    name: str
    code: str  # ASCII slug, unique in the city: "{department short code}-{system}"
    description: str


@dataclass(frozen=True, slots=True)
class StaffSpec:
    username: str  # ASCII login name
    display_name: str  # 姓名
    roles: tuple[Role, ...]
    password: str = DEMO_PASSWORD


@dataclass(frozen=True, slots=True)
class Department:
    name: str
    name_en: str
    short_code: str  # ASCII slug (pinyin initials), prefix of usernames and system codes
    uscc: str
    kind: OrgKind
    level: OrgLevel
    region_code: str
    service_window: bool  # 有办事窗口: gets clerks (受理员)
    systems: tuple[SystemSpec, ...]
    staff: tuple[StaffSpec, ...]


@dataclass(frozen=True, slots=True)
class City:
    name: str
    region_code: str
    province_code: str
    seed: int
    districts: tuple[District, ...]
    departments: tuple[Department, ...]

    def department(self, short_code: str) -> Department:
        for dept in self.departments:
            if dept.short_code == short_code:
                return dept
        raise KeyError(short_code)

    @property
    def platform_operator(self) -> Department:
        (operator,) = (d for d in self.departments if d.kind == OrgKind.platform_operator)
        return operator


@dataclass(frozen=True, slots=True)
class _Template:
    name: str  # without the city prefix
    name_en: str
    short_code: str
    kind: OrgKind
    org_type: str  # USCC 机构类别: 1 机关, 2 事业单位
    window: bool
    new_code: bool  # set up after 2015: its organization code is a new "MB…" one
    systems: tuple[tuple[str, str, str], ...]  # (name, slug, description)


_O, _V, _P = OrgKind.ordinary, OrgKind.vertical, OrgKind.platform_operator

# fmt: off
_TEMPLATES: tuple[_Template, ...] = (
    _Template("公安局", "Public Security Bureau", "gaj", _O, "1", True, False, (
        ("人口管理信息系统", "rkgl", "户籍人口、流动人口登记与变更, 人口基础库的数源系统"),
        ("出入境管理系统", "crj", "出入境证件受理、审批与制证"),
    )),
    _Template("民政局", "Civil Affairs Bureau", "mzj", _O, "1", True, False, (
        ("婚姻登记管理系统", "hydj", "结婚、离婚登记与补领婚姻登记证"),
        ("社会救助信息系统", "shjz", "最低生活保障、特困供养、临时救助的申请与核对"),
    )),
    _Template("人力资源和社会保障局", "Human Resources and Social Security Bureau", "rsj", _O, "1", True, False, (
        ("社会保险信息系统", "shbx", "养老、失业、工伤保险参保登记与待遇发放"),
        ("就业服务系统", "jyfw", "就业失业登记、职业培训补贴"),
    )),
    _Template("市场监督管理局", "Market Regulation Bureau", "scjgj", _O, "1", True, False, (
        ("企业登记系统", "qydj", "市场主体设立、变更、注销登记, 法人基础库的数源系统"),
        ("食品安全监管系统", "spaq", "食品经营许可与监督抽检"),
    )),
    _Template("自然资源和规划局", "Natural Resources and Planning Bureau", "zrzyj", _O, "1", False, False, (
        ("国土空间规划信息系统", "gtkj", "国土空间规划“一张图”与规划许可"),
        ("建设用地审批系统", "ydsp", "建设用地预审、农转用与征收审批"),
    )),
    _Template("不动产登记中心", "Real Estate Registration Centre", "bdcdjzx", _O, "2", True, False, (
        ("不动产登记系统", "bdcdj", "房屋、土地等不动产首次、转移、抵押登记与查询"),
    )),
    _Template("教育局", "Education Bureau", "jyj", _O, "1", False, False, (
        ("学籍管理系统", "xjgl", "中小学学生学籍注册与转学"),
        ("招生入学服务系统", "zsrx", "义务教育入学报名与材料核验"),
    )),
    _Template("卫生健康委员会", "Health Commission", "wjw", _O, "1", False, False, (
        ("出生医学证明管理系统", "csyxzm", "出生医学证明签发与补发"),
        ("全民健康信息平台", "qmjk", "电子健康档案与医疗机构执业登记"),
    )),
    _Template("司法局", "Justice Bureau", "sfj", _O, "1", True, False, (
        ("公证管理系统", "gzgl", "公证事项受理与办证"),
        ("法律援助管理系统", "flyz", "法律援助申请、经济困难核查与指派"),
    )),
    _Template("住房公积金管理中心", "Housing Provident Fund Centre", "gjjzx", _O, "2", True, False, (
        ("住房公积金业务系统", "gjjyw", "缴存、提取与贷款业务"),
    )),
    _Template("税务局", "Taxation Bureau (State Taxation Administration)", "swj", _V, "1", True, True, (
        ("税收征管系统", "zsgl", "金税系统的市级征管: 登记、申报、征收"),
        ("电子税务局", "dzswj", "纳税人网上办税"),
    )),
    _Template("医疗保障局", "Healthcare Security Bureau", "ybj", _O, "1", True, True, (
        ("医疗保障信息平台", "ybxx", "参保登记、医保结算与异地就医备案"),
    )),
    _Template("数据局", "Data Bureau (platform operator)", "sjj", _P, "1", False, True, (
        ("政务数据共享交换平台", "gxjh", "本平台: 目录、申请、接口与交换"),
        ("公共数据开放平台", "sjkf", "面向社会的公共数据开放门户"),
    )),
    _Template("财政局", "Finance Bureau", "czj", _O, "1", False, False, (
        ("预算管理一体化系统", "ysgl", "预算编制、指标与支付"),
        ("非税收入收缴系统", "fssr", "非税收入与财政票据"),
    )),
    _Template("交通运输局", "Transport Bureau", "jtysj", _O, "1", True, False, (
        ("道路运输管理系统", "dlys", "道路运输经营许可与从业资格"),
    )),
    _Template("生态环境局", "Ecology and Environment Bureau", "sthjj", _O, "1", False, False, (
        ("排污许可管理系统", "pwxk", "排污许可申领与执行报告"),
        ("环境监测数据系统", "hjjc", "空气、水质自动监测数据"),
    )),
    _Template("住房和城乡建设局", "Housing and Urban-Rural Development Bureau", "zjj", _O, "1", True, False, (
        ("商品房网签备案系统", "wqba", "商品房买卖合同网签与备案"),
        ("建筑市场监管系统", "jzsc", "施工许可与建筑企业资质"),
    )),
    _Template("农业农村局", "Agriculture and Rural Affairs Bureau", "nyncj", _O, "1", False, False, (
        ("农村土地承包管理系统", "tdcb", "农村土地承包经营权确权与流转"),
    )),
    _Template("文化广电旅游局", "Culture, Radio, TV and Tourism Bureau", "wglj", _O, "1", False, False, (
        ("文化市场综合管理系统", "whsc", "娱乐、演出、网吧等经营许可"),
    )),
    _Template("退役军人事务局", "Veterans Affairs Bureau", "tyjrj", _O, "1", True, True, (
        ("退役军人信息管理系统", "tyjr", "退役军人信息采集与优抚待遇"),
    )),
    _Template("应急管理局", "Emergency Management Bureau", "yjglj", _O, "1", False, True, (
        ("安全生产监管系统", "aqsc", "危险化学品经营许可与执法检查"),
    )),
    _Template("统计局", "Statistics Bureau", "tjj", _O, "1", False, False, (
        ("统计联网直报系统", "lwzb", "企业统计报表联网直报"),
    )),
    _Template("城市管理局", "Urban Management Bureau", "cgj", _O, "1", False, False, (
        ("数字城管系统", "szcg", "城市部件事件巡查、派遣与结案"),
    )),
    _Template("政务服务中心", "Government Service Centre (one-window)", "zwfwzx", _O, "2", True, False, (
        ("一窗受理系统", "ycsl", "综合窗口统一收件、分办与出件, 受理时调用共享数据与电子证照"),
        ("政务服务好差评系统", "hcp", "办事评价与整改"),
    )),
)
# fmt: on

#: Clerks per service-window department (受理员: ``{code}_clerk1``, ``{code}_clerk2`` …).
CLERKS_PER_WINDOW = 2


def _org_code(rng: random.Random, new_code: bool) -> str:
    """The 8-character body of a GB 11714 organization code.

    Pre-2015 government codes are digits (often 00…); codes issued by 机构编制 after the reform start MB.
    """
    if new_code:
        return "MB" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
    return "00" + f"{rng.randrange(10**6):06d}"


def _display_name(rng: random.Random) -> str:
    gender = rng.randrange(2)
    return random_name(rng, gender, rng.randint(1968, 2000))  # working age


def _staff(rng: random.Random, tpl: _Template) -> tuple[StaffSpec, ...]:
    code = tpl.short_code
    staff = [
        StaffSpec(f"{code}_admin", _display_name(rng), (Role.org_admin,)),
        StaffSpec(f"{code}_catalog", _display_name(rng), (Role.catalog_manager,)),
        StaffSpec(f"{code}_approver", _display_name(rng), (Role.approver,)),
    ]
    if tpl.window:
        staff += [
            StaffSpec(f"{code}_clerk{i}", _display_name(rng), (Role.clerk,)) for i in range(1, CLERKS_PER_WINDOW + 1)
        ]
    if tpl.kind == OrgKind.platform_operator:
        staff += [
            StaffSpec(f"{code}_platform", _display_name(rng), (Role.platform_admin,)),
            StaffSpec(f"{code}_auditor", _display_name(rng), (Role.auditor,)),
        ]
    return tuple(staff)


def build_city(seed: int = 2026) -> City:
    """The demo city for ``seed``: same seed, same city, down to every name and code."""
    rng = random.Random(seed)
    used_codes: set[str] = set()
    departments = []
    for tpl in _TEMPLATES:
        org_code = _org_code(rng, tpl.new_code)
        while org_code in used_codes:
            org_code = _org_code(rng, tpl.new_code)
        used_codes.add(org_code)
        # Every department is registered by 机构编制 (authority 1). The 税务局 is vertical (垂管, named
        # "国家税务总局XX市税务局" since 2018) but is still a 机关 with a code of the city it sits in.
        uscc = make_uscc("1", tpl.org_type, CITY_CODE, org_code)
        name = f"国家税务总局{CITY_NAME}{tpl.name}" if tpl.kind == OrgKind.vertical else f"{CITY_NAME}{tpl.name}"
        departments.append(
            Department(
                name=name,
                name_en=tpl.name_en,
                short_code=tpl.short_code,
                uscc=uscc,
                kind=tpl.kind,
                level=OrgLevel.city,
                region_code=CITY_CODE,
                service_window=tpl.window,
                systems=tuple(
                    SystemSpec(name=sname, code=f"{tpl.short_code}-{slug}", description=desc)
                    for sname, slug, desc in tpl.systems
                ),
                staff=_staff(rng, tpl),
            )
        )
    return City(
        name=CITY_NAME,
        region_code=CITY_CODE,
        province_code=PROVINCE_CODE,
        seed=seed,
        districts=DISTRICTS,
        departments=tuple(departments),
    )
