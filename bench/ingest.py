"""Library ingest benchmark: validated, cleaned, versioned ingest vs a raw bulk insert of the same rows.

    .venv/bin/python bench/ingest.py                       # SQLite, 1M rows
    .venv/bin/python bench/ingest.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/ingest.py --rows 200000 --skip-sqlite --postgres ...

1. Generates a person CSV (the seeder's synthetic persons) with 1 % bad rows (broken check characters, impossible
   dates, unknown codes, missing names, gender contradicting the ID number) and 1 % rows only cleaning repairs
   (Chinese or slashed dates, stray blanks, lower-case x).
2. Per store, each phase runs in its own fresh process (so its peak RSS is its own), on the same file
   (``--row-by-row`` measures the ingest without its vectorized fast path):
   - **raw**: the rows into a plain 9-column table with no key, no checks: SQLite ``csv.reader`` + ``executemany``
     in 50,000-row transactions; PostgreSQL ``COPY … FROM STDIN (FORMAT csv)`` of the file;
   - **raw into library_record** (SQLite): the same rows into the ingest's own table and indexes (key, JSON data,
     content hash), ``executemany`` in 50,000-row transactions, no checks — the like-for-like baseline;
   - **ingest**: ``govshare library ingest`` (service.ingest): cleaning, validation, quarantine, keys, content
     hashes, versions, provenance, audit records, 50,000-row atomic batches;
   - **re-ingest**: the same file again (every row recognized as unchanged).
   Each phase reads the file from the OS cache (the file is read once before timing).
3. Prints rows/s, the ratio ingest/raw and the peak RSS of each phase, as a Markdown table.

Durability is the default (SQLite WAL with synchronous=FULL, PostgreSQL synchronous_commit on).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

CODE = "101001/000001"
RAW_BATCH = 50_000


# ---- the file ------------------------------------------------------------------------------------------
def generate(path: Path, rows: int, seed: int = 2026) -> dict[str, int]:
    from govshare.seed.persons import PERSON_FIELDS, iter_persons

    kinds = {"bad": 0, "cleanable": 0}
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(PERSON_FIELDS)
        for i, p in enumerate(iter_persons(rows, seed)):
            row = [p.id_number, p.name, p.gender, p.birth_date.isoformat(), p.ethnicity, p.address, p.region_code,
                   p.marital_status, p.status]  # fmt: skip
            k = i % 100
            if k == 37:  # 1 % bad, six kinds in turn
                kind = (i // 100) % 6
                if kind == 0:
                    row[0] = row[0][:-1] + ("0" if row[0][-1] != "0" else "1")
                elif kind == 1:
                    row[3] = row[3][:5] + "02-30"
                elif kind == 2:
                    row[2] = "未知性别"
                elif kind == 3:
                    row[6] = "339999"
                elif kind == 4:
                    row[1] = ""
                else:
                    row[2] = "女" if row[2] == "男" else "男"
                kinds["bad"] += 1
            elif k == 71:  # 1 % that cleaning repairs
                kind = (i // 100) % 3
                if kind == 0:
                    d = p.birth_date
                    row[3] = f"{d.year}年{d.month}月{d.day}日"
                elif kind == 1:
                    row[1] = f" {row[1]}\u3000"
                else:
                    row[3] = row[3].replace("-", "/")
                kinds["cleanable"] += 1
            w.writerow(row)
    return kinds


# ---- phases (each in its own process) ----------------------------------------------------------------
def _runtime(url: str, data_dir: Path):
    from govshare.config import Settings
    from govshare.runtime import Runtime

    return Runtime(Settings(data_dir=data_dir, database_url=url, log_json=False, log_level="WARNING"))


def phase_setup(url: str, data_dir: Path) -> dict:
    from govshare.identity import service as identity
    from govshare.identity.principal import PLATFORM
    from govshare.identity.schemas import OrganizationCreate
    from govshare.library import service
    from govshare.library.schemas import LibraryTableCreate
    from govshare.migrate import upgrade
    from govshare.standards.identifiers import make_uscc

    rt = _runtime(url, data_dir)
    upgrade(rt.db)
    with rt.db.write() as s:
        uscc = make_uscc("1", "1", "331900", "00000001")
        data = OrganizationCreate(name="示范市公安局", uscc=uscc, level="city", region_code="331900", short_code="gaj")
        org = identity.create_organization(s, actor=PLATFORM, data=data)
        service.create_table(
            s, actor=PLATFORM, data=LibraryTableCreate(resource_code=CODE, name="人口基础库", base="person",
                                                       provider_org_id=org.id, update_cycle="daily"),
        )  # fmt: skip
    rt.close()
    return {}


def phase_raw(url: str, data_dir: Path, path: Path) -> dict:
    from sqlalchemy import text

    rt = _runtime(url, data_dir)
    engine = rt.db.engine
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_raw"))
        columns = "id_number name gender birth_date ethnicity address region_code marital_status status".split()
        conn.execute(text(f"CREATE TABLE bench_raw ({', '.join(c + ' TEXT' for c in columns)})"))
    started = time.perf_counter()
    rows = 0
    raw = engine.raw_connection()
    try:
        if rt.db.is_sqlite:
            cur = raw.cursor()
            with open(path, newline="", encoding="utf-8") as f:
                reader = csv.reader(f)
                next(reader)
                batch: list[list[str]] = []
                for row in reader:
                    batch.append(row)
                    if len(batch) == RAW_BATCH:
                        cur.execute("BEGIN")
                        cur.executemany("INSERT INTO bench_raw VALUES (?,?,?,?,?,?,?,?,?)", batch)
                        cur.execute("COMMIT")
                        rows += len(batch)
                        batch = []
                if batch:
                    cur.execute("BEGIN")
                    cur.executemany("INSERT INTO bench_raw VALUES (?,?,?,?,?,?,?,?,?)", batch)
                    cur.execute("COMMIT")
                    rows += len(batch)
        else:
            conn = raw.driver_connection
            with conn.cursor() as cur, open(path, "rb") as f:
                with cur.copy("COPY bench_raw FROM STDIN (FORMAT csv, HEADER true)") as copy:
                    while block := f.read(1 << 20):
                        copy.write(block)
                rows = cur.rowcount
            conn.commit()
    finally:
        raw.close()
    seconds = time.perf_counter() - started
    rt.close()
    return {"rows": rows, "seconds": seconds}


def phase_raw_record(url: str, data_dir: Path, path: Path) -> dict:
    """SQLite: the same rows into the same table with the same indexes as the ingest (``library_record`` and its
    unique key index): key, JSON data and content hash per row, ``executemany`` in 50,000-row transactions,
    no cleaning or validation. The rows go under a table id no library table has and are deleted afterwards
    (untimed), so the ingest that follows starts from the same empty index."""
    import hashlib

    import orjson

    rt = _runtime(url, data_dir)
    raw = rt.db.engine.raw_connection()
    sql = (
        "INSERT INTO library_record (table_id, key, superseded, data, content_hash, valid_from, ingest_id, "
        "verified_ingest_id, verified_at) VALUES (-1, ?, 0, ?, ?, '2026-01-01 00:00:00.000000', 0, 0, "
        "'2026-01-01 00:00:00.000000')"
    )
    started = time.perf_counter()
    rows = 0
    try:
        cur = raw.cursor()
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            next(reader)
            batch: list[tuple[str, str, str]] = []
            for row in reader:
                data = orjson.dumps(row)
                batch.append((row[0], data.decode(), hashlib.sha256(data).hexdigest()[:32]))
                if len(batch) == RAW_BATCH:
                    cur.execute("BEGIN")
                    cur.executemany(sql + " ON CONFLICT DO NOTHING", batch)
                    cur.execute("COMMIT")
                    rows += len(batch)
                    batch = []
            if batch:
                cur.execute("BEGIN")
                cur.executemany(sql + " ON CONFLICT DO NOTHING", batch)
                cur.execute("COMMIT")
                rows += len(batch)
        seconds = time.perf_counter() - started
        cur.execute("DELETE FROM library_record WHERE table_id = -1")
        raw.commit()
    finally:
        raw.close()
    rt.close()
    return {"rows": rows, "seconds": seconds}


def phase_ingest(url: str, data_dir: Path, path: Path, batch: int, vectorized: bool = True) -> dict:
    from govshare.identity.principal import PLATFORM
    from govshare.library import service
    from govshare.library.ingest import IngestOptions

    rt = _runtime(url, data_dir)
    started = time.perf_counter()
    options = IngestOptions(batch_size=batch, vectorized=vectorized)
    ingest_id = service.ingest(rt.db, actor=PLATFORM, code=CODE, path=path, options=options)
    seconds = time.perf_counter() - started
    with rt.db.read() as s:
        report = service.ingest_read(service.get_ingest(s, actor=PLATFORM, ingest_id=ingest_id))
    rt.close()
    return {
        "rows": report.rows_read,
        "seconds": seconds,
        "accepted": report.rows_accepted,
        "rejected": report.rows_rejected,
        "inserted": report.inserted,
        "unchanged": report.unchanged,
        "cleaning": {c.rule: c.count for c in report.cleaning},
        "validation": {c.rule: c.count for c in report.validation},
    }


def _child(argv: list[str]) -> None:
    phase, url, data_dir = argv[0], argv[1], Path(argv[2])
    if phase == "setup":
        out = phase_setup(url, data_dir)
    elif phase == "raw":
        out = phase_raw(url, data_dir, Path(argv[3]))
    elif phase == "rawrec":
        out = phase_raw_record(url, data_dir, Path(argv[3]))
    else:
        out = phase_ingest(url, data_dir, Path(argv[3]), int(argv[4]), vectorized=argv[5] == "1")
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out, ensure_ascii=False))


def run_phase(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--phase", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"phase {args[0]} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_store(label: str, url: str, data_dir: Path, path: Path, batch: int, vectorized: bool) -> dict:
    run_phase("setup", url, str(data_dir))
    raw = run_phase("raw", url, str(data_dir), str(path))
    rawrec = run_phase("rawrec", url, str(data_dir), str(path)) if url.startswith("sqlite") else None
    flag = "1" if vectorized else "0"
    ingest = run_phase("ingest", url, str(data_dir), str(path), str(batch), flag)
    again = run_phase("ingest", url, str(data_dir), str(path), str(batch), flag)
    result = {
        "store": label,
        "rows": ingest["rows"],
        "raw_rows_per_s": raw["rows"] / raw["seconds"],
        "ingest_rows_per_s": ingest["rows"] / ingest["seconds"],
        "reingest_rows_per_s": again["rows"] / again["seconds"],
        "ratio": raw["seconds"] / ingest["seconds"],
        "raw_record_rows_per_s": rawrec["rows"] / rawrec["seconds"] if rawrec else None,
        "ratio_same_table": rawrec["seconds"] / ingest["seconds"] if rawrec else None,
        "raw_seconds": raw["seconds"],
        "ingest_seconds": ingest["seconds"],
        "reingest_seconds": again["seconds"],
        "raw_peak_rss_mb": raw["peak_rss_mb"],
        "ingest_peak_rss_mb": ingest["peak_rss_mb"],
        "accepted": ingest["accepted"],
        "rejected": ingest["rejected"],
        "unchanged_on_reingest": again["unchanged"],
        "cleaning": ingest["cleaning"],
        "validation": ingest["validation"],
    }
    print(
        f"{label:10s} {result['rows']:,} rows | raw {result['raw_rows_per_s']:,.0f}/s ({raw['seconds']:.2f} s) | "
        f"ingest {result['ingest_rows_per_s']:,.0f}/s ({ingest['seconds']:.2f} s) | ratio {result['ratio']:.2f} | "
        + (
            f"raw into library_record {result['raw_record_rows_per_s']:,.0f}/s "
            f"(ratio {result['ratio_same_table']:.2f}) | "
            if rawrec
            else ""
        )
        + f"re-ingest {result['reingest_rows_per_s']:,.0f}/s | peak RSS raw {raw['peak_rss_mb']:.0f} MB, "
        f"ingest {ingest['peak_rss_mb']:.0f} MB | accepted {ingest['accepted']:,} rejected {ingest['rejected']:,} | "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=50_000, help="rows per atomic ingest batch")
    ap.add_argument("--postgres", default="", help="also measure on PostgreSQL (a scratch database is created)")
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--file", type=Path, help="reuse this CSV instead of generating one")
    ap.add_argument("--json", action="store_true", help="print the results as JSON at the end")
    ap.add_argument("--row-by-row", action="store_true", help="measure without the vectorized fast path")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="govshare-bench-ingest-"))
    results = []
    try:
        path = args.file
        if path is None:
            path = tmp / "persons.csv"
            t0 = time.perf_counter()
            kinds = generate(path, args.rows)
            print(f"generated {args.rows:,} rows ({kinds['bad']:,} bad, {kinds['cleanable']:,} to clean), "
                  f"{path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s", flush=True)  # fmt: skip
        with open(path, "rb") as f:  # into the OS cache, so every phase reads it alike
            while f.read(1 << 24):
                pass
        mode = "row by row" if args.row_by_row else "vectorized fast path"
        load, when = os.getloadavg()[0], f"{dt.datetime.now():%Y-%m-%d %H:%M}"
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs (load {load:.1f}), {mode}, {when}", flush=True)
        if not args.skip_sqlite:
            url = f"sqlite:///{tmp / 'bench.db'}"
            results.append(bench_store("sqlite", url, tmp / "sqlite", path, args.batch, not args.row_by_row))
        if args.postgres:
            from sqlalchemy import create_engine, text

            admin_url = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
            name = f"govshare_bench_ingest_{uuid.uuid4().hex[:8]}"
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = admin_url.rsplit("/", 1)[0] + f"/{name}"
                results.append(bench_store("postgresql", url, tmp / "pg", path, args.batch, not args.row_by_row))
            finally:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        "\n| store | rows | raw bulk insert | validated ingest | ratio | raw into library_record (ratio) "
        "| re-ingest (unchanged) | peak RSS ingest |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        cells = [r["store"], f"{r['rows']:,}", f"{r['raw_rows_per_s']:,.0f} rows/s"]
        cells += [f"{r['ingest_rows_per_s']:,.0f} rows/s", f"{r['ratio']:.2f}"]
        same = r["raw_record_rows_per_s"]
        cells += [f"{same:,.0f} rows/s ({r['ratio_same_table']:.2f})" if same else "—"]
        cells += [f"{r['reingest_rows_per_s']:,.0f} rows/s", f"{r['ingest_peak_rss_mb']:.0f} MB"]
        print("| " + " | ".join(cells) + " |")
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--phase":
        _child(sys.argv[2:])
    else:
        main()
