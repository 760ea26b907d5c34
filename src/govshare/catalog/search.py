"""Catalog search: the jieba token index, facets, sorting and keyset cursors, identical on SQLite and PostgreSQL.

Why a token table and not FTS5/tsvector: the two engines tokenize and rank differently (bm25 vs ts_rank), so
"same results for the same data" would need two rankers kept in step. Here both stores hold the same postings,
produced by the same jieba code, and a query is the same SQL on both. See docs/catalog.md.

Layout, for speed: a posting (token, doc) also carries the resource's visibility bits, provider number,
classification and a packed integer of its enumerated facets (``fkey``). A one-word query is then one range scan
of the posting index, with no join: the page is the top of that range by weight, and the facets come from one
GROUP BY over (provider, classification, fkey) — a few hundred rows — which Python spreads over the seven facet
dimensions, each ignoring its own filter (disjunctive facets). A query of several words joins the rarest word's
postings with the others' by primary key. Searches without words scan ``catalog_search_doc`` the same way.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections import Counter as Tally
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import and_, bindparam, delete, func, insert, literal, or_, select, true, union_all, update
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


def sync_doc(session: Session, resource: Resource, *, content_changed: bool = True) -> None:
    """Bring the projection of ``resource`` up to date (in the caller's transaction): its doc row, its postings
    and the per-token facet counts."""
    doc = session.scalar(select(SearchDoc).where(SearchDoc.resource_id == resource.id))
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
    _count(session, old, before, new, shared)
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
    _count(session, old, {k: getattr(doc, k) for k in POSTING_COLS}, [], {})
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


def current_epoch(conn) -> int:  # noqa: ANN001
    return conn.scalar(select(Counter.value).where(Counter.name == EPOCH_COUNTER)) or 0


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


def _sql_filters(t, f: _Filters, skip: str | None = None):  # noqa: ANN001  (t: SearchToken or SearchDoc columns)
    conds = []
    if f.provider and skip != "provider":
        conds.append(t.prov.in_(f.provider))
    if f.classification and skip != "classification":
        parts = []
        for v in f.classification:
            if len(v) == 3:
                parts.append(t.class3 == int(v))
            else:
                parts.append(t.class3.between(int(v) * 100, int(v) * 100 + 99))
        conds.append(or_(*parts))
    if f.share_type and skip != "share_type":
        conds.append(t.fkey.op("&")(3).in_(f.share_type))
    if f.open_type and skip != "open_type":
        conds.append(t.fkey.op(">>")(2).op("&")(3).in_(f.open_type))
    if f.update_cycle and skip != "update_cycle":
        conds.append(t.fkey.op(">>")(4).op("&")(15).in_(f.update_cycle))
    if f.level and skip != "level":
        conds.append(t.fkey.op(">>")(8).op("&")(7).in_(f.level))
    if f.format and skip != "format":
        conds.append(t.fkey.op(">>")(11).op("&")(f.format) != 0)
    return and_(true(), *conds)


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


def _rarest_first(session: Session, tokens: list[str]) -> list[str]:
    """Order words by rarity, so a multi-word query on SQLite (a nested loop) walks the shortest posting list
    first. The estimate is the number of a word's facet-count rows (capped): it grows with the postings and costs
    a fraction of counting them; the words not yet known are estimated in one statement. It only steers the
    plan, never the result, so a per-process value up to ten minutes old is good enough."""
    if len(tokens) < 2:
        return tokens
    if session.get_bind().dialect.name == "postgresql":
        return sorted(tokens)  # PostgreSQL orders the join itself from its statistics (merge or hash join)
    now = time.monotonic()
    stale = [t for t in tokens if (hit := _df_cache.get(t)) is None or hit[0] < now]
    if stale:
        parts = []
        for i, t in enumerate(stale):
            capped = select(literal(1).label("one")).where(SearchFacet.token == t).limit(5_000).subquery(f"c{i}")
            parts.append(select(literal(i), func.count()).select_from(capped))
        if len(_df_cache) > 50_000:
            _df_cache.clear()
        for i, n in session.execute(union_all(*parts) if len(parts) > 1 else parts[0]):
            _df_cache[stale[i]] = (now + _DF_TTL, n or 0)
    counts = {t: _df_cache[t][1] for t in tokens}
    return sorted(tokens, key=lambda t: (counts[t], t))


def _matched(session: Session, tokens: list[str]):
    """(doc_id, score, vis, prov, class3, fkey) of every resource containing all ``tokens``."""
    first, *rest = _rarest_first(session, tokens)
    t1 = SearchToken.__table__.alias("t1")
    score = t1.c.weight
    stmt = select(t1.c.doc_id, t1.c.vis, t1.c.prov, t1.c.class3, t1.c.fkey)
    frm = t1
    for i, tok in enumerate(rest, start=2):
        ti = SearchToken.__table__.alias(f"t{i}")
        frm = frm.join(ti, and_(ti.c.token == tok, ti.c.doc_id == t1.c.doc_id))
        score = score + ti.c.weight
    return stmt.add_columns(score.label("score")).select_from(frm).where(t1.c.token == first).subquery("m")


#: One-word searches read their facets from catalog_search_facet (tests switch it off to compare with counting
#: the postings, which must give the same results).
USE_FACET_COUNTS = True

# ---- the result cache ----------------------------------------------------------------------------------
CACHE_SIZE = 2048
_cache: WeakKeyDictionary = WeakKeyDictionary()  # runtime -> OrderedDict(key -> (providers, combos, rows, total))
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
    """Forget every cached result and word-frequency estimate (the benchmark's cold runs; never needed for
    correctness)."""
    with _cache_lock:
        _cache.clear()
    _df_cache.clear()


def _visible_conds(cols, actor: Principal | None, query: SearchQuery, mine: int) -> list:  # noqa: ANN001
    """What the caller may see, on any relation with ``vis`` and ``prov`` columns (postings, docs, facet counts):
    the public the open catalog, staff the published catalog and their own department's entries, reviewers all.
    ``vis`` is compared by value, not by bit mask: PostgreSQL then estimates the match count from its statistics
    and picks a merge join for several words (a bit-mask predicate gets a blind guess and a nested loop)."""
    visible = [true()]
    if actor is None or query.open_only:
        visible.append(cols.vis == VIS_LISTED | VIS_OPEN)
    elif not is_reviewer(actor):
        visible.append(or_(cols.vis.in_([VIS_LISTED, VIS_LISTED | VIS_OPEN]), cols.prov == mine))
    if query.mine:
        visible.append(cols.prov == mine)
    return visible


def search(session: Session, *, actor: Principal | None, query: SearchQuery, org_names) -> SearchResult:  # noqa: ANN001
    """``org_names``: a dict of organization names, or a callable taking the ids needed and returning one."""
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

    # The matched set: postings of the words, or every resource when there are none.
    needs_doc = bool(query.status) or (tokens and sort != "relevance")
    if tokens:
        m = _matched(session, tokens)
        cols, score = m.c, m.c.score
        source = m.join(SearchDoc, SearchDoc.doc_id == m.c.doc_id) if needs_doc else m
    else:
        cols, score, source = SearchDoc.__table__.c, None, SearchDoc.__table__
    mine = provider_no(session, actor.org_id) if actor is not None and actor.org_id else -1
    visible = _visible_conds(cols, actor, query, mine)
    if query.status:
        # Workflow states are seen only on one's own entries (and by reviewers); to everyone else a published
        # entry is just "published", whatever change its department is preparing.
        if actor is not None and is_reviewer(actor):
            visible.append(SearchDoc.status.in_(query.status))
        else:
            own = and_(cols.prov == mine, SearchDoc.status.in_(query.status))
            others = and_(cols.prov != mine, cols.vis.in_([VIS_LISTED, VIS_LISTED | VIS_OPEN]))
            visible.append(or_(own, others) if "published" in query.status else own)
    visible_sql = and_(*visible)

    conn = session.connection()  # Core statements: no ORM entities to build
    # The page: keyset on (sort key, doc id).
    doc_id = cols.doc_id
    name_col = SearchDoc.name.collate("C") if session.get_bind().dialect.name == "postgresql" else SearchDoc.name
    if sort == "relevance":
        order, key_col, key_type, desc = score, score, int, True
    elif sort == "newest":
        order, key_col, key_type, desc = SearchDoc.sort_us, SearchDoc.sort_us, int, True
    elif sort == "name":
        order, key_col, key_type, desc = name_col, SearchDoc.name, str, False
    else:
        order, key_col, key_type, desc = SearchDoc.code, SearchDoc.code, str, False
    keyset = true()
    if query.cursor:
        value, last = _decode_cursor(query.cursor, fp, key_type)
        if sort == "relevance":  # score desc, doc id asc
            keyset = or_(order < value, and_(order == value, doc_id > last))
        elif desc:
            keyset = or_(order < value, and_(order == value, doc_id < last))
        else:
            keyset = or_(order > value, and_(order == value, doc_id > last))
    if sort == "relevance":
        ordering = (order.desc(), doc_id.asc())
    else:
        ordering = (order.desc(), doc_id.desc()) if desc else (order.asc(), doc_id.asc())

    # Facet counts, total and page of a read session are cached per process, keyed by the catalog epoch that the
    # same snapshot shows: any committed catalog change bumps the epoch, so a cached result is never stale. Write
    # sessions neither read nor fill the cache (they may see their own uncommitted epoch).
    rt = session.info.get("runtime")
    cache_key = None
    cached = None
    if query.facets and rt is not None and not session.info.get("writable", True):
        reviewer = actor is not None and is_reviewer(actor)
        cache_key = (fp, actor is None, reviewer, mine, query.cursor, query.limit, current_epoch(conn))
        cached = _cache_get(rt, cache_key)
    if cached is not None:
        providers, combos, cached_rows, total = cached
        rows = list(cached_rows)
    else:
        counted = USE_FACET_COUNTS and len(tokens) == 1 and not query.status
        combos: list[tuple] = []
        providers: Tally = Tally()
        rows: list[_PageRow] | None = None
        if query.facets:
            # One pass over the matches (a CTE, materialized by both stores as it is read more than once), two small
            # groupings: by provider with the other filters, by (classification, facet key) with the provider filter
            # (grouping by all three would return one row per provider × combination: thousands, not hundreds).
            # Sorted by relevance, the page is a third branch of the same statement, so a multi-word query joins its
            # postings once.
            #
            # One word (no workflow-state filter): the same two groupings read the word's precomputed counts in
            # catalog_search_facet instead — a few thousand rows at most, however many resources match — and the page
            # is read separately from the head of the rank index.
            with_page = sort == "relevance" and not counted
            if counted:
                F = SearchFacet.__table__.c
                m = (
                    select(F.prov, F.class3, F.fkey, F.n)
                    .where(F.token == tokens[0], *_visible_conds(F, actor, query, mine))
                    .subquery("fm")
                )
                tally = func.sum(m.c.n)
            else:
                m_cols = [cols.prov, cols.class3, cols.fkey] + (
                    [cols.doc_id, score.label("score")] if with_page else []
                )
                m = select(*m_cols).select_from(source).where(visible_sql).cte("fm")
                tally = func.count()
            prov_filter = _sql_filters(m.c, _Filters(f.provider, [], set(), set(), set(), 0, set()))
            branches = [
                select(literal(0), m.c.prov, literal(0), literal(0), tally)
                .where(_sql_filters(m.c, f, skip="provider"))
                .group_by(m.c.prov),
                select(literal(1), literal(0), m.c.class3, m.c.fkey, tally)
                .where(prov_filter)
                .group_by(m.c.class3, m.c.fkey),
            ]
            if with_page:
                m_keyset = true()
                if query.cursor:
                    m_keyset = or_(m.c.score < value, and_(m.c.score == value, m.c.doc_id > last))
                top = (
                    select(
                        literal(2).label("kind"), m.c.doc_id, literal(0).label("b"), literal(0).label("c"), m.c.score
                    )
                    .where(_sql_filters(m.c, f), m_keyset)
                    .order_by(m.c.score.desc(), m.c.doc_id.asc())
                    .limit(query.limit + 1)
                    .subquery("top")
                )
                branches.append(select(*top.c))
            page_rows = []
            for kind, a, class3, fkey, n in conn.execute(union_all(*branches)):
                if kind == 0:
                    providers[a] += n
                elif kind == 1:
                    combos.append((0, class3, fkey, n))
                else:
                    page_rows.append(_PageRow(a, n, n))
            if with_page:
                rows = sorted(page_rows, key=lambda r: (-r.k, r.doc_id))
            # the provider grouping has every filter but the provider's: its filtered sum is the number of matches
            total = sum(n for p, n in providers.items() if not f.provider or p in f.provider)
            if total == 0:
                rows = []
        else:
            total = conn.scalar(select(func.count()).select_from(source).where(visible_sql, _sql_filters(cols, f))) or 0

        if rows is None:
            page_cols = [doc_id.label("doc_id"), key_col.label("k")]
            if score is not None and sort != "relevance":
                page_cols.append(score.label("score"))
            page = (
                select(*page_cols)
                .select_from(source)
                .where(visible_sql, _sql_filters(cols, f), keyset)
                .order_by(*ordering)
                .limit(query.limit + 1)
            )
            rows = [_PageRow(r.doc_id, r.k, getattr(r, "score", 0)) for r in conn.execute(page)]
        if cache_key is not None:
            _cache_put(rt, cache_key, (providers, combos, tuple(rows), total))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = _encode_cursor(fp, [rows[-1].k, rows[-1].doc_id]) if more and rows else None
    found, matched = _hit_rows(conn, rows, tokens)

    need = set(_orgs_of_providers(session, set(providers)).values()) | {r.provider_org_id for r in found.values()}
    names = names_for(need)
    if query.facets:
        total, facets = _facets(session, f, combos, providers, names)
    else:
        facets = {}
    hits = _hits(actor, rows, found, matched, sort, names)
    return SearchResult(total=total, items=hits, facets=facets, next_cursor=next_cursor, tokens=tokens)


def _hit_rows(conn, rows, tokens: list[str]) -> tuple[dict, dict[str, list[str]]]:  # noqa: ANN001
    """The page's resources and, per resource, the names of its data items that mention a query word — one
    statement (a left join on the covering item index), so one round trip to the store."""
    if not rows:
        return {}, {}
    R = Resource
    cols = [
        SearchDoc.doc_id, SearchDoc.fkey, R.id, R.code, R.name, R.summary, R.provider_org_id,
        R.classification_code, R.share_type, R.open_type, R.update_cycle, R.formats, R.status, R.is_listed,
        R.completeness, R.modified_at,
    ]  # fmt: skip
    stmt = select(*cols).join(R, R.id == SearchDoc.resource_id)
    if tokens:
        names_match = or_(*[func.lower(Item.name).contains(t, autoescape=True) for t in tokens])
        stmt = stmt.add_columns(Item.name.label("item_name")).outerjoin(
            Item, and_(Item.resource_id == R.id, names_match)
        )
        stmt = stmt.order_by(SearchDoc.doc_id, Item.position)
    found: dict = {}
    matched: dict[str, list[str]] = {}
    for r in conn.execute(stmt.where(SearchDoc.doc_id.in_([r.doc_id for r in rows]))):
        found.setdefault(r.doc_id, r)
        if tokens and r.item_name is not None:
            matched.setdefault(r.id, []).append(r.item_name)
    return found, matched


def _hits(actor, rows, found: dict, matched: dict, sort: str, org_names: dict[str, str]) -> list[SearchHit]:  # noqa: ANN001
    hits = []
    for row in rows:
        r = found.get(row.doc_id)
        if r is None:  # deleted between the two statements
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
