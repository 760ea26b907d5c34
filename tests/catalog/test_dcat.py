"""The open catalog as DCAT-AP 3.0.1: the demo catalog's export validates against the official SHACL shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from govshare.identity.principal import PLATFORM

#: ``shared/`` sits beside the repository (in CI too: a fresh clone with ../shared).
SHAPES_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "standards" / "dcat-ap-3.0.1"
HYDRA = "http://www.w3.org/ns/hydra/core#"


@pytest.fixture
def demo_catalog(runtime) -> dict[str, str]:
    """The whole demo city's departments (organizations only) and its demo catalog."""
    from govshare.identity import service as identity
    from govshare.identity.schemas import OrganizationCreate
    from govshare.seed.catalog_data import load_demo_catalog
    from govshare.seed.city import build_city

    with runtime.db.write() as s:
        orgs = {}
        for d in sorted(build_city(2026).departments, key=lambda d: d.kind != "platform_operator"):
            org = identity.create_organization(
                s,
                actor=PLATFORM,
                data=OrganizationCreate(
                    name=d.name,
                    uscc=d.uscc,
                    level=d.level,
                    region_code=d.region_code,
                    kind=d.kind,
                    short_code=d.short_code,
                ),
            )
            orgs[d.short_code] = org.id
        assert load_demo_catalog(s, orgs_by_short_code=orgs) >= 60
    return orgs


def _shapes() -> Graph:
    assert (SHAPES_DIR / "shapes.ttl").is_file(), (
        f"DCAT-AP shapes not found at {SHAPES_DIR} (need ../shared beside the repo)"
    )
    shapes = Graph()
    shapes.parse(SHAPES_DIR / "shapes.ttl", format="turtle")
    shapes.parse(SHAPES_DIR / "range.ttl", format="turtle")
    return shapes


def test_demo_catalog_export_conforms_to_dcat_ap_shapes(client, demo_catalog):
    import pyshacl

    resp = client.get("/api/v1/open/catalog.ttl", params={"page_size": 1000})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/turtle")
    data = Graph().parse(data=resp.text, format="turtle")
    datasets = set(data.subjects(RDF.type, DCAT.Dataset))
    services = set(data.subjects(RDF.type, DCAT.DataService))
    assert len(datasets) >= 20 and services  # the open part of the demo catalog, API-served ones as services
    conforms, _, report = pyshacl.validate(data, shacl_graph=_shapes(), advanced=True)
    assert conforms, report

    # every service serves a dataset of the export, and each dataset carries its code and publisher
    for svc in services:
        assert set(data.objects(svc, DCAT.servesDataset)) <= datasets
    for ds in datasets:
        assert list(data.objects(ds, DCTERMS.identifier)) and list(data.objects(ds, DCTERMS.publisher))

    # JSON-LD says the same
    jl = client.get("/api/v1/open/catalog.jsonld", params={"page_size": 1000})
    assert jl.headers["content-type"].startswith("application/ld+json")
    assert len(Graph().parse(data=jl.text, format="json-ld")) == len(data)


def test_only_open_published_entries_are_exported(client, runtime, demo_catalog):
    from govshare.catalog import service
    from govshare.catalog.search import SearchQuery

    with runtime.db.read() as s:
        public = service.search(s, actor=None, query=SearchQuery(limit=100))
        everything = service.search(s, actor=PLATFORM, query=SearchQuery(limit=100))
    data = Graph().parse(data=client.get("/api/v1/open/catalog.ttl?page_size=1000").text, format="turtle")
    exported = {str(o) for o in data.objects(None, DCTERMS.identifier) if "/" in str(o)}
    assert exported == {h.code for h in public.items}
    assert len(exported) < everything.total
    closed = next(h for h in everything.items if h.name == "人口基础信息")
    assert closed.code not in exported


def test_pagination_and_modified_since(client, demo_catalog):
    first = Graph().parse(data=client.get("/api/v1/open/catalog.ttl?page=1&page_size=10").text, format="turtle")
    second = Graph().parse(data=client.get("/api/v1/open/catalog.ttl?page=2&page_size=10").text, format="turtle")
    ds1 = set(first.subjects(RDF.type, DCAT.Dataset))
    ds2 = set(second.subjects(RDF.type, DCAT.Dataset))
    assert len(ds1) == 10 and len(ds2) == 10 and not ds1 & ds2
    view = next(first.subjects(RDF.type, URIRef(HYDRA + "PartialCollectionView")))
    assert "page=2" in str(next(first.objects(view, URIRef(HYDRA + "next"))))
    total = int(next(first.objects(view, URIRef(HYDRA + "totalItems"))))
    assert total >= 20
    later = client.get("/api/v1/open/catalog.ttl", params={"modified_since": "2999-01-01T00:00:00Z"})
    assert not set(Graph().parse(data=later.text, format="turtle").subjects(RDF.type, DCAT.Dataset))
    earlier = client.get(
        "/api/v1/open/catalog.ttl", params={"modified_since": "2000-01-01T00:00:00Z", "page_size": 1000}
    )
    assert len(set(Graph().parse(data=earlier.text, format="turtle").subjects(RDF.type, DCAT.Dataset))) == total
    bad = client.get("/api/v1/open/catalog.ttl", params={"page": 0})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
