"""Catalog search: the jieba token index, facets, sorting and keyset cursors, identical on SQLite and PostgreSQL.

Why a token table and not FTS5/tsvector: the two engines tokenize and rank differently (bm25 vs ts_rank), so
"same results for the same data" would need two rankers kept in step. Here both stores hold the same postings,
produced by the same jieba code, and a query is the same SQL on both (but for one branch: PostgreSQL reads the
page's hits in the same statement, to save a round trip). See docs/catalog.md.

Layout, for speed: a posting (token, doc) also carries the resource's visibility bits, provider number,
classification and a packed integer of its enumerated facets (``fkey``). A one-word query is then one range scan
of the posting index, with no join: the page is the top of that range by weight, and the facets come from one
GROUP BY over (provider, classification, fkey) — a few hundred rows — which Python spreads over the seven facet
dimensions, each ignoring its own filter (disjunctive facets). A query of several words joins the rarest word's
postings with the others' by primary key. Searches without words read their facets from the counts of the
pseudo-token ``ALL_DOCS`` (every resource) and their page from ``catalog_search_doc``.

Per search, as little as possible besides the store's own work: statements are built once per shape (``_Shape``)
and run with bound values, a cold search is one or two statements, and a read session that has not begun runs
them without a transaction (``_reading``).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections import Counter as Tally
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import (
    Connection,
    Integer,
    String,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from govshare.catalog.models import Counter, Item, Resource, SearchDoc, SearchFacet, SearchProvider, SearchToken
from govshare.catalog.permissions import is_reviewer, sees_workflow
from govshare.catalog.schemas import FacetValue, SearchHit, SearchResult
from govshare.catalog.text import query_tokens, weighted_tokens
from govshare.catalog.vocab import (
    FORMAT_BITS,
    LABELS_ZH,
    LEVEL_NUM,
    OpenType,
    ResourceFormat,
    ShareType,
    UpdateCycle,
    class_label,
)
from govshare.errors import invalid
from govshare.identity.principal import Principal

SORTS = ("relevance", "newest", "name", "code")
FACETS = ("provider", "classification", "share_type", "open_type", "update_cycle", "format", "level")
MAX_LIMIT = 100
MAX_WORDS = 8
VIS_LISTED, VIS_OPEN = 1, 2

# ---- the packed facet key: share 2 bits | open 2 | cycle 4 | level 3 | formats 8 ---------------------------
SHARE_NUM = {"": 0, "unconditional": 1, "conditional": 2, "none": 3}
OPEN_NUM = {"": 0, "unconditional": 1, "conditional": 2, "none": 3}
CYCLE_NUM = {"": 0, **{c.value: i for i, c in enumerate(UpdateCycle, start=1)}}
_SHARE_OF = {v: k for k, v in SHARE_NUM.items()}
_OPEN_OF = {v: k for k, v in OPEN_NUM.items()}
_CYCLE_OF = {v: k for k, v in CYCLE_NUM.items()}
_LEVEL_OF_NUM = {v: k for k, v in LEVEL_NUM.items()}
LEVEL_LABELS = {1: "L1 不敏感", 2: "L2 低敏感", 3: "L3 较敏感", 4: "L4 敏感", 0: "未分级"}


def pack(share: str, open_: str, cycle: str, level: int, formats: int) -> int:
    return SHARE_NUM[share] | OPEN_NUM[open_] << 2 | CYCLE_NUM[cycle] << 4 | level << 8 | formats << 11


def unpack(fkey: int) -> tuple[str, str, str, int, int]:
    return (
        _SHARE_OF[fkey & 3],
        _OPEN_OF[fkey >> 2 & 3],
        _CYCLE_OF[fkey >> 4 & 15],
        fkey >> 8 & 7,
        fkey >> 11 & 255,
    )


# ---- provider numbers (assigned once, never changed: cached per process) -------------------------------
_providers: WeakKeyDictionary = WeakKeyDictionary()
_providers_lock = threading.Lock()


def _provider_maps(session: Session) -> tuple[dict[str, int], dict[int, str]]:
    """org id ↔ provider number. Cached per process from read sessions only: they see committed rows, and a
    committed number never changes; a write session may see its own uncommitted number, which must not leak."""
    rt = session.info.get("runtime")
    writable = session.info.get("writable", True)
    cached = _providers.get(rt) if rt is not None and not writable else None
    if cached is None:
        rows = session.execute(select(SearchProvider.org_id, SearchProvider.no)).all()
        cached = ({o: n for o, n in rows}, {n: o for o, n in rows})
        if rt is not None and not writable:
            with _providers_lock:
                _providers[rt] = cached
    return cached


def _forget(session: Session) -> None:
    rt = session.info.get("runtime")
    if rt is not None:
        with _providers_lock:
            _providers.pop(rt, None)


def provider_no(session: Session, org_id: str, *, create: bool = False) -> int:
    """The number of ``org_id``; -1 if it has none (and ``create`` is false): it then provides nothing."""
    by_org, _ = _provider_maps(session)
    if org_id in by_org:
        return by_org[org_id]
    no = session.scalar(select(SearchProvider.no).where(SearchProvider.org_id == org_id))
    if no is None and create:
        dialect = session.get_bind().dialect.name
        ins = (postgresql if dialect == "postgresql" else sqlite).insert(SearchProvider).values(org_id=org_id)
        session.execute(ins.on_conflict_do_nothing(index_elements=["org_id"]))
        no = session.scalar(select(SearchProvider.no).where(SearchProvider.org_id == org_id))
    if no is None:
        return -1
    _forget(session)  # a number the cache did not know: reload it next time
    return no


def _orgs_of_providers(session: Session, numbers: set[int]) -> dict[int, str]:
    _, by_no = _provider_maps(session)
    if not numbers <= by_no.keys():
        _forget(session)
        _, by_no = _provider_maps(session)
    return {no: by_no.get(no, str(no)) for no in numbers}


# ---- the projection ----------------------------------------------------------------------------------
def _micros(ts: datetime | None) -> int:
    return int(ts.timestamp() * 1_000_000) if ts else 0


def doc_values(resource: Any, prov: int) -> dict:
    """Projection columns of ``resource`` (an ORM row, or any object with the same attributes)."""
    levels = [LEVEL_NUM.get(i.sensitivity or "", 0) for i in resource.items]
    mask = 0
    for f in resource.formats or []:
        mask |= FORMAT_BITS.get(f, 0)
    vis = 0
    if resource.is_listed:
        vis |= VIS_LISTED
        if resource.open_type in (OpenType.unconditional, OpenType.conditional):
            vis |= VIS_OPEN
    return dict(
        vis=vis,
        prov=prov,
        class3=int(resource.classification_code[:3]),
        fkey=pack(
            resource.share_type or "",
            resource.open_type or "",
            resource.update_cycle or "",
            max(levels, default=0),
            mask,
        ),
        status=resource.status,
        name=resource.name,
        code=resource.code,
        sort_us=_micros(resource.modified_at if resource.is_listed else resource.updated_at),
    )


def resource_tokens(resource: Any) -> dict[str, int]:
    extra: list[str] = []
    for item in resource.items:
        extra.append(item.machine_name)
        extra.extend(p for p in item.machine_name.split("_") if len(p) > 1)
    return weighted_tokens(
        resource.name, resource.summary, list(resource.keywords or []), [i.name for i in resource.items], extra
    )


POSTING_COLS = ("vis", "prov", "class3", "fkey")
#: The facet counts of this pseudo-token cover every resource, so a search without words reads its facets from
#: catalog_search_facet as a one-word search does (tens of thousands of count rows at 100k resources, instead of
#: every projection row). No posting has it: index tokens are never empty.
ALL_DOCS = ""


def sync_doc(session: Session, resource: Resource, *, content_changed: bool = True) -> None:
    """Bring the projection of ``resource`` up to date (in the caller's transaction): its doc row, its postings
    and the per-token facet counts."""
    doc = session.scalar(select(SearchDoc).where(SearchDoc.resource_id == resource.id))
    existed = doc is not None
    values = doc_values(resource, provider_no(session, resource.provider_org_id, create=True))
    shared = {k: values[k] for k in POSTING_COLS}
    if doc is None:
        doc = SearchDoc(resource_id=resource.id, tokens="", **values)
        session.add(doc)
        session.flush()
        content_changed = True
        before = shared
    else:
        before = {k: getattr(doc, k) for k in POSTING_COLS}
        for k, v in values.items():
            setattr(doc, k, v)
    old = [t for t in doc.tokens.split("\n") if t]
    if content_changed:
        weights = resource_tokens(resource)
        for i in range(0, len(old), 500):
            session.execute(
                delete(SearchToken).where(SearchToken.doc_id == doc.doc_id, SearchToken.token.in_(old[i : i + 500]))
            )
        if weights:
            session.execute(
                insert(SearchToken),
                [{"token": t, "doc_id": doc.doc_id, "weight": w, **shared} for t, w in weights.items()],
            )
        doc.tokens = "\n".join(sorted(weights))
        new = list(weights)
    else:
        new = old
        if old and shared != before:
            for i in range(0, len(old), 500):
                session.execute(
                    update(SearchToken)
                    .where(SearchToken.doc_id == doc.doc_id, SearchToken.token.in_(old[i : i + 500]))
                    .values(**shared)
                )
    _count(session, [ALL_DOCS, *old] if existed else old, before, [ALL_DOCS, *new], shared)
    session.flush()


def drop_doc(session: Session, resource_id: str) -> None:
    doc = session.scalar(select(SearchDoc).where(SearchDoc.resource_id == resource_id))
    if doc is None:
        return
    old = [t for t in doc.tokens.split("\n") if t]
    for i in range(0, len(old), 500):
        session.execute(
            delete(SearchToken).where(SearchToken.doc_id == doc.doc_id, SearchToken.token.in_(old[i : i + 500]))
        )
    _count(session, [ALL_DOCS, *old], {k: getattr(doc, k) for k in POSTING_COLS}, [], {})
    session.delete(doc)
    session.flush()


def _count(session: Session, old: list[str], before: dict, new: list[str], after: dict) -> None:
    """Move one resource's contribution in ``catalog_search_facet`` from (``old`` tokens, ``before`` columns) to
    (``new``, ``after``): one upsert of ±1 per changed key, in key order (concurrent writers on PostgreSQL then
    lock shared rows in the same order: no deadlock), then the rows that reached zero are deleted. Also bumps
    the catalog epoch, so cached facet counts of older epochs are never used again."""
    deltas: Tally = Tally()
    if before == after:
        old_set, new_set = set(old), set(new)
        for t in old_set - new_set:
            deltas[(t, *before.values())] -= 1
        for t in new_set - old_set:
            deltas[(t, *after.values())] += 1
    else:
        for t in old:
            deltas[(t, *before.values())] -= 1
        for t in new:
            deltas[(t, *after.values())] += 1
    bump_epoch(session)
    changes = sorted((k, d) for k, d in deltas.items() if d)
    if not changes:
        return
    names = ("token", *POSTING_COLS)
    rows = [{**dict(zip(names, k, strict=True)), "n": d} for k, d in changes]
    dialect = session.get_bind().dialect.name
    F = SearchFacet.__table__
    ins = (postgresql if dialect == "postgresql" else sqlite).insert(F)
    upsert = ins.on_conflict_do_update(index_elements=list(names), set_={"n": F.c.n + ins.excluded.n})
    conn = session.connection()  # Core executemany (the ORM has no bulk DELETE by parameters)
    for i in range(0, len(rows), 500):
        conn.execute(upsert, rows[i : i + 500])
    gone = [r for r in rows if r["n"] < 0]
    if gone:
        conn.execute(
            delete(F).where(
                F.c.token == bindparam("t"),
                F.c.vis == bindparam("v"),
                F.c.prov == bindparam("p"),
                F.c.class3 == bindparam("c"),
                F.c.fkey == bindparam("f"),
                F.c.n <= 0,
            ),
            [{"t": r["token"], "v": r["vis"], "p": r["prov"], "c": r["class3"], "f": r["fkey"]} for r in gone],
        )


# ---- the catalog epoch: a number bumped by every change of the projection, in the writing transaction ------
EPOCH_COUNTER = "search:epoch"


def bump_epoch(session: Session) -> None:
    dialect = session.get_bind().dialect.name
    ins = (postgresql if dialect == "postgresql" else sqlite).insert(Counter).values(name=EPOCH_COUNTER, value=1)
    session.execute(ins.on_conflict_do_update(index_elements=["name"], set_={"value": Counter.value + 1}))


_EPOCH = select(Counter.value).where(Counter.name == EPOCH_COUNTER)


def current_epoch(conn) -> int:  # noqa: ANN001
    return conn.scalar(_EPOCH) or 0


# ---- the query ---------------------------------------------------------------------------------------
@dataclass
class SearchQuery:
    q: str = ""
    provider: list[str] = field(default_factory=list)  # organization ids
    classification: list[str] = field(default_factory=list)  # 1-digit kind or 3-digit 类+项
    share_type: list[str] = field(default_factory=list)
    open_type: list[str] = field(default_factory=list)
    update_cycle: list[str] = field(default_factory=list)
    format: list[str] = field(default_factory=list)
    level: list[str] = field(default_factory=list)  # L1..L4
    status: list[str] = field(default_factory=list)
    mine: bool = False  # only the caller's own organization's resources
    open_only: bool = False  # only the open catalog, even for staff
    sort: str = ""
    limit: int = 20
    cursor: str | None = None
    facets: bool = True

    def fingerprint(self, tokens: list[str], sort: str) -> str:
        key = orjson.dumps(
            [tokens, self.provider, self.classification, self.share_type, self.open_type, self.update_cycle,
             self.format, self.level, self.status, self.mine, self.open_only, sort],
            option=orjson.OPT_SORT_KEYS,
        )  # fmt: skip
        return hashlib.sha256(key).hexdigest()[:16]


def _validate(query: SearchQuery) -> None:
    checks = (
        ("share_type", query.share_type, {s.value for s in ShareType}),
        ("open_type", query.open_type, {s.value for s in OpenType}),
        ("update_cycle", query.update_cycle, {s.value for s in UpdateCycle}),
        ("format", query.format, {s.value for s in ResourceFormat}),
        ("level", query.level, set(LEVEL_NUM)),
    )
    for name, values, allowed in checks:
        for v in values:
            if v not in allowed:
                raise invalid(
                    name, "filter_value_invalid", f"筛选值无效: {name}={v}", f"unknown filter value {name}={v}"
                )
    for v in query.classification:
        if not (v.isdigit() and len(v) in (1, 3)):
            raise invalid(
                "classification",
                "filter_value_invalid",
                f"分类筛选应为 1 位 (类) 或 3 位 (类+项) 代码: {v}",
                f"classification filter must be a 1- or 3-digit code: {v}",
            )
    if query.sort and query.sort not in SORTS:
        raise invalid("sort", "sort_invalid", f"排序方式无效: {query.sort}", f"unknown sort: {query.sort}")
    if not 1 <= query.limit <= MAX_LIMIT:
        raise invalid("limit", "limit_invalid", f"每页条数应为 1–{MAX_LIMIT}", f"limit must be 1–{MAX_LIMIT}")


@dataclass(frozen=True, slots=True)
class _PageRow:
    doc_id: int
    k: Any  # the sort key
    score: int


@dataclass
class _Filters:
    """The query's filters in the projection's terms (numbers), shared by the SQL and the facet arithmetic."""

    provider: set[int]
    classification: list[str]
    share_type: set[int]
    open_type: set[int]
    update_cycle: set[int]
    format: int
    level: set[int]

    def active(self) -> set[str]:
        return {n for n in FACETS if getattr(self, n)}


def _filters(session: Session, query: SearchQuery) -> _Filters:
    return _Filters(
        provider={provider_no(session, o) for o in query.provider},
        classification=list(query.classification),
        share_type={SHARE_NUM[v] for v in query.share_type},
        open_type={OPEN_NUM[v] for v in query.open_type},
        update_cycle={CYCLE_NUM[v] for v in query.update_cycle},
        format=_format_bits(query.format),
        level={LEVEL_NUM[v] for v in query.level},
    )


def _format_bits(values: list[str]) -> int:
    bits = 0
    for v in values:
        bits |= FORMAT_BITS[v]
    return bits


def _filter_key(f: _Filters) -> tuple:
    """Which filters a query has (the SQL's shape; the values are bound): provider, the length of each
    classification value (1: 类, 3: 类+项), share, open, cycle, level, format."""
    return (
        bool(f.provider),
        tuple(len(v) for v in f.classification),
        bool(f.share_type),
        bool(f.open_type),
        bool(f.update_cycle),
        bool(f.level),
        bool(f.format),
    )


def _filter_params(f: _Filters) -> dict:
    params: dict[str, Any] = {}
    if f.provider:
        params["f_prov"] = sorted(f.provider)
    for i, v in enumerate(f.classification):
        if len(v) == 3:
            params[f"f_class{i}"] = int(v)
        else:
            params[f"f_class{i}_lo"], params[f"f_class{i}_hi"] = int(v) * 100, int(v) * 100 + 99
    for name, values in (("share", f.share_type), ("open", f.open_type), ("cycle", f.update_cycle), ("level", f.level)):
        if values:
            params[f"f_{name}"] = sorted(values)
    if f.format:
        params["f_format"] = f.format
    return params


def _sql_filters(t, key: tuple, skip: str | None = None):  # noqa: ANN001  (t: columns with prov, class3, fkey)
    """The filters of ``_filter_key`` ``key`` on ``t``, but the one of dimension ``skip``; values bound by name."""
    provider, class_lengths, share, open_, cycle, level, format_ = key
    conds = []
    if provider and skip != "provider":
        conds.append(t.prov.in_(bindparam("f_prov", expanding=True)))
    if class_lengths and skip != "classification":
        conds.append(
            or_(
                *[
                    t.class3 == bindparam(f"f_class{i}")
                    if n == 3
                    else t.class3.between(bindparam(f"f_class{i}_lo"), bindparam(f"f_class{i}_hi"))
                    for i, n in enumerate(class_lengths)
                ]
            )
        )
    if share and skip != "share_type":
        conds.append(_fkey_part(t.fkey, 0, 3).in_(bindparam("f_share", expanding=True)))
    if open_ and skip != "open_type":
        conds.append(_fkey_part(t.fkey, 2, 3).in_(bindparam("f_open", expanding=True)))
    if cycle and skip != "update_cycle":
        conds.append(_fkey_part(t.fkey, 4, 15).in_(bindparam("f_cycle", expanding=True)))
    if level and skip != "level":
        conds.append(_fkey_part(t.fkey, 8, 7).in_(bindparam("f_level", expanding=True)))
    if format_ and skip != "format":
        conds.append(t.fkey.op(">>")(literal_column("11")).op("&")(bindparam("f_format")) != 0)
    return and_(true(), *conds)


def _fkey_part(fkey, shift: int, mask: int):  # noqa: ANN001, ANN202
    """One dimension of the packed facet key, ``(fkey >> shift) & mask``, with the numbers written into the SQL:
    PostgreSQL keeps statistics of these very expressions on catalog_search_doc (migration 0009), and matches
    them only if they are constants, not bound values. Without them it guessed one row for a filter on the update
    cycle and level, and read a page of a search without words with two parallel workers (4.8 ms instead of 0.3)."""
    part = fkey.op(">>")(literal_column(str(shift))) if shift else fkey
    return part.op("&")(literal_column(str(mask)))


def _dim_ok(f: _Filters, name: str, prov: int, class3: int, parts: tuple) -> bool:
    """Whether a facet combination passes the filter of dimension ``name`` alone."""
    share, open_, cycle, level, formats = parts
    if name == "provider":
        return prov in f.provider
    if name == "classification":
        c = f"{class3:03d}"
        return any(c == v if len(v) == 3 else c.startswith(v) for v in f.classification)
    if name == "share_type":
        return SHARE_NUM[share] in f.share_type
    if name == "open_type":
        return OPEN_NUM[open_] in f.open_type
    if name == "update_cycle":
        return CYCLE_NUM[cycle] in f.update_cycle
    if name == "format":
        return bool(formats & f.format)
    return level in f.level


def _facets(
    session: Session, f: _Filters, combos: list[tuple], providers: Tally, org_names: dict[str, str]
) -> tuple[int, dict]:
    """Facet counts from ``providers`` (provider → count, the other filters applied in SQL) and ``combos``
    (0, class3, fkey, count; the provider filter applied in SQL). The other dimensions are disjunctive here."""
    active = f.active() - {"provider"}
    decoded = {fkey: unpack(fkey) for fkey in {c[2] for c in combos}}
    tallies: dict[str, Tally] = {name: Tally() for name in FACETS}
    by_fkey: Tally = Tally()  # counts of the combinations that pass every filter, by packed key
    total = 0
    if not active:
        tp, tc = tallies["provider"], tallies["classification"]
        for prov, class3, fkey, n in combos:
            tp[prov] += n
            tc[class3] += n
            by_fkey[fkey] += n
            total += n
    else:
        for prov, class3, fkey, n in combos:
            parts = decoded[fkey]
            fails = [name for name in active if not _dim_ok(f, name, prov, class3, parts)]
            # Disjunctive: a combination counts for dimension D if it passes every filter except D's own.
            if not fails:
                total += n
                tallies["provider"][prov] += n
                tallies["classification"][class3] += n
                by_fkey[fkey] += n
            elif len(fails) == 1:
                _count_dim(tallies[fails[0]], fails[0], prov, class3, parts, n)
    for fkey, n in by_fkey.items():
        share, open_, cycle, level, formats = decoded[fkey]
        for name, value in (("share_type", share), ("open_type", open_), ("update_cycle", cycle), ("level", level)):
            if name not in active:
                tallies[name][value] += n
        if "format" not in active:
            _count_dim(tallies["format"], "format", 0, 0, decoded[fkey], n)
        for name in active - {"provider", "classification"}:
            _count_dim(tallies[name], name, 0, 0, decoded[fkey], n)
    tallies["provider"] = providers
    return total, _facet_values(session, tallies, org_names)


def _count_dim(tally: Tally, name: str, prov: int, class3: int, parts: tuple, n: int) -> None:
    share, open_, cycle, level, formats = parts
    if name == "provider":
        tally[prov] += n
    elif name == "classification":
        tally[class3] += n
    elif name == "share_type":
        tally[share] += n
    elif name == "open_type":
        tally[open_] += n
    elif name == "update_cycle":
        tally[cycle] += n
    elif name == "level":
        tally[level] += n
    else:
        for value, bit in FORMAT_BITS.items():
            if formats & bit:
                tally[value] += n


def _facet_values(session: Session, tallies: dict[str, Tally], org_names: dict[str, str]) -> dict:
    out: dict[str, list[FacetValue]] = {}
    providers = []
    org_of = _orgs_of_providers(session, set(tallies["provider"]))
    for no, n in tallies["provider"].items():
        org = org_of[no]
        providers.append(FacetValue(value=org, label=org_names.get(org, org), count=n))
    out["provider"] = sorted(providers, key=lambda v: (-v.count, v.value))
    out["classification"] = [
        FacetValue(value=f"{c:03d}", label=class_label(f"{c:03d}"), count=n)
        for c, n in sorted(tallies["classification"].items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    for name, family in (("share_type", ShareType), ("open_type", OpenType), ("update_cycle", UpdateCycle)):
        labels = LABELS_ZH[family]
        out[name] = [
            FacetValue(value=v, label=labels.get(v, "未填写"), count=tallies[name][v])
            for v in [*labels, ""]
            if tallies[name][v]
        ]
    fl = LABELS_ZH[ResourceFormat]
    out["format"] = [FacetValue(value=v, label=fl[v], count=tallies["format"][v]) for v in fl if tallies["format"][v]]
    out["level"] = [
        FacetValue(value=_LEVEL_OF_NUM.get(n, ""), label=LEVEL_LABELS[n], count=tallies["level"][n])
        for n in (1, 2, 3, 4, 0)
        if tallies["level"][n]
    ]
    return out


def _encode_cursor(fp: str, keys: list) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"f": fp, "k": keys})).decode().rstrip("=")


def _decode_cursor(cursor: str, fp: str, value_type: type) -> tuple[Any, int]:
    bad = invalid(
        "cursor", "cursor_invalid", "翻页游标无效或与查询条件不符", "cursor is invalid or belongs to another query"
    )
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        raise bad from None
    if not isinstance(data, dict) or data.get("f") != fp or not isinstance(data.get("k"), list):
        raise bad
    keys = data["k"]
    if len(keys) != 2 or not isinstance(keys[1], int) or not isinstance(keys[0], value_type):
        raise bad
    return keys[0], keys[1]


_df_cache: dict[str, tuple[float, int]] = {}
_DF_TTL = 600.0


def _rarest_first(conn: Connection, tokens: list[str]) -> list[str]:
    """Order words by rarity, so a multi-word query walks the shortest posting list first: on SQLite a nested
    loop from ``:w0``; on PostgreSQL a generic plan (``Database.prepared_connect``), which cannot tell the words'
    frequencies apart and so joins them in the order written (the wrong order cost 2.5x: public 食品经营许可
    10.2 ms against 4.0). It only steers the plan, never the result, so a per-process estimate up to ten minutes
    old is good enough.

    SQLite: the number of a word's facet-count rows (capped), which grows with the postings and costs a fraction
    of counting them; the words not yet known are estimated in one statement. PostgreSQL: the frequencies its
    own ANALYZE keeps for the most common tokens (``_token_frequencies``); a word not among them is rarer."""
    if len(tokens) < 2:
        return tokens
    if conn.dialect.name == "postgresql":
        freqs = _token_frequencies(conn)
        return sorted(tokens, key=lambda t: (freqs.get(t, 0.0), t))
    now = time.monotonic()
    stale = [t for t in tokens if (hit := _df_cache.get(t)) is None or hit[0] < now]
    if stale:
        if len(_df_cache) > 50_000:
            _df_cache.clear()
        stmt = _template(("df", len(stale)), lambda: _df_statement(len(stale)))
        for i, n in conn.execute(stmt, {f"w{i}": t for i, t in enumerate(stale)}):
            _df_cache[stale[i]] = (now + _DF_TTL, n or 0)
    counts = {t: _df_cache[t][1] for t in tokens}
    return sorted(tokens, key=lambda t: (counts[t], t))


#: engine -> (expiry, {token: share of the postings}) from PostgreSQL's statistics of catalog_search_token.token
_pg_token_stats: WeakKeyDictionary = WeakKeyDictionary()
_PG_TOKEN_STATS = text(
    "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats "
    "WHERE schemaname = current_schema() AND tablename = 'catalog_search_token' AND attname = 'token'"
)


def _token_frequencies(conn: Connection) -> dict[str, float]:
    """The most common tokens' shares of the postings, as PostgreSQL's ANALYZE sampled them (the most-common-
    values list; migration 0009 makes it 1,000 long). Read once per ten minutes per process: no statement per
    search. Empty before the first ANALYZE (a new, small store, where the order matters little)."""
    now = time.monotonic()
    hit = _pg_token_stats.get(conn.engine)
    if hit is None or hit[0] < now:
        row = conn.execute(_PG_TOKEN_STATS).first()
        freqs = dict(zip(row[0], row[1], strict=True)) if row is not None and row[0] else {}
        hit = _pg_token_stats[conn.engine] = (now + _DF_TTL, freqs)
    return hit[1]


def _df_statement(words: int):
    parts = []
    for i in range(words):
        capped = (
            select(literal(1).label("one"))
            .where(SearchFacet.token == bindparam(f"w{i}"))
            .limit(5_000)
            .subquery(f"c{i}")
        )
        parts.append(select(literal(i), func.count()).select_from(capped))
    return union_all(*parts) if words > 1 else parts[0]


#: One-word searches read their facets from catalog_search_facet (tests switch it off to compare with counting
#: the postings, which must give the same results).
USE_FACET_COUNTS = True

# ---- the result cache ----------------------------------------------------------------------------------
CACHE_SIZE = 2048
#: runtime -> OrderedDict(key -> (epoch, providers, combos, rows, total))
_cache: WeakKeyDictionary = WeakKeyDictionary()
_cache_lock = threading.Lock()


def _cache_get(rt: Any, key: tuple) -> tuple | None:
    with _cache_lock:
        entries = _cache.get(rt)
        if entries is None or key not in entries:
            return None
        entries.move_to_end(key)
        return entries[key]


def _cache_put(rt: Any, key: tuple, value: tuple) -> None:
    with _cache_lock:
        entries = _cache.setdefault(rt, OrderedDict())
        entries[key] = value
        entries.move_to_end(key)
        while len(entries) > CACHE_SIZE:
            entries.popitem(last=False)


def clear_cache() -> None:
    """Forget every cached result and SQLite's word-frequency estimates (the benchmark's cold runs; never needed
    for correctness). PostgreSQL's token statistics are kept: they are a snapshot of the store's last ANALYZE,
    read once per ten minutes, not of the catalog."""
    with _cache_lock:
        _cache.clear()
    _df_cache.clear()


# ---- the statements ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Shape:
    """All a search's SQL depends on but its values, which are bound by name: ``:w0``… the words (``:w0`` first
    in the join), ``:mine`` the caller's provider number, ``:status``, the filters' (``_filter_params``),
    ``:limit`` and ``:cursor_key``/``:cursor_doc``."""

    dialect: str
    words: int
    sort: str
    vis: str  # "open": the open catalog (the public, or open_only) · "staff" · "all" (reviewers)
    mine: bool  # only the caller's department
    status: str  # workflow-state filter: "" · "all" (reviewers) · "own" · "own+published"
    filters: tuple  # _filter_key
    counted: bool  # one word or none: the facets from catalog_search_facet
    facets: bool
    cursor: bool
    epoch: bool  # the statement also reads the catalog epoch, for the result cache

    @property
    def hits_in_main(self) -> bool:
        """Whether the main statement also reads the page's hits. On PostgreSQL that saves a round trip; SQLite
        runs in-process, where a second statement costs none and empty hit columns on every facet row would
        cost their result processing."""
        return self.facets and self.sort == "relevance" and self.dialect == "postgresql"


#: Searches of one shape share one statement, built once per process: building a statement of this size and
#: computing SQLAlchemy's cache key for it cost more CPU than the store spends on most searches.
_templates: dict[tuple, Any] = {}
TEMPLATES_MAX = 1024


def _template(key: tuple, build: Callable[[], Any]) -> Any:
    stmt = _templates.get(key)
    if stmt is None:
        if len(_templates) >= TEMPLATES_MAX:  # shapes are few; odd classification lists must not grow it forever
            _templates.clear()
        stmt = _templates[key] = build()
    return stmt


def _visible_conds(cols, vis: str, mine: bool, *, indexed: bool = True) -> list:  # noqa: ANN001
    """What the caller may see, on any relation with ``vis`` and ``prov`` columns (postings, docs, facet counts):
    the public the open catalog, staff the published catalog and their own department's entries (``:mine``),
    reviewers all. ``vis`` is compared by value, not by bit mask: PostgreSQL then estimates the match count from
    its statistics and picks a merge join for several words (a bit-mask predicate gets a blind guess and a
    nested loop).

    ``indexed=False``: the same conditions, written so that no index on ``vis`` or ``prov`` can serve them
    (``vis + 0``), for statements whose rows must come from another index. SQLite otherwise reads the staff's
    condition as two index lookups (its OR optimization) — 60k entries and a sort, where the page is the head of
    the newest-first index, or where the hits are 20 primary-key probes (6.5 ms against 0.06 ms)."""
    v, p = (cols.vis, cols.prov) if indexed else (cols.vis + literal_column("0"), cols.prov + literal_column("0"))
    visible = [true()]
    if vis == "open":
        visible.append(v == VIS_LISTED | VIS_OPEN)
    elif vis == "staff":
        visible.append(or_(v.in_([VIS_LISTED, VIS_LISTED | VIS_OPEN]), p == bindparam("mine")))
    if mine:
        visible.append(p == bindparam("mine"))
    return visible


def _status_conds(cols, status: str) -> list:  # noqa: ANN001
    """Workflow states are seen only on one's own entries (and by reviewers); to everyone else a published entry
    is just "published", whatever change its department is preparing."""
    if not status:
        return []
    states = SearchDoc.status.in_(bindparam("status", expanding=True))
    if status == "all":
        return [states]
    own = and_(cols.prov == bindparam("mine"), states)
    if status == "own":
        return [own]
    others = and_(cols.prov != bindparam("mine"), cols.vis.in_([VIS_LISTED, VIS_LISTED | VIS_OPEN]))
    return [or_(own, others)]


def _matched(words: int):
    """(doc_id, vis, prov, class3, fkey, score) of every resource containing all the words ``:w0``…"""
    t1 = SearchToken.__table__.alias("t1")
    score = t1.c.weight
    frm = t1
    for i in range(1, words):
        ti = SearchToken.__table__.alias(f"t{i + 1}")
        frm = frm.join(ti, and_(ti.c.token == bindparam(f"w{i}"), ti.c.doc_id == t1.c.doc_id))
        score = score + ti.c.weight
    return (
        select(t1.c.doc_id, t1.c.vis, t1.c.prov, t1.c.class3, t1.c.fkey, score.label("score"))
        .select_from(frm)
        .where(t1.c.token == bindparam("w0"))
        .subquery("m")
    )


def _relation(shape: _Shape):
    """(columns, score, from-clause) of the matched set: the postings of the words, or every resource when there
    are none."""
    if not shape.words:
        return SearchDoc.__table__.c, None, SearchDoc.__table__
    m = _matched(shape.words)
    needs_doc = bool(shape.status) or shape.sort != "relevance"
    return m.c, m.c.score, (m.join(SearchDoc, SearchDoc.doc_id == m.c.doc_id) if needs_doc else m)


def _sort_columns(shape: _Shape, score):  # noqa: ANN001
    """(order expression, key column, descending) of the page's sort."""
    if shape.sort == "relevance":
        return score, score, True
    if shape.sort == "newest":
        return SearchDoc.sort_us, SearchDoc.sort_us, True
    if shape.sort == "name":
        name = SearchDoc.name.collate("C") if shape.dialect == "postgresql" else SearchDoc.name
        return name, SearchDoc.name, False
    return SearchDoc.code, SearchDoc.code, False


def _after_cursor(order, doc_id, sort: str):  # noqa: ANN001
    """Keyset condition: after (``:cursor_key``, ``:cursor_doc``) in the page's order."""
    key, last = bindparam("cursor_key"), bindparam("cursor_doc")
    if sort == "relevance":  # score desc, doc id asc
        return or_(order < key, and_(order == key, doc_id > last))
    if sort == "newest":
        return or_(order < key, and_(order == key, doc_id < last))
    return or_(order > key, and_(order == key, doc_id > last))


def _main_statement(shape: _Shape):
    """Facets, page and epoch in one statement (one round trip): two small groupings over the matches — by
    provider with the other filters, by (classification, facet key) with the provider filter (grouping by all
    three would return one row per provider × combination: thousands, not hundreds) — then, sorted by relevance,
    the page (with its hits if ``shape.hits_in_main``, as ``_hits_statement`` reads them), and the catalog epoch
    for the result cache. Rows are (kind, a, b, c, n[, hit columns]): provider counts (0, prov, -, -, n),
    combinations (1, -, class3, fkey, n), the page (2, doc id, item position, -, score[, hit]), the epoch
    (3, -, -, -, epoch).

    Several words (or a workflow-state filter): the matches are one pass over the postings, a CTE (both stores
    materialize it, as it is read more than once), so the words are joined once. One word: the groupings read the
    word's precomputed counts in catalog_search_facet instead — a few thousand rows at most, however many
    resources match — and the page is the head of the rank index. No words: the counts of ``ALL_DOCS``, and the
    page comes from ``_page_statement``."""
    cols, score, source = _relation(shape)
    visible = [*_visible_conds(cols, shape.vis, shape.mine), *_status_conds(cols, shape.status)]
    with_page = shape.sort == "relevance"
    empty: list = []
    if shape.counted:
        F = SearchFacet.__table__.c
        fm = select(F.prov, F.class3, F.fkey, F.n).where(*_count_rows(F, shape)).subquery("fm")
        tally = func.sum(fm.c.n)
    else:
        fm_cols = [cols.prov, cols.class3, cols.fkey] + ([cols.doc_id, score.label("score")] if with_page else [])
        fm = select(*fm_cols).select_from(source).where(*visible).cte("fm")
        tally = func.count()
    provider_only = (shape.filters[0], (), False, False, False, False, False)
    branches = [
        select(literal(0), fm.c.prov, literal(0), literal(0), tally)
        .where(_sql_filters(fm.c, shape.filters, skip="provider"))
        .group_by(fm.c.prov),
        select(literal(1), literal(0), fm.c.class3, fm.c.fkey, tally)
        .where(_sql_filters(fm.c, provider_only))
        .group_by(fm.c.class3, fm.c.fkey),
    ]
    if with_page:
        page_of = source if shape.counted else fm
        top = select(page_of.c.doc_id, page_of.c.score).where(_sql_filters(page_of.c, shape.filters))
        limit = bindparam("limit", type_=Integer)
        if shape.counted:
            # No page when the counts show no visible match (a scan for none would read all the word's postings):
            # a limit of 0 is decided before the scan on both stores, a condition in WHERE is not on SQLite.
            fx = SearchFacet.__table__.alias("fx")
            any_match = select(literal(1)).where(*_count_rows(fx.c, shape), _sql_filters(fx.c, shape.filters))
            top = top.where(*visible)
            limit = case((any_match.exists(), limit), else_=0)
        if shape.cursor:
            top = top.where(_after_cursor(page_of.c.score, page_of.c.doc_id, "relevance"))
        top = top.order_by(page_of.c.score.desc(), page_of.c.doc_id.asc()).limit(limit).subquery("top")
    if with_page and shape.hits_in_main:
        # The page's hits: one row per (entry, matching item). First, as a union takes its column names and types
        # from its first branch; the other branches leave the hit columns empty.
        hits = select(
            literal(2).label("kind"),
            top.c.doc_id.label("a"),
            Item.position.label("b"),
            literal(0).label("c"),
            top.c.score.label("n"),
            *_hit_columns(),
        ).select_from(
            top.join(SearchDoc, SearchDoc.doc_id == top.c.doc_id)
            .join(Resource, Resource.id == SearchDoc.resource_id)
            .outerjoin(Item, and_(Item.resource_id == Resource.id, _items_matching(shape.words)))
        )
        empty = [null()] * (len(hits.selected_columns) - 5)
        branches = [hits, *(b.add_columns(*empty) for b in branches)]
    elif with_page:
        branches.append(select(literal(2), top.c.doc_id, literal(0), literal(0), top.c.score))
    if shape.epoch:
        epoch = select(literal(3), literal(0), literal(0), literal(0), Counter.value)
        branches.append(epoch.add_columns(*empty).where(Counter.name == EPOCH_COUNTER))
    return union_all(*branches)


def _count_rows(F, shape: _Shape) -> list:  # noqa: N803  (F: catalog_search_facet's columns, or an alias's)
    """The count rows of a counted search (``shape.counted``) that the caller may see: those of the word ``:w0``,
    or of ``ALL_DOCS`` when there are no words."""
    return [F.token == bindparam("w0"), *_visible_conds(F, shape.vis, shape.mine)]


def _count_statement(shape: _Shape):
    """The number of matches, when the facets (whose provider counts sum to it) are not asked for: from the word's
    count rows when there are any (``shape.counted``: one word or none — the open portal's front page counted 30k
    entries per view), else by counting the matches."""
    if shape.counted:
        F = SearchFacet.__table__.c
        return select(func.coalesce(func.sum(F.n), 0)).where(*_count_rows(F, shape), _sql_filters(F, shape.filters))
    cols, _, source = _relation(shape)
    return (
        select(func.count())
        .select_from(source)
        .where(
            *_visible_conds(cols, shape.vis, shape.mine),
            *_status_conds(cols, shape.status),
            _sql_filters(cols, shape.filters),
        )
    )


def _page_statement(shape: _Shape):
    """The page on its own (facets off, or not sorted by relevance): keyset on (sort key, doc id)."""
    cols, score, source = _relation(shape)
    order, key_col, desc = _sort_columns(shape, score)
    doc_id = cols.doc_id
    # Without words: the head of the sort's index (ix_catalog_search_doc_newest, _name, _code), which SQLite
    # passes over for the staff's visibility unless that is kept off the other indexes (PostgreSQL chooses it by
    # its statistics).
    ordered_scan = not shape.words and shape.dialect == "sqlite"
    conds = [
        *_visible_conds(cols, shape.vis, shape.mine, indexed=not ordered_scan),
        *_status_conds(cols, shape.status),
        _sql_filters(cols, shape.filters),
    ]
    if shape.cursor:
        conds.append(_after_cursor(order, doc_id, shape.sort))
    if shape.sort == "relevance":
        ordering = (order.desc(), doc_id.asc())
    else:
        ordering = (order.desc(), doc_id.desc()) if desc else (order.asc(), doc_id.asc())
    return (
        select(doc_id.label("doc_id"), key_col.label("k"), (score if score is not None else literal(0)).label("score"))
        .select_from(source)
        .where(*conds)
        .order_by(*ordering)
        .limit(bindparam("limit", type_=Integer))
    )


def _hit_columns(with_items: bool = True) -> list:
    """A hit's columns: the entry as listed, its packed facets (for the level) and a matching item's name."""
    R = Resource
    cols = [
        SearchDoc.fkey, R.id, R.code, R.name, R.summary, R.provider_org_id, R.classification_code, R.share_type,
        R.open_type, R.update_cycle, R.formats, R.status, R.is_listed, R.completeness, R.modified_at,
    ]  # fmt: skip
    return [*cols, Item.name.label("item_name")] if with_items else cols


def _items_matching(words: int):
    """Data items whose name contains one of the words (``:like0``…, see ``_contains_pattern``)."""
    return or_(*[func.lower(Item.name).like(bindparam(f"like{i}", type_=String), escape="/") for i in range(words)])


def _hits_statement(words: int, vis: str, mine: bool):
    """The resources of a page read before (``:ids``: from the cache, or sorted other than by relevance) and
    their data items whose name contains a word: a left join on the covering item index. The caller's
    visibility is checked again, as the page may come from another snapshot."""
    stmt = select(SearchDoc.doc_id, *_hit_columns(with_items=bool(words))).join(
        Resource, Resource.id == SearchDoc.resource_id
    )
    if words:
        stmt = stmt.outerjoin(Item, and_(Item.resource_id == Resource.id, _items_matching(words)))
        stmt = stmt.order_by(SearchDoc.doc_id, Item.position)
    return stmt.where(
        SearchDoc.doc_id.in_(bindparam("ids", expanding=True)),
        *_visible_conds(SearchDoc.__table__.c, vis, mine, indexed=False),
    )


def _contains_pattern(word: str) -> str:
    """A LIKE pattern for "contains ``word``", escaped with ``/``."""
    return "%" + word.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


@contextmanager
def _reading(session: Session, *, generic_plans: bool) -> Iterator[Connection]:
    """The connection a search reads on. A read session that has not begun: a pooled connection without a
    transaction (``Database.quick_connect``) — no BEGIN and ROLLBACK round trips, no session bookkeeping; each
    statement then reads the latest committed state on its own (why that is safe: ``search``). Otherwise the
    session's own connection: a caller already reading in a transaction keeps its snapshot, and a write session
    sees its own changes.

    ``generic_plans``: on PostgreSQL, from the pool whose statements are prepared once with a generic plan
    (``Database.prepared_connect``). Right for searches by relevance, whose plan is the same for any words:
    planning their statement cost more than running it, and the plan made for some words' frequencies was at
    times several times slower. Wrong for the other sorts, where the words decide between walking the sort's
    index and sorting the matches (a generic plan was 2–3x slower there)."""
    rt = session.info.get("runtime")
    if rt is not None and not session.info.get("writable", True) and not session.in_transaction():
        with rt.db.prepared_connect() if generic_plans else rt.db.quick_connect() as conn:
            yield conn
    else:
        yield session.connection()


def search(session: Session, *, actor: Principal | None, query: SearchQuery, org_names) -> SearchResult:  # noqa: ANN001
    """``org_names``: a dict of organization names, or a callable taking the ids needed and returning one.

    A cold search is two statements: the facets, the page and the catalog epoch in one, then the page's hits.
    They may run without a common snapshot (``_reading``). That is safe: the epoch is read in the same statement
    as the counts it keys in the cache, and the hits statement checks the visibility of each entry again, so an
    entry whose visibility changed in between is left out, as a deleted one is; at worst the total counts an
    entry that was changed a moment later."""
    _validate(query)
    names_for = org_names if callable(org_names) else (lambda need: org_names)
    tokens = query_tokens(query.q)[:MAX_WORDS] if query.q.strip() else []
    sort = query.sort or ("relevance" if tokens else "newest")
    if sort == "relevance" and not tokens:
        sort = "newest"
    fp = query.fingerprint(tokens, sort)
    if query.q.strip() and not tokens:  # only punctuation or stop words: nothing can match
        return SearchResult(total=0, items=[], facets={n: [] for n in FACETS}, next_cursor=None, tokens=[])
    f = _filters(session, query)
    mine = provider_no(session, actor.org_id) if actor is not None and actor.org_id else -1
    with _reading(session, generic_plans=sort == "relevance") as conn:
        rows, providers, combos, total, found, matched = _run(session, conn, actor, query, tokens, sort, fp, f, mine)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = _encode_cursor(fp, [rows[-1].k, rows[-1].doc_id]) if more and rows else None
    need = set(_orgs_of_providers(session, set(providers)).values()) | {r.provider_org_id for r in found.values()}
    names = names_for(need)
    if query.facets:
        total, facets = _facets(session, f, combos, providers, names)
    else:
        facets = {}
    hits = _hits(actor, rows, found, matched, sort, names)
    return SearchResult(total=total, items=hits, facets=facets, next_cursor=next_cursor, tokens=tokens)


def _run(session: Session, conn: Connection, actor, query: SearchQuery, tokens, sort, fp, f, mine):  # noqa: ANN001
    """The statements of a search: (page rows, provider counts, facet combinations, total, hits, matched items)."""
    reviewer = actor is not None and is_reviewer(actor)
    rt = session.info.get("runtime")
    # Facet counts, total and page of a read session are cached per process with the catalog epoch that the
    # statement computing them saw: any committed catalog change bumps the epoch, so an entry is used only while
    # the epoch read before it is unchanged. Write sessions neither read nor fill the cache (they may see their
    # own uncommitted epoch).
    cacheable = query.facets and rt is not None and not session.info.get("writable", True)
    status = ""
    if query.status:
        status = "all" if reviewer else "own+published" if "published" in query.status else "own"
    shape = _Shape(
        dialect=conn.dialect.name,
        words=len(tokens),
        sort=sort,
        vis="open" if actor is None or query.open_only else "all" if reviewer else "staff",
        mine=query.mine,
        status=status,
        filters=_filter_key(f),
        counted=USE_FACET_COUNTS and len(tokens) <= 1 and not query.status,
        facets=query.facets,
        cursor=bool(query.cursor),
        epoch=cacheable,
    )
    params: dict[str, Any] = {"mine": mine, "limit": query.limit + 1, "status": list(query.status), **_filter_params(f)}
    if query.cursor:
        key_type = str if sort in ("name", "code") else int
        params["cursor_key"], params["cursor_doc"] = _decode_cursor(query.cursor, fp, key_type)

    found: dict | None = None  # the hits, when the statement computing the page read them too
    matched: dict[str, list[str]] = {}
    cache_key = (fp, actor is None, reviewer, mine, query.cursor, query.limit) if cacheable else None
    entry = _cache_get(rt, cache_key) if cache_key is not None else None
    if entry is not None and entry[0] == current_epoch(conn):
        _, providers, combos, cached_rows, total = entry
        rows = list(cached_rows)
    else:
        params.update({f"w{i}": t for i, t in enumerate(_rarest_first(conn, tokens))})
        if not tokens:
            params["w0"] = ALL_DOCS  # the counted facets of a search without words
        providers: Tally = Tally()
        combos: list[tuple] = []
        rows: list[_PageRow] | None = None
        epoch = 0
        if query.facets:
            if shape.hits_in_main:
                params.update({f"like{i}": _contains_pattern(t) for i, t in enumerate(tokens)})
            main = _template(("main", shape), lambda: _main_statement(shape))
            page: dict[int, int] = {}
            items: dict[str, list[tuple[int, str]]] = {}
            hits: dict = {}
            for row in conn.execute(main, params).all():  # one fetch, not one per row
                kind, a, b, c, n = row[:5]
                if kind == 0:
                    providers[a] += n
                elif kind == 1:
                    combos.append((0, b, c, n))
                elif kind == 2:
                    page[a] = n
                    if shape.hits_in_main:
                        hits.setdefault(a, row)
                        if row.item_name is not None:
                            items.setdefault(row.id, []).append((b, row.item_name))
                else:
                    epoch = n
            if sort == "relevance":
                rows = sorted((_PageRow(d, n, n) for d, n in page.items()), key=lambda r: (-r.k, r.doc_id))
            if shape.hits_in_main:
                found, matched = hits, {rid: [name for _, name in sorted(v)] for rid, v in items.items()}
            # the provider grouping has every filter but the provider's: its filtered sum is the number of matches
            total = sum(n for p, n in providers.items() if not f.provider or p in f.provider)
            if total == 0:
                rows = []
        else:
            total = conn.scalar(_template(("count", shape), lambda: _count_statement(shape)), params) or 0
        if rows is None:
            page_stmt = _template(("page", shape), lambda: _page_statement(shape))
            rows = [_PageRow(r.doc_id, r.k, r.score) for r in conn.execute(page_stmt, params)]
        if cache_key is not None:
            _cache_put(rt, cache_key, (epoch, providers, combos, tuple(rows), total))
    if found is None:
        found, matched = _hit_rows(conn, rows[: query.limit], tokens, shape.vis, query.mine, mine)
    return rows, providers, combos, total, found, matched


def _hit_rows(conn: Connection, rows, tokens: list[str], vis: str, only_mine: bool, mine: int):  # noqa: ANN001
    """The page's resources (those the caller may still see: ``vis``, ``only_mine``, ``mine`` as in
    ``_visible_conds``) and, per resource, the names of its data items that mention a query word."""
    if not rows:
        return {}, {}
    stmt = _template(("hits", len(tokens), vis, only_mine), lambda: _hits_statement(len(tokens), vis, only_mine))
    params = {"ids": [r.doc_id for r in rows], "mine": mine}
    params.update({f"like{i}": _contains_pattern(t) for i, t in enumerate(tokens)})
    found: dict = {}
    matched: dict[str, list[str]] = {}
    for r in conn.execute(stmt, params):
        found.setdefault(r.doc_id, r)
        if tokens and r.item_name is not None:
            matched.setdefault(r.id, []).append(r.item_name)
    return found, matched


def _hits(actor, rows, found: dict, matched: dict, sort: str, org_names: dict[str, str]) -> list[SearchHit]:  # noqa: ANN001
    hits = []
    for row in rows:
        r = found.get(row.doc_id)
        if r is None:  # deleted, or no longer visible, since the page was read
            continue
        score = row.k if sort == "relevance" else row.score
        hits.append(
            SearchHit(
                id=r.id,
                code=r.code,
                name=r.name,
                summary=r.summary,
                provider_org_id=r.provider_org_id,
                provider_name=org_names.get(r.provider_org_id, r.provider_org_id),
                classification_code=r.classification_code,
                classification_label=class_label(r.classification_code[:3]),
                share_type=r.share_type,
                open_type=r.open_type,
                update_cycle=r.update_cycle,
                formats=list(r.formats or []),
                level=_LEVEL_OF_NUM.get(unpack(r.fkey)[3]),
                status=r.status if sees_workflow(actor, r.provider_org_id) else "published",
                is_listed=r.is_listed,
                completeness=r.completeness,
                modified_at=r.modified_at,
                score=int(score or 0),
                matched_items=matched.get(r.id, [])[:10],
            )
        )
    return hits


__all__ = ["SearchQuery", "search", "sync_doc", "drop_doc", "pack", "unpack"]
