"""Catalog search benchmark: 100k resources (with data items) and a fixed set of Chinese queries with facets.

    .venv/bin/python bench/catalog_search.py                       # SQLite
    .venv/bin/python bench/catalog_search.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Builds a synthetic province-scale catalog: 100k entries drawn from the demo city's ~70 realistic entries
(src/govshare/seed/catalog_data.py), spread over 150 departments, named per district and year, with a random
subset of each template's data items plus extra ones, and share/open/cycle attributes that mostly follow the
template. The rows (resources, items, and the search projection built by the catalog's own code) are bulk-loaded;
the catalog service's write path is not what is measured here.

Measured: ``catalog.service.search`` end to end in a fresh read session — the org-name lookup, the facet
aggregation, the page with keyset cursor, loading the 20 hits with their items — for each query, as a
department's staff (published catalog + own drafts) and as the public (open catalog only), with all seven
facets. Latency p50/p95 over all calls after a warm-up round, twice: cold (the search result cache and the
word-frequency estimates emptied before every call) and warm (repeated calls), each with the load average.
Then, on a line of their own, searches without words (the catalog's landing page, newest first, with and
without filters), cold.
"""

from __future__ import annotations

import argparse
import functools
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from govshare.app import settle_heap  # noqa: E402
from govshare.catalog import search as search_mod  # noqa: E402
from govshare.catalog import service  # noqa: E402
from govshare.catalog import text as text_mod  # noqa: E402
from govshare.catalog.checks import completeness  # noqa: E402
from govshare.catalog.models import Item, Resource, SearchDoc, SearchProvider  # noqa: E402
from govshare.catalog.schemas import ResourceContent  # noqa: E402
from govshare.catalog.search import SearchQuery  # noqa: E402
from govshare.config import Settings  # noqa: E402
from govshare.identity import service as identity  # noqa: E402
from govshare.identity.principal import PLATFORM, Principal, Role  # noqa: E402
from govshare.identity.schemas import OrganizationCreate  # noqa: E402
from govshare.migrate import upgrade  # noqa: E402
from govshare.runtime import Runtime  # noqa: E402
from govshare.seed.catalog_data import SPECS, spec_content  # noqa: E402
from govshare.standards.identifiers import make_uscc  # noqa: E402

QUERIES = (
    "人口",
    "营业执照",
    "不动产 登记",
    "公积金 缴存",
    "婚姻登记",
    "社保 参保",
    "出生医学证明",
    "学籍",
    "食品经营许可",
    "电子证照",
    "排污许可",
    "养老机构",
)
DISTRICTS = [f"{n}{k}" for n in ("明湖", "云溪", "新港", "青山", "清源", "东城", "西岭", "南湖", "北塘", "临江", "望海",
             "石桥", "枫林", "柳岸", "金沙", "玉泉", "白鹭", "松涛", "锦屏", "凤鸣") for k in ("区", "县")]  # fmt: skip
EXTRA_ITEMS = [("备注", "remark"), ("数据来源系统", "source_system"), ("更新时间", "updated_time"),
               ("所属区划", "region_code"), ("经办人", "handler"), ("业务编号", "business_no")]  # fmt: skip
SHARE = ("unconditional", "conditional")
CYCLES = ("daily", "weekly", "monthly", "quarterly", "annual", "realtime", "irregular")


def build_rows(n: int, org_ids: list[str], seed: int = 7):
    """Resource, item, doc and token rows for ``n`` synthetic entries."""
    rng = random.Random(seed)
    text_mod.index_tokens = functools.lru_cache(maxsize=200_000)(text_mod.index_tokens)  # names repeat: cut once
    base = datetime(2024, 1, 1, tzinfo=UTC)
    templates = [spec_content(s, []) for s in SPECS]
    resources, items, docs, tokens = [], [], [], []
    per_class: dict[str, int] = {}
    for doc_id in range(1, n + 1):
        t = dict(templates[rng.randrange(len(templates))])
        t["name"] = f"{rng.choice(DISTRICTS)}{t['name']}" + (
            f"({rng.randint(2018, 2025)}年度)" if rng.random() < 0.3 else ""
        )
        its = [dict(i) for i in t["items"] if i["is_key"] or rng.random() < 0.8]
        for name, machine in rng.sample(EXTRA_ITEMS, rng.randint(0, 2)):
            if any(i["machine_name"] == machine for i in its):  # the template has it already (e.g. region_code)
                continue
            its.append({**its[0], "name": name, "machine_name": machine, "is_key": False, "share_type": None,
                        "sensitivity": "L1", "is_sensitive": False, "masking": None, "description": name})  # fmt: skip
        t["items"] = its
        if rng.random() < 0.15 and t["open_type"] == "none":  # departments differ a little from the template
            t["update_cycle"] = rng.choice(CYCLES)
        content = ResourceContent.model_validate(t)
        data = content.model_dump(mode="json")
        listed = rng.random() < 0.92
        rid = uuid.uuid4().hex
        per_class[data["classification_code"]] = per_class.get(data["classification_code"], 0) + 1
        ts = base + timedelta(minutes=doc_id)
        prov = rng.randrange(len(org_ids))
        row = {
            **{k: data[k] for k in service.CONTENT_FIELDS},
            "id": rid,
            "code": f"{data['classification_code']}/{per_class[data['classification_code']]:06d}",
            "provider_org_id": org_ids[prov],
            "status": "published" if listed else "draft",
            "is_listed": listed,
            "published_version": 1 if listed else None,
            "revision": None,
            "completeness": completeness(content).score,
            "published_at": ts if listed else None,
            "modified_at": ts if listed else None,
            "created_by": "bench",
            "created_at": ts,
            "updated_at": ts,
            "served_by": None,
            "served_by_ref": None,
        }
        resources.append(row)
        item_objs = []
        for pos, it in enumerate(data["items"]):
            items.append({"id": uuid.uuid4().hex, "resource_id": rid, "position": pos, **it})
            item_objs.append(SimpleNamespace(**it))
        obj = SimpleNamespace(**row, items=item_objs)
        weights = search_mod.resource_tokens(obj)
        values = search_mod.doc_values(obj, prov + 1)
        docs.append({"doc_id": doc_id, "resource_id": rid, **values, "tokens": "\n".join(weights)})
        shared = tuple(values[c] for c in search_mod.POSTING_COLS)
        tokens.extend((tok, doc_id, w, *shared) for tok, w in weights.items())
    return resources, items, docs, tokens


FACET_COUNTS_SQL = (
    "INSERT INTO catalog_search_facet (token, vis, prov, class3, fkey, n) "
    "SELECT token, vis, prov, class3, fkey, count(*) FROM catalog_search_token GROUP BY token, vis, prov, class3, fkey"
    " UNION ALL SELECT '', vis, prov, class3, fkey, count(*) FROM catalog_search_doc GROUP BY vis, prov, class3, fkey"
)


def load(rt: Runtime, n: int, orgs: int) -> None:
    t0 = time.perf_counter()
    with rt.db.write() as s:
        org_ids = []
        for i in range(orgs):
            org = identity.create_organization(
                s,
                actor=PLATFORM,
                data=OrganizationCreate(
                    name=f"示范省第{i + 1}部门",
                    uscc=make_uscc("1", "1", "331900", f"{20000000 + i:08d}"),
                    level="city",
                    region_code="331900",
                    short_code=f"d{i + 1}",
                ),  # fmt: skip
            )
            org_ids.append(org.id)
    resources, items, docs, tokens = build_rows(n, org_ids)
    t1 = time.perf_counter()
    print(
        f"  generated {len(resources):,} resources, {len(items):,} items, {len(tokens):,} postings in {t1 - t0:.0f} s"
    )
    engine = rt.db.engine
    providers = [{"no": i + 1, "org_id": o} for i, o in enumerate(org_ids)]
    posting_sql = (
        "INSERT INTO catalog_search_token (token, doc_id, weight, vis, prov, class3, fkey) VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    if rt.db.is_sqlite:
        with engine.begin() as conn:
            conn.execute(insert(SearchProvider), providers)
            for table, rows in ((Resource, resources), (Item, items), (SearchDoc, docs)):
                for i in range(0, len(rows), 20_000):
                    conn.execute(insert(table), rows[i : i + 20_000])
            raw = conn.connection.driver_connection
            tokens.sort()
            raw.executemany(posting_sql, tokens)
    else:
        with engine.begin() as conn:
            conn.execute(insert(SearchProvider), providers)
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('catalog_search_provider', 'no'), :n)"), {"n": orgs}
            )
            conn.execute(insert(Resource), resources)
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cols = list(items[0])
            with cur.copy(f"COPY catalog_item ({', '.join(cols)}) FROM STDIN") as cp:
                for row in items:
                    cp.write_row([row[c] for c in cols])
            cols = list(docs[0])
            with cur.copy(f"COPY catalog_search_doc ({', '.join(cols)}) FROM STDIN") as cp:
                for row in docs:
                    cp.write_row([row[c] for c in cols])
            with cur.copy(
                "COPY catalog_search_token (token, doc_id, weight, vis, prov, class3, fkey) FROM STDIN"
            ) as cp:
                for row in tokens:
                    cp.write_row(row)
            cur.execute("SELECT setval(pg_get_serial_sequence('catalog_search_doc', 'doc_id'), %s)", (len(docs),))
            raw.commit()
        finally:
            raw.close()
    with engine.begin() as conn:  # the per-token facet counts, as the write path would have kept them
        conn.exec_driver_sql(FACET_COUNTS_SQL)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE" if rt.db.is_sqlite else "VACUUM ANALYZE")
    print(f"  loaded in {time.perf_counter() - t1:.0f} s")


def measure(rt: Runtime, repeat: int, *, cold: bool, browse: bool = False) -> dict[str, list[float]]:
    """Latency per case. ``cold``: the search result cache (and the word-frequency estimates) are emptied before
    every call, so each call computes its facets, total and page from the store — as the first time a query is
    asked after a catalog change. Warm: the same calls repeated, answered from the cache where it holds them.
    ``browse``: instead of the Chinese queries, searches without words (the catalog's landing page, newest first,
    with filters, and by name and by code), reported on their own line."""
    with rt.db.read() as s:
        org_id = s.execute(text("SELECT provider_org_id FROM catalog_resource LIMIT 1")).scalar_one()
    staff = Principal(kind="user", id="bench-user", org_id=org_id, name="bench", roles=frozenset({Role.clerk}))
    cases = []
    if browse:
        for who, actor in (("staff ", staff), ("public", None)):
            cases.append((f"{who} browse", actor, SearchQuery(limit=20)))
            cases.append((f"{who} browse 1 基础 类", actor, SearchQuery(classification=["1"], limit=20)))
            cases.append((f"{who} browse daily, L3", actor, SearchQuery(update_cycle=["daily"], level=["L3"])))
        cases.append(("staff  browse own dept", staff, SearchQuery(mine=True, limit=20)))
        cases.append(("staff  browse by name", staff, SearchQuery(sort="name", limit=20)))
        cases.append(("staff  browse by code", staff, SearchQuery(sort="code", limit=20)))
    else:
        for q in QUERIES:
            cases.append((f"staff  {q}", staff, SearchQuery(q=q, limit=20)))
            cases.append((f"public {q}", None, SearchQuery(q=q, limit=20)))
        cases.append(
            ("staff  人口 +share_type filter", staff, SearchQuery(q="人口", share_type=["conditional"], limit=20))
        )
        cases.append(("staff  人口 page 2", staff, "page2"))

    def run(actor, query) -> int:
        if cold:
            search_mod.clear_cache()
        with rt.db.read() as s:
            if query == "page2":
                first = service.search(s, actor=actor, query=SearchQuery(q="人口", limit=20))
                if cold:
                    search_mod.clear_cache()
                query = SearchQuery(q="人口", limit=20, cursor=first.next_cursor)
            return service.search(s, actor=actor, query=query).total

    totals = {}
    for name, actor, query in cases:  # warm-up round (jieba, query plans, page cache, org names)
        totals[name] = run(actor, query)
    times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _ in range(repeat):
        for name, actor, query in cases:
            t = time.perf_counter()
            run(actor, query)
            times[name].append((time.perf_counter() - t) * 1000)
    if not browse:
        times["page2"] = [x / 2 for x in times.pop("staff  人口 page 2")]  # two searches per call: report one
    for name in times:
        xs = sorted(times[name])
        print(
            f"    {name:32s} matches {totals.get(name, totals.get('staff  人口 page 2', 0)):>6,}"
            f"  p50 {statistics.median(xs):6.2f} ms  p95 {xs[int(len(xs) * 0.95)]:6.2f} ms"
        )
    return times


def tune_sqlite(rt: Runtime, cache_mb: int) -> None:
    """Apply a larger page cache and memory-mapped reads to every new connection (see docs/catalog.md)."""
    from sqlalchemy import event

    rt.db.engine.dispose()

    @event.listens_for(rt.db.engine, "connect")
    def _pragmas(dbapi_conn, _record):  # noqa: ANN001
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA cache_size=-{cache_mb * 1024}")
        cur.execute(f"PRAGMA mmap_size={cache_mb * 4 * 1024 * 1024}")
        cur.close()


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def report(label: str, rt: Runtime, repeat: int) -> None:
    """Cold then warm figures for one store, each with the load average around it (a shared machine). The heap is
    settled first, as the server settles it after start-up: else the collector's full passes walk the objects
    the benchmark made while building the catalog (a 20 ms search in some runs)."""
    settle_heap()
    for mode, browse in (("cold", False), ("warm", False), ("browse, cold", True)):
        before = loadavg()
        times = measure(rt, repeat, cold=mode != "warm", browse=browse)
        flat = sorted(x for xs in times.values() for x in xs)
        p50 = flat[len(flat) // 2]
        p95 = flat[int(len(flat) * 0.95)]
        worst = max(times, key=lambda k: statistics.median(times[k]))
        print(f"  {label}, {mode}: {len(flat)} searches  p50 {p50:.2f} ms  p95 {p95:.2f} ms  max {flat[-1]:.2f} ms  "
              f"(slowest query: {worst.strip()} p50 {statistics.median(times[worst]):.2f} ms)  "
              f"loadavg {before} -> {loadavg()}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="resources")
    ap.add_argument("--orgs", type=int, default=150, help="departments")
    ap.add_argument("--repeat", type=int, default=20, help="rounds over the query set")
    ap.add_argument("--postgres", help="also run on PostgreSQL (admin URL; a scratch database is created)")
    ap.add_argument("--sqlite-dir", type=Path, help="keep the SQLite store here; reused if it already holds one")
    ap.add_argument(
        "--pg-keep", metavar="DBNAME", help="keep the PostgreSQL database under this name; reused if it exists"
    )
    ap.add_argument(
        "--cache-mb", type=int, default=0, help="also run SQLite with this page cache in MB (mmap: 4x); 0: skip"
    )
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="govshare-bench-"))
    try:
        sqlite_dir = args.sqlite_dir or tmp / "sqlite"
        reuse = (sqlite_dir / "govshare.db").exists()
        print(f"SQLite (WAL), {args.n:,} resources" + (f", reusing {sqlite_dir}" if reuse else ""))
        rt = Runtime(Settings(data_dir=sqlite_dir, log_level="WARNING", log_json=False, sqlite_synchronous="NORMAL"))
        if not reuse:
            upgrade(rt.db)
            load(rt, args.n, args.orgs)
        report("SQLite, store defaults (2 MB page cache)", rt, args.repeat)
        if args.cache_mb:
            tune_sqlite(rt, args.cache_mb)
            report(f"SQLite, {args.cache_mb} MB page cache + mmap", rt, args.repeat)
        rt.close()
        if args.postgres:
            admin_url = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
            name = args.pg_keep or f"govshare_bench_{uuid.uuid4().hex[:6]}"
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
                if not exists:
                    c.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                print(f"PostgreSQL, {args.n:,} resources" + (f", reusing {name}" if exists else ""))
                url = admin_url.rsplit("/", 1)[0] + f"/{name}"
                rt = Runtime(Settings(data_dir=tmp / "pg", log_level="WARNING", log_json=False), database_url=url)
                if not exists:
                    upgrade(rt.db)
                    load(rt, args.n, args.orgs)
                report("PostgreSQL", rt, args.repeat)
                rt.close()
            finally:
                if not args.pg_keep:
                    with admin.connect() as c:
                        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
