"""The demo library of 示范市 loads through the real pipeline, with its deliberate quality problems."""

from __future__ import annotations

from sqlalchemy import func, select

from govshare.identity import service as identity
from govshare.identity.principal import PLATFORM, OrgKind
from govshare.identity.schemas import OrganizationCreate
from govshare.library import service
from govshare.library.models import LibraryRecord
from govshare.seed.city import build_city
from govshare.seed.library_data import DEMO_TABLES, load_demo_library
from govshare.seed.persons import write_persons_csv


def test_demo_library_loads_all_five_with_known_problems(runtime, tmp_path):
    city = build_city(2026)
    wanted = {"sjj", "gaj", "mzj", "scjgj", "wjw", "bdcdjzx", "zrzyj"}
    orgs: dict[str, str] = {}
    with runtime.db.write() as s:
        for dept in sorted(city.departments, key=lambda d: d.kind != OrgKind.platform_operator):
            if dept.short_code in wanted:
                org = identity.create_organization(
                    s,
                    actor=PLATFORM,
                    data=OrganizationCreate(
                        name=dept.name, uscc=dept.uscc, level=dept.level, region_code=dept.region_code,
                        kind=dept.kind, short_code=dept.short_code,
                    ),
                )  # fmt: skip
                orgs[dept.short_code] = org.id
    persons = tmp_path / "persons.csv"
    write_persons_csv(persons, 4000, seed=2026)

    summary = load_demo_library(runtime, persons_csv=persons, orgs_by_short_code=orgs, entities=120)
    assert set(summary["tables"]) == set(DEMO_TABLES)
    by_file = {i["file"]: i for i in summary["ingests"]}
    assert by_file["persons.csv"]["inserted"] == 4000
    corrections = by_file["persons_corrections.csv"]
    assert (corrections["updated"], corrections["rejected"]) == (5, 6)
    assert by_file["legal_entities.csv"]["rejected"] == 1 and by_file["places.csv"]["rejected"] == 2
    assert by_file["credit.csv"]["rejected"] == 1 and by_file["licences.csv"]["rejected"] == 2

    with runtime.db.read() as s:
        codes = summary["tables"].values()
        reports = {code: service.latest_quality(s, actor=PLATFORM, code=code).report for code in codes}
        entity_report = service.ingest_read(
            service.get_ingest(s, actor=PLATFORM, ingest_id=by_file["legal_entities.csv"]["ingest_id"])
        )
    assert {w.rule: w.count for w in entity_report.warnings} == {"uscc_checksum_accepted": 2}
    violations = {c["name"]: c["violations"] for r in reports.values() for c in r["consistency"] if c["status"] == "ok"}
    assert violations == {
        "legal_rep_in_population": 3,
        "holder_name_matches_population": 5,
        "deceased_hold_no_valid_licence": 5,
        "entity_subject_registered": 3,
        "person_subject_registered": 0,
    }
    licence_types = reports[DEMO_TABLES["licence"][0]]
    assert licence_types["rows"] > 500

    # Loading again changes nothing (tables kept, files already loaded skipped).
    with runtime.db.read() as s:
        before = s.scalar(select(func.count()).select_from(LibraryRecord))
    again = load_demo_library(runtime, persons_csv=persons, orgs_by_short_code=orgs, entities=120)
    assert all(i["skipped"] for i in again["ingests"]) and len(again["ingests"]) == 6
    with runtime.db.read() as s:
        assert s.scalar(select(func.count()).select_from(LibraryRecord)) == before
