"""Demo data of the unified resource library (统一资源库) of 示范市: the five base libraries, loaded through the
real ingest pipeline (files → cleaning → validation → quarantine → versions), with a few deliberate quality
problems so that ingest reports and quality reports have something to show:

- 人口 (persons): the seeder's CSV, then a corrections file with status changes (new versions), old forms that
  cleaning repairs (15-digit ID numbers, Chinese dates, full-width digits) and broken rows (quarantined);
- 法人 (legal entities) with valid USCCs, two early pilot codes (accepted with a warning), legal representatives
  from the population and three who are not in it;
- 电子证照 (e-licences) with valid GB/T 36903 identifiers: 居民身份证, 结婚证, 出生医学证明, 不动产权证书,
  营业执照; five holder names that disagree with the population, five valid licences of deceased persons;
- 空间地理 (standard addresses) with coordinates, some missing, two outside China (quarantined);
- 社会信用 (credit records): 红名单, 黑名单, 行政许可, 行政处罚, three about entities the register lacks.

Everything is deterministic for a given seed. The resource codes mimic catalog codes (classification/sequence);
they are meant to be the codes of the matching catalog resources once the two domains are wired together.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govshare.identity.principal import PLATFORM
from govshare.seed.city import DISTRICTS
from govshare.seed.persons import AS_OF
from govshare.standards.identifiers import USCC_ALPHABET, make_id_number, make_licence_id, make_uscc

if TYPE_CHECKING:
    from govshare.runtime import Runtime

#: base → (resource code, name, provider department short code, update cycle)
DEMO_TABLES: dict[str, tuple[str, str, str, str]] = {
    "person": ("101001/000001", "示范市人口基础库", "gaj", "daily"),
    "legal_entity": ("102001/000001", "示范市法人基础库", "scjgj", "daily"),
    "licence": ("105000/000001", "示范市电子证照库", "sjj", "realtime"),
    "place": ("106001/000001", "示范市标准地址库", "zrzyj", "monthly"),
    "credit": ("104000/000001", "示范市公共信用信息库", "sjj", "daily"),
}

#: An open thematic table (专题库) for the open-data portal's downloads: 养老机构名录 of 民政局, 无条件开放 in the
#: catalog (catalog_data.py, 209004). key → (resource code, name, provider short code, update cycle)
OPEN_TABLES: dict[str, tuple[str, str, str, str]] = {
    "care_homes": ("209004/000001", "示范市养老机构名录", "mzj", "quarterly"),
}
CARE_HOME_SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "uscc", "title": "统一社会信用代码", "format": "uscc", "required": True},
        {"name": "care_home_name", "title": "机构名称", "required": True, "max_length": 200},
        {"name": "care_home_address", "title": "机构地址", "max_length": 200},
        {"name": "bed_count", "title": "床位数", "type": "integer", "minimum": 0, "maximum": 100000},
        {"name": "care_service_type", "title": "服务类型", "enum": ["机构养老", "社区养老", "居家养老", "医养结合"]},
        {"name": "care_home_phone", "title": "联系电话", "max_length": 20},
    ],
    "primary_key": ["uscc"],
}

# Defining authorities of licence types (national ministries; codes made with the real algorithm, not real codes).
_AUTHORITIES = {
    "mps": make_uscc("1", "1", "100000", "00001312"),  # 公安部
    "mca": make_uscc("1", "1", "100000", "00001317"),  # 民政部
    "nhc": make_uscc("1", "1", "100000", "MB1653BW"),  # 国家卫生健康委员会
    "mnr": make_uscc("1", "1", "100000", "MB1967UP"),  # 自然资源部
    "samr": make_uscc("1", "1", "100000", "MB1A0D4C"),  # 国家市场监督管理总局
}
#: licence type → (type code, issuing department short code, type name)
LICENCE_TYPES = {
    "id_card": (_AUTHORITIES["mps"] + "001", "gaj", "居民身份证"),
    "marriage": (_AUTHORITIES["mca"] + "001", "mzj", "结婚证"),
    "birth": (_AUTHORITIES["nhc"] + "001", "wjw", "出生医学证明"),
    "property": (_AUTHORITIES["mnr"] + "001", "bdcdjzx", "不动产权证书"),
    "business": (_AUTHORITIES["samr"] + "001", "scjgj", "营业执照"),
}
#: Rough centres of the demo districts (CGCS2000), for synthetic coordinates.
_CENTRES = {"331902": (120.16, 30.27), "331903": (120.22, 30.31), "331904": (120.30, 30.24),
            "331921": (119.95, 30.05), "331981": (120.40, 29.98)}  # fmt: skip
_WORDS = "明湖 云溪 新港 青山 清源 恒信 瑞丰 华泰 金桥 安达 利民 嘉禾 鼎盛 宏远 天成 汇通 永昌 博雅 致远 德润".split()
_TRADES = "科技 贸易 建设工程 食品 物流 餐饮管理 信息技术 医药 农业开发 文化传媒 机械制造".split()


@dataclass
class _Sample:
    """Persons picked from the seeder's CSV in one streaming pass (the file may hold millions)."""

    adults: list[list[str]] = field(default_factory=list)
    married: list[list[str]] = field(default_factory=list)
    children: list[list[str]] = field(default_factory=list)
    deceased: list[list[str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: int = 0


def _sample(persons_csv: Path, limit: int = 2000) -> _Sample:
    out = _Sample()
    with open(persons_csv, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        out.header = next(reader)
        for row in reader:
            out.rows += 1
            born = dt.date.fromisoformat(row[3])
            age = AS_OF.year - born.year
            if row[8] == "死亡":
                if len(out.deceased) < 50:
                    out.deceased.append(row)
                continue
            if row[8] != "正常":
                continue
            if age >= 18 and len(out.adults) < limit:
                out.adults.append(row)
            if row[7] == "已婚" and len(out.married) < limit // 5:
                out.married.append(row)
            if age <= 2 and len(out.children) < limit // 10:
                out.children.append(row)
    return out


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    return path


def _person_corrections(s: _Sample, rng: random.Random) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in s.adults[:5]:  # moved away: a new version of each
        rows.append([*row[:8], "迁出"])
    old_cards = [p for p in s.adults[20:] if "1901" <= p[3][:4] <= "1999"][:3]
    for row in old_cards:  # an old 15-digit number: upgraded, then recognized as unchanged
        rows.append([row[0][:6] + row[0][8:17], *row[1:]])
    for row in s.adults[5:8]:  # Chinese dates and full-width digits: cleaned, unchanged
        born = dt.date.fromisoformat(row[3])
        rows.append([row[0], row[1], row[2], f"{born.year}年{born.month}月{born.day}日", *row[4:]])
    for row in s.adults[8:10]:
        rows.append([row[0].translate({ord(c): 0xFF10 + int(c) for c in "0123456789"}), *row[1:]])
    bad = [list(r) for r in s.adults[10:16]]
    if len(bad) == 6:
        bad[0][0] = bad[0][0][:-1] + ("0" if bad[0][0][-1] != "0" else "1")  # check character
        bad[1][3] = "1990-02-30"  # no such day
        bad[2][2] = "男的"  # not a GB/T 2261.1 value
        bad[3][6] = "339999"  # no such region
        bad[4][1] = ""  # name missing
        bad[5][2] = "女" if bad[5][2] == "男" else "男"  # disagrees with the ID number
    rows += bad
    rng.shuffle(rows)
    return rows


def _entities(s: _Sample, rng: random.Random, n: int) -> list[list[Any]]:
    header = (
        "统一社会信用代码 名称 主体类型 法定代表人 法定代表人公民身份号码 住所 住所行政区划代码 "
        "登记机关 成立日期 登记状态"
    ).split()
    rows: list[list[Any]] = []
    used: set[str] = set()
    ghosts = {7, n // 2, n - 3}  # legal representatives not in the population library
    for i in range(n):
        district = DISTRICTS[i % len(DISTRICTS)]
        kind, org_type = rng.choices([("企业法人", "1"), ("个体工商户", "2"), ("农民专业合作社", "3")], [80, 15, 5])[0]
        body = "".join(rng.choice(USCC_ALPHABET) for _ in range(8))
        while body in used:
            body = "".join(rng.choice(USCC_ALPHABET) for _ in range(8))
        used.add(body)
        uscc = make_uscc("9", org_type, district.code, body)
        word, trade = _WORDS[i % len(_WORDS)], _TRADES[(i // len(_WORDS)) % len(_TRADES)]
        suffix = {"企业法人": "有限公司", "个体工商户": "经营部", "农民专业合作社": "专业合作社"}[kind]
        name = f"示范市{district.name}{word}{trade}{suffix}" + (f"({i // 220 + 1})" if i >= 220 else "")
        rep = s.adults[i % len(s.adults)]
        rep_name, rep_id = rep[1], rep[0]
        if i in ghosts:
            rep_id = make_id_number("110105", dt.date(1970 + i % 20, 1 + i % 12, 1 + i % 28), 101 + 2 * i)
        established = dt.date(1995, 1, 1) + dt.timedelta(days=rng.randrange(30 * 365))
        status = rng.choices(["存续", "注销", "吊销"], [90, 8, 2])[0]
        address = f"{rep[5][: rep[5].find('区') + 1 or 10]}{word}路{rng.randrange(1, 300)}号"
        rows.append([uscc, name, kind, rep_name, rep_id, address, district.code, "示范市市场监督管理局",
                     established.isoformat(), status])  # fmt: skip
    rows[3][0] = rows[3][0][:17] + ("0" if rows[3][0][17] != "0" else "1")  # an early pilot code: check fails
    rows[4][0] = rows[4][0][:17] + ("0" if rows[4][0][17] != "0" else "1")
    rows.append(
        [
            "91331902MA2B3C4",
            "示范市错码贸易有限公司",
            "企业法人",
            "张三",
            None,
            "示范市明湖区",
            "331902",
            "示范市市场监督管理局",
            "2020-01-01",
            "存续",
        ]
    )  # fmt: skip  (too short: quarantined)
    return [header, *rows]


def _licences(
    s: _Sample, rng: random.Random, entities: list[list[Any]], issuers: dict[str, tuple[str, str]]
) -> list[list[Any]]:
    header = (
        "电子证照标识 证照类型代码 证照类型名称 证照编号 持证主体 持证主体代码 持证主体代码类型 颁发机构 颁发机构代码 "
        "颁发日期 有效期起始日期 有效期截止日期 证照状态 证照文件摘要"
    ).split()
    rows: list[list[Any]] = []
    serials: dict[str, int] = {}

    def add(kind: str, number: str, holder: str, code: str, code_type: str, issued: dt.date, until, status="有效"):  # noqa: ANN001
        if kind not in issuers:
            return
        type_code, _org, type_name = LICENCE_TYPES[kind]
        issuer_name, issuer_code = issuers[kind]
        serials[kind] = serials.get(kind, 0) + 1
        ident = make_licence_id(type_code, issuer_code, f"{issued.year}{serials[kind]:07d}")
        digest = hashlib.sha256(f"{ident}|{number}|{holder}".encode()).hexdigest()
        rows.append([ident, type_code, type_name, number, holder, code, code_type, issuer_name, issuer_code,
                     issued.isoformat(), issued.isoformat(), until, status, digest])  # fmt: skip

    def issue_day(lo: int, hi: int) -> dt.date:
        return AS_OF - dt.timedelta(days=rng.randrange(lo, hi))

    for p in s.adults[:1000]:
        age = AS_OF.year - int(p[3][:4])
        issued = issue_day(30, 3650)
        years = 10 if age < 26 else 20 if age < 46 else None  # 居民身份证法: 10 / 20 years / 长期
        until = "长期" if years is None else (issued + dt.timedelta(days=round(365.25 * years))).isoformat()
        add("id_card", p[0], p[1], p[0], "111", issued, until)
    for i, p in enumerate(s.married[:200]):
        issued = issue_day(365, 9000)
        add("marriage", f"J331900-{issued.year}-{i + 1:06d}", p[1], p[0], "111", issued, "长期")
    for i, p in enumerate(s.children[:100]):
        born = dt.date.fromisoformat(p[3])
        add("birth", f"R33{born.year % 100:02d}{i + 1:06d}", p[1], p[0], "111", born, None)
    for i, p in enumerate(s.adults[1000:1300]):
        issued = issue_day(100, 6000)
        add("property", f"浙({issued.year})示范市不动产权第{i + 1:07d}号", p[1], p[0], "111", issued, "长期")
    for e in entities[1:-1]:
        status = "有效" if e[9] == "存续" else "注销" if e[9] == "注销" else "吊销"
        add("business", e[0], e[1], e[0], "001", dt.date.fromisoformat(e[8]), "长期", status)
    # Deliberate problems: names that disagree with the population, valid licences of the dead, broken ids.
    for row in rows[:5]:
        row[4] = row[4][:-1] + ("明" if row[4][-1] != "明" else "华")
    for p in s.deceased[:5]:
        add("id_card", p[0], p[1], p[0], "111", issue_day(400, 3000), "长期")
    for row in rows[10:12]:
        row = list(row)
        row[0] = row[0][:-1] + ("0" if row[0][-1] != "0" else "1")
        rows.append(row)
    return [header, *rows]


def _places(s: _Sample, rng: random.Random) -> list[list[Any]]:
    header = ["地址编码", "标准地址", "行政区划代码", "地名", "经度", "纬度", "坐标系"]
    rows: list[list[Any]] = []
    seen: set[str] = set()
    for p in s.adults:
        if p[5] in seen or len(rows) >= 500:
            continue
        seen.add(p[5])
        lon, lat = _CENTRES.get(p[6], (120.2, 30.2))
        lon += rng.uniform(-0.08, 0.08)
        lat += rng.uniform(-0.06, 0.06)
        rows.append([f"{p[6]}-{len(rows) + 1:08d}", p[5], p[6], None, f"{lon:.6f}", f"{lat:.6f}", "CGCS2000"])
    for row in rows[20:40]:  # surveyed but not yet geocoded
        row[4] = row[5] = None
    if len(rows) > 51:  # a small demo city may have fewer places
        rows[50][4] = "220.15"  # outside China: quarantined
        rows[51][5] = "-30.2"
    return [header, *rows]


def _credit(s: _Sample, rng: random.Random, entities: list[list[Any]]) -> list[list[Any]]:
    header = "决定文书号 主体名称 主体代码 主体代码类型 信用信息类别 作出决定机关 决定日期 有效期至 内容".split()
    rows: list[list[Any]] = []
    for i, entity in enumerate(entities[1:61]):
        code, name = entity[0], entity[1]
        day = AS_OF - dt.timedelta(days=rng.randrange(10, 1500))
        kind = ("行政处罚", "行政许可", "红名单")[i % 3]
        org, number, content = {
            "行政处罚": ("示范市市场监督管理局", f"示市监罚〔{day.year}〕{i + 1}号", "未按规定公示年度报告, 罚款"),
            "行政许可": ("示范市市场监督管理局", f"JY3{i + 1:013d}", "食品经营许可: 预包装食品销售"),
            "红名单": ("国家税务总局示范市税务局", f"示税信〔{day.year}〕A{i + 1:04d}", "纳税信用A级纳税人"),
        }[kind]
        until = (day + dt.timedelta(days=365 * 3)).isoformat() if kind != "行政许可" else "长期"
        rows.append([number, name, code, "001", kind, org, day.isoformat(), until, content])
    for i, p in enumerate(s.adults[1300:1320]):
        day = AS_OF - dt.timedelta(days=rng.randrange(10, 900))
        rows.append([f"(2024)浙1902执{i + 101}号", p[1], p[0], "111", "黑名单", "示范市中级人民法院",
                     day.isoformat(), None, "失信被执行人: 有履行能力而拒不履行生效法律文书确定义务"])  # fmt: skip
    for i in range(3):  # entities the register does not know
        ghost = make_uscc("9", "1", "331902", f"GHXT000{i}")
        rows.append([f"示市监罚〔2025〕9{i}号", f"未登记主体{i}", ghost, "001", "行政处罚", "示范市市场监督管理局",
                     "2025-03-01", "2028-03-01", "无照经营"])  # fmt: skip
    rows.append(["示市监罚〔2025〕99号", entities[1][1], entities[1][0], "001", "行政处罚", "示范市市场监督管理局",
                 "2025-03-01", "2024-03-01", "有效期早于决定日期: 隔离"])  # fmt: skip
    return [header, *rows]


def _care_homes(rng: random.Random, n: int = 240) -> list[list[Any]]:
    """养老机构 (private non-enterprise units, USCC category 5); two rows with a bed count that is not a number."""
    header = ["统一社会信用代码", "机构名称", "机构地址", "床位数", "服务类型", "联系电话"]
    kinds = ["机构养老", "社区养老", "居家养老", "医养结合"]
    rows: list[list[Any]] = []
    districts = list(_CENTRES)
    district_names = {d.code: d.name for d in DISTRICTS}
    for i in range(n):
        district = districts[i % len(districts)]
        uscc = make_uscc("5", "2", district, f"{rng.randrange(10**8):08d}")
        word = _WORDS[i % len(_WORDS)]
        rows.append([
            uscc, f"示范市{word}{'颐养院' if i % 3 else '养老服务中心'}{i + 1:03d}",
            f"示范市{district_names.get(district, '')}{word}路{rng.randrange(1, 300)}号", rng.randrange(20, 600),
            kinds[i % len(kinds)], f"0571-{rng.randrange(10**7, 10**8)}",
        ])  # fmt: skip
    rows[7][3] = "约两百张"  # quarantined: not an integer
    rows[19][3] = "-5"
    return [header, *rows]


def load_demo_library(
    runtime: Runtime,
    *,
    persons_csv: Path,
    orgs_by_short_code: dict[str, str],
    seed: int = 2026,
    out_dir: Path | None = None,
    entities: int = 300,
) -> dict[str, Any]:
    """Register the five base library tables of 示范市 and load them; returns a summary for ``make demo``.

    Tables whose provider department is missing from ``orgs_by_short_code`` are skipped (a small test city),
    and so are licence types whose issuing department is missing. Safe to run twice: tables that exist are
    kept and a file already ingested into its table (same SHA-256) is not loaded again.
    """
    from govshare.identity import service as identity
    from govshare.library import service
    from govshare.library.readers import file_sha256
    from govshare.library.schemas import LibraryTableCreate

    rng = random.Random(seed)
    out_dir = Path(out_dir) if out_dir else runtime.settings.data_dir / "seed" / "library"
    out_dir.mkdir(parents=True, exist_ok=True)
    db = runtime.db
    codes: dict[str, str] = {}
    with db.write() as session:
        existing = {t.resource_code for t in service.list_tables(session, actor=PLATFORM)}
        for base, (code, name, org, cycle) in DEMO_TABLES.items():
            if org not in orgs_by_short_code:
                continue
            codes[base] = code
            if code not in existing:
                data = LibraryTableCreate(
                    resource_code=code, name=name, base=base, provider_org_id=orgs_by_short_code[org],
                    update_cycle=cycle, description=f"示范市演示数据 (demo data): {name}",
                )  # fmt: skip
                service.create_table(session, actor=PLATFORM, data=data)
        issuers: dict[str, tuple[str, str]] = {}
        for kind, (_type_code, org, _name) in LICENCE_TYPES.items():
            if org in orgs_by_short_code:
                dept = identity.get_organization(session, actor=PLATFORM, org_id=orgs_by_short_code[org])
                issuers[kind] = (dept.name, dept.uscc)

    sample = _sample(Path(persons_csv))
    files: dict[str, list[Path]] = {}
    if "person" in codes:
        files["person"] = [
            Path(persons_csv),
            _write(out_dir / "persons_corrections.csv", sample.header, _person_corrections(sample, rng)),
        ]
    entity_rows = _entities(sample, rng, entities)
    if "legal_entity" in codes:
        files["legal_entity"] = [_write(out_dir / "legal_entities.csv", entity_rows[0], entity_rows[1:])]
    if "licence" in codes:
        licence_rows = _licences(sample, rng, entity_rows, issuers)
        files["licence"] = [_write(out_dir / "licences.csv", licence_rows[0], licence_rows[1:])]
    if "place" in codes:
        place_rows = _places(sample, rng)
        files["place"] = [_write(out_dir / "places.csv", place_rows[0], place_rows[1:])]
    if "credit" in codes:
        credit_rows = _credit(sample, rng, entity_rows)
        files["credit"] = [_write(out_dir / "credit.csv", credit_rows[0], credit_rows[1:])]

    summary: dict[str, Any] = {"tables": {}, "ingests": [], "quality": {}}
    for base, paths in files.items():
        summary["tables"][base] = codes[base]
        with db.read() as session:
            done = {
                i.file_sha256
                for i in service.list_ingests(session, actor=PLATFORM, code=codes[base], limit=500)
                if i.status == "completed"
            }
        for path in paths:
            if file_sha256(path) in done:  # loaded before: loading the base file again would undo corrections
                summary["ingests"].append({"table": codes[base], "file": path.name, "skipped": True})
                continue
            ingest_id = service.ingest(db, actor=PLATFORM, code=codes[base], path=path)
            with db.read() as session:
                report = service.ingest_read(service.get_ingest(session, actor=PLATFORM, ingest_id=ingest_id))
            summary["ingests"].append(
                {
                    "table": codes[base],
                    "file": path.name,
                    "ingest_id": ingest_id,
                    "read": report.rows_read,
                    "accepted": report.rows_accepted,
                    "rejected": report.rows_rejected,
                    "inserted": report.inserted,
                    "updated": report.updated,
                }
            )
    for base in files:
        with db.write() as session:
            run = service.run_quality(session, actor=PLATFORM, code=codes[base])
            summary["quality"][codes[base]] = run.score
    return summary


def load_open_library(
    runtime: Runtime, *, orgs_by_short_code: dict[str, str], seed: int = 2026, out_dir: Path | None = None
) -> dict[str, Any]:
    """Register and load the open thematic tables (:data:`OPEN_TABLES`) whose catalog resources are 无条件开放, so
    the portal's dataset pages offer downloads. Safe to run twice, like :func:`load_demo_library`."""
    from govshare.library import service
    from govshare.library.readers import file_sha256
    from govshare.library.schemas import LibraryTableCreate

    rng = random.Random(seed + 1)
    out_dir = Path(out_dir) if out_dir else runtime.settings.data_dir / "seed" / "library"
    out_dir.mkdir(parents=True, exist_ok=True)
    db = runtime.db
    summary: dict[str, Any] = {"tables": {}, "ingests": [], "quality": {}}
    for key, (code, name, org, cycle) in OPEN_TABLES.items():
        if org not in orgs_by_short_code:
            continue
        with db.write() as session:
            if code not in {t.resource_code for t in service.list_tables(session, actor=PLATFORM)}:
                data = LibraryTableCreate(
                    resource_code=code, name=name, schema=CARE_HOME_SCHEMA, provider_org_id=orgs_by_short_code[org],
                    update_cycle=cycle, description=f"示范市演示数据, 无条件开放 (open demo data): {name}",
                )  # fmt: skip
                service.create_table(session, actor=PLATFORM, data=data)
        rows = _care_homes(rng)
        path = _write(out_dir / f"{key}.csv", rows[0], rows[1:])
        summary["tables"][key] = code
        with db.read() as session:
            done = {i.file_sha256 for i in service.list_ingests(session, actor=PLATFORM, code=code, limit=500)}
        if file_sha256(path) in done:
            summary["ingests"].append({"table": code, "file": path.name, "skipped": True})
            continue
        ingest_id = service.ingest(db, actor=PLATFORM, code=code, path=path)
        with db.read() as session:
            report = service.ingest_read(service.get_ingest(session, actor=PLATFORM, ingest_id=ingest_id))
        summary["ingests"].append(
            {"table": code, "file": path.name, "ingest_id": ingest_id, "read": report.rows_read,
             "accepted": report.rows_accepted, "rejected": report.rows_rejected, "inserted": report.inserted,
             "updated": report.updated},
        )  # fmt: skip
        with db.write() as session:
            summary["quality"][code] = service.run_quality(session, actor=PLATFORM, code=code).score
    return summary
