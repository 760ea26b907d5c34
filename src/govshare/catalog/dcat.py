"""The open catalog as DCAT-AP 3.0.1 (rdflib): JSON-LD and Turtle, paginated, ``modified_since``.

Each open resource is a ``dcat:Dataset`` with one ``dcat:Distribution`` per format; a resource offered through an
interface (共享方式 接口, or served by the provider's API) is also a ``dcat:DataService`` serving it. Every node a
property points to is typed in the same graph (publisher ``foaf:Agent``, contact ``vcard:Kind``, licence
``dct:LicenseDocument``, formats ``dct:MediaTypeOrExtent`` …) because the DCAT-AP range shapes check the class of
each referenced node. Controlled values use the EU Publications Office vocabularies DCAT-AP recommends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from govshare.catalog.models import Resource
from govshare.catalog.vocab import LABELS_ZH, OpenType, ResourceFormat, ServedBy, ShareMode, UpdateCycle

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU = "http://publications.europa.eu/resource/authority/"
FREQ = Namespace(EU + "frequency/")
FILETYPE = Namespace(EU + "file-type/")
ACCESS = Namespace(EU + "access-right/")
THEME = Namespace(EU + "data-theme/")
LANG_ZHO = URIRef(EU + "language/ZHO")
PUBLISHER_TYPE = URIRef(EU + "publisher-type/LocalAuthority")
AVAILABILITY = URIRef("http://data.europa.eu/r5r/availability/stable")
DCATAP = Namespace("http://data.europa.eu/r5r/")
DCAT_VERSION = URIRef(str(DCAT) + "version")  # DCAT 3 term, not in rdflib's closed DCAT namespace

FREQUENCY = {
    UpdateCycle.irregular: "IRREG",
    UpdateCycle.realtime: "CONT",
    UpdateCycle.daily: "DAILY",
    UpdateCycle.weekly: "WEEKLY",
    UpdateCycle.monthly: "MONTHLY",
    UpdateCycle.quarterly: "QUARTERLY",
    UpdateCycle.semiannual: "BIANNUAL",  # EU "biannual" = twice a year
    UpdateCycle.annual: "ANNUAL",
    UpdateCycle.other: "OTHER",
}
FILE_TYPE = {
    ResourceFormat.document: ("PDF", "PDF 电子文件"),
    ResourceFormat.spreadsheet: ("XLSX", "电子表格"),
    ResourceFormat.database: ("SQL", "数据库"),
    ResourceFormat.image: ("JPEG", "图形图像"),
    ResourceFormat.media: ("MP4", "流媒体"),
    ResourceFormat.self_describing: ("JSON", "自描述格式 (JSON/XML)"),
    ResourceFormat.service: ("JSON", "服务接口"),
    ResourceFormat.other: ("BIN", "其他"),
}
#: 类+项 of the classification → EU data theme.
THEMES = {
    "101": "SOCI",
    "102": "ECON",
    "103": "REGI",
    "104": "JUST",
    "105": "GOVE",
    "201": "SOCI",
    "202": "HEAL",
    "203": "EDUC",
    "204": "REGI",
    "205": "ECON",
    "206": "ENVI",
    "207": "JUST",
    "208": "TRAN",
    "209": "SOCI",
    "210": "ECON",
    "211": "JUST",
    "212": "AGRI",
}
THEME_LABELS = {
    "SOCI": "人口与社会",
    "ECON": "经济与金融",
    "REGI": "地区与城市",
    "JUST": "司法、法律与公共安全",
    "GOVE": "政府与公共部门",
    "HEAL": "健康",
    "EDUC": "教育、文化与体育",
    "ENVI": "环境",
    "TRAN": "交通",
    "AGRI": "农业、渔业与林业",
}


@dataclass(frozen=True, slots=True)
class Org:
    id: str
    name: str
    uscc: str
    region_code: str


@dataclass(frozen=True, slots=True)
class Page:
    number: int
    size: int
    total: int


def is_api_served(r: Resource) -> bool:
    return ShareMode.api.value in (r.share_modes or []) or r.served_by == ServedBy.provider_api.value


def _dt(ts: datetime) -> Literal:
    return Literal(ts.replace(microsecond=0).isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime)


class _Builder:
    def __init__(self, base_url: str, orgs: dict[str, Org], region_names: dict[str, str]) -> None:
        self.base = base_url.rstrip("/")
        self.g = Graph()
        self.orgs = orgs
        self.region_names = region_names
        for prefix, ns in (
            ("dcat", DCAT),
            ("dct", DCTERMS),
            ("foaf", FOAF),
            ("vcard", VCARD),
            ("skos", SKOS),
            ("hydra", HYDRA),
            ("adms", ADMS),
            ("dcatap", DCATAP),
        ):
            self.g.bind(prefix, ns)
        self._typed: set[URIRef] = set()

    def uri(self, path: str) -> URIRef:
        return URIRef(f"{self.base}{path}")

    def _once(self, node: URIRef) -> bool:
        if node in self._typed:
            return False
        self._typed.add(node)
        return True

    def agent(self, org: Org) -> URIRef:
        node = self.uri(f"/api/v1/open/organizations/{org.id}")
        if self._once(node):
            g = self.g
            g.add((node, RDF.type, FOAF.Agent))
            g.add((node, RDF.type, FOAF.Organization))
            g.add((node, FOAF.name, Literal(org.name, lang="zh")))
            g.add((node, DCTERMS.type, self.concept(PUBLISHER_TYPE, "地方政府部门")))
            if org.uscc:
                g.add((node, DCTERMS.identifier, Literal(org.uscc)))
        return node

    def contact(self, org: Org) -> URIRef:
        node = self.uri(f"/api/v1/open/organizations/{org.id}#contact")
        if self._once(node):
            self.g.add((node, RDF.type, VCARD.Kind))
            self.g.add((node, RDF.type, VCARD.Organization))
            self.g.add((node, VCARD.fn, Literal(org.name, lang="zh")))
        return node

    def concept(self, node: URIRef, label: str) -> URIRef:
        if self._once(node):
            self.g.add((node, RDF.type, SKOS.Concept))
            self.g.add((node, SKOS.prefLabel, Literal(label, lang="zh")))
        return node

    def licence(self) -> URIRef:
        node = self.uri("/api/v1/open/licence")
        if self._once(node):
            self.g.add((node, RDF.type, DCTERMS.LicenseDocument))
            self.g.add((node, RDFS.label, Literal("公共数据开放利用协议", lang="zh")))
        return node

    def rights(self, open_type: str) -> URIRef:
        code = "PUBLIC" if open_type == OpenType.unconditional else "RESTRICTED"
        node = ACCESS[code]
        if self._once(node):
            self.g.add((node, RDF.type, DCTERMS.RightsStatement))
            label = "无条件开放" if code == "PUBLIC" else "有条件开放"
            self.g.add((node, RDFS.label, Literal(label, lang="zh")))
        return node

    def frequency(self, cycle: str) -> URIRef:
        node = FREQ[FREQUENCY[UpdateCycle(cycle)]]
        if self._once(node):
            self.g.add((node, RDF.type, DCTERMS.Frequency))
            self.g.add((node, RDFS.label, Literal(LABELS_ZH[UpdateCycle][cycle], lang="zh")))
        return node

    def file_type(self, fmt: str) -> URIRef:
        code, label = FILE_TYPE[ResourceFormat(fmt)]
        node = FILETYPE[code]
        if self._once(node):
            self.g.add((node, RDF.type, DCTERMS.MediaTypeOrExtent))
            self.g.add((node, RDFS.label, Literal(label, lang="zh")))
        return node

    def theme_scheme(self) -> URIRef:
        node = URIRef(EU + "data-theme")
        if self._once(node):
            self.g.add((node, RDF.type, SKOS.ConceptScheme))
            self.g.add((node, DCTERMS.title, Literal("Data theme", lang="en")))
        return node

    def theme(self, class3: str) -> URIRef | None:
        code = THEMES.get(class3) or ("GOVE" if class3.startswith("3") else None)  # 部门信息资源: government
        if code is None:
            return None
        node = THEME[code]
        if self._once(node):
            self.g.add((node, RDF.type, SKOS.Concept))
            self.g.add((node, SKOS.prefLabel, Literal(THEME_LABELS[code], lang="zh")))
            self.g.add((node, SKOS.inScheme, self.theme_scheme()))
        return node

    def language(self) -> URIRef:
        if self._once(LANG_ZHO):
            self.g.add((LANG_ZHO, RDF.type, DCTERMS.LinguisticSystem))
        return LANG_ZHO

    def location(self, region_code: str) -> URIRef:
        node = self.uri(f"/api/v1/open/regions/{region_code}")
        if self._once(node):
            self.g.add((node, RDF.type, DCTERMS.Location))
            self.g.add((node, SKOS.prefLabel, Literal(self.region_names.get(region_code, region_code), lang="zh")))
            self.g.add((node, SKOS.notation, Literal(region_code)))
        return node

    def document(self, url: URIRef, label: str) -> URIRef:
        if self._once(url):
            self.g.add((url, RDF.type, FOAF.Document))
            self.g.add((url, RDFS.label, Literal(label, lang="zh")))
        return url

    def schema_standard(self, dataset: URIRef, r: Resource) -> URIRef:
        """The data items (信息项) as the standard the distributions conform to: field-level description."""
        node = URIRef(f"{dataset}#items")
        g = self.g
        g.add((node, RDF.type, DCTERMS.Standard))
        g.add((node, DCTERMS.title, Literal(f"{r.name} 信息项说明", lang="zh")))
        desc = "；".join(
            f"{i.name} ({i.machine_name}{', ' + i.data_type if i.data_type else ''}"
            f"{', 长度 ' + str(i.length) if i.length else ''})"
            for i in r.items
        )
        g.add((node, DCTERMS.description, Literal(desc, lang="zh")))
        return node

    def dataset(self, r: Resource, catalog: URIRef) -> None:
        g = self.g
        ds = self.uri(f"/api/v1/open/datasets/{r.id}")
        org = self.orgs.get(r.provider_org_id) or Org(r.provider_org_id, r.provider_org_id, "", "")
        g.add((catalog, DCAT.dataset, ds))
        g.add((ds, RDF.type, DCAT.Dataset))
        g.add((ds, DCTERMS.title, Literal(r.name, lang="zh")))
        g.add((ds, DCTERMS.description, Literal(r.summary or r.name, lang="zh")))
        g.add((ds, DCTERMS.identifier, Literal(r.code)))
        for kw in r.keywords or []:
            g.add((ds, DCAT.keyword, Literal(kw, lang="zh")))
        g.add((ds, DCTERMS.publisher, self.agent(org)))
        g.add((ds, DCAT.contactPoint, self.contact(org)))
        if r.published_at:
            g.add((ds, DCTERMS.issued, _dt(r.published_at)))
        if r.modified_at:
            g.add((ds, DCTERMS.modified, _dt(r.modified_at)))
        if r.published_version:
            g.add((ds, DCAT_VERSION, Literal(str(r.published_version))))
        if r.update_cycle:
            g.add((ds, DCTERMS.accrualPeriodicity, self.frequency(r.update_cycle)))
        theme = self.theme(r.classification_code[:3])
        if theme is not None:
            g.add((ds, DCAT.theme, theme))
        g.add((ds, DCTERMS.accessRights, self.rights(r.open_type or "")))
        g.add((ds, DCTERMS.language, self.language()))
        if org.region_code:
            g.add((ds, DCTERMS.spatial, self.location(org.region_code)))
        landing = self.document(self.uri(f"/open/datasets/{r.id}"), r.name)  # the portal's page
        g.add((ds, DCAT.landingPage, landing))
        standard = self.schema_standard(ds, r)
        formats = list(r.formats or []) or [ResourceFormat.other.value]
        service = self.data_service(r, ds, org) if is_api_served(r) else None
        for fmt in formats:
            dist = URIRef(f"{ds}#dist-{fmt}")
            g.add((ds, DCAT.distribution, dist))
            g.add((dist, RDF.type, DCAT.Distribution))
            g.add((dist, DCTERMS.title, Literal(f"{r.name} ({LABELS_ZH[ResourceFormat][fmt]})", lang="zh")))
            g.add((dist, DCAT.accessURL, landing))
            g.add((dist, DCTERMS.format, self.file_type(fmt)))
            g.add((dist, DCTERMS.license, self.licence()))
            g.add((dist, DCTERMS.conformsTo, standard))
            g.add((dist, DCTERMS.description, Literal(f"{r.name}, {LABELS_ZH[ResourceFormat][fmt]}", lang="zh")))
            g.add((dist, DCATAP.availability, self.concept(AVAILABILITY, "长期可用")))
            if service is not None and fmt in (ResourceFormat.service.value, ResourceFormat.self_describing.value):
                g.add((dist, DCAT.accessService, service))

    def data_service(self, r: Resource, ds: URIRef, org: Org) -> URIRef:
        g = self.g
        node = self.uri(f"/api/v1/open/services/{r.id}")
        g.add((node, RDF.type, DCAT.DataService))
        g.add((node, DCTERMS.title, Literal(f"{r.name} 数据接口", lang="zh")))
        g.add((node, DCTERMS.description, Literal(f"通过共享交换平台接口按条件查询「{r.name}」", lang="zh")))
        # The exchange gateway answers data queries for the resource (POST, with a grant; exchange domain).
        g.add((node, DCAT.endpointURL, self.uri(f"/exchange/v1/resources/{r.code}/query")))
        g.add((node, DCAT.endpointDescription, self.uri("/openapi.json")))
        g.add((node, DCAT.servesDataset, ds))
        g.add((node, DCTERMS.publisher, self.agent(org)))
        g.add((node, DCAT.contactPoint, self.contact(org)))
        g.add((node, DCTERMS.accessRights, self.rights(r.open_type or "")))
        g.add((node, DCTERMS.license, self.licence()))
        g.add((node, DCTERMS.conformsTo, URIRef(f"{ds}#items")))
        for kw in r.keywords or []:
            g.add((node, DCAT.keyword, Literal(kw, lang="zh")))
        theme = self.theme(r.classification_code[:3])
        if theme is not None:
            g.add((node, DCAT.theme, theme))
        return node


def build_graph(
    resources: Iterable[Resource],
    *,
    base_url: str,
    orgs: dict[str, Org],
    operator: Org | None,
    region_names: dict[str, str],
    page: Page,
    modified_since: datetime | None,
    issued: datetime | None,
    modified: datetime | None,
) -> Graph:
    b = _Builder(base_url, orgs, region_names)
    g = b.g
    catalog = b.uri("/api/v1/open/catalog")
    g.add((catalog, RDF.type, DCAT.Catalog))
    publisher = operator or Org("platform", "govshare 政务数据共享交换平台", "", "")
    g.add((catalog, DCTERMS.title, Literal(f"{publisher.name}公共数据开放目录", lang="zh")))
    g.add(
        (
            catalog,
            DCTERMS.description,
            Literal("政务数据共享交换平台中向社会开放的公共数据资源目录 (DCAT-AP 3.0.1)", lang="zh"),
        )
    )
    g.add((catalog, DCTERMS.publisher, b.agent(publisher)))
    g.add((catalog, DCTERMS.language, b.language()))
    g.add((catalog, DCTERMS.license, b.licence()))
    g.add((catalog, DCAT.themeTaxonomy, b.theme_scheme()))
    g.add((catalog, FOAF.homepage, b.document(b.uri("/"), "公共数据开放门户")))
    if issued:
        g.add((catalog, DCTERMS.issued, _dt(issued)))
    if modified:
        g.add((catalog, DCTERMS.modified, _dt(modified)))
    if publisher.region_code:
        g.add((catalog, DCTERMS.spatial, b.location(publisher.region_code)))
    for r in resources:
        b.dataset(r, catalog)
        if is_api_served(r):
            g.add((catalog, DCAT.service, b.uri(f"/api/v1/open/services/{r.id}")))
    # Paging as CKAN's DCAT does it (hydra): harvesters follow hydra:next.
    view = BNode()
    since = f"&modified_since={modified_since.isoformat()}" if modified_since else ""

    def page_url(n: int) -> URIRef:
        return URIRef(f"{base_url.rstrip('/')}/api/v1/open/catalog.ttl?page={n}&page_size={page.size}{since}")

    last = max(1, -(-page.total // page.size))
    g.add((view, RDF.type, HYDRA.PartialCollectionView))
    g.add((view, HYDRA.totalItems, Literal(page.total, datatype=XSD.integer)))
    g.add((view, HYDRA.itemsPerPage, Literal(page.size, datatype=XSD.integer)))
    g.add((view, HYDRA.first, page_url(1)))
    g.add((view, HYDRA.last, page_url(last)))
    if page.number < last:
        g.add((view, HYDRA.next, page_url(page.number + 1)))
    if page.number > 1:
        g.add((view, HYDRA.previous, page_url(page.number - 1)))
    g.add((catalog, HYDRA.view, view))
    return g


JSONLD_CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "skos": str(SKOS),
    "hydra": str(HYDRA),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "dcatap": str(DCATAP),
}


def serialize(graph: Graph, fmt: str) -> bytes:
    if fmt == "jsonld":
        return graph.serialize(format="json-ld", context=JSONLD_CONTEXT, indent=1, ensure_ascii=False).encode()
    return graph.serialize(format="turtle").encode()
