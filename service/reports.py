"""The periodic report (báo cáo quý, 6 tháng, năm): totals for one period and one locality
subtree, computed by the database.

A pure function over a session: nothing is written. Every count is a ``GROUP BY`` in SQL
(SQLite and PostgreSQL alike), so the cost grows with the number of distinct keys
(statuses, channels, communes, codes, clusters), not with the items moved into Python.

What the numbers mean (also written into the report's ``definitions``):

- the report covers the items *received* in the period (Vietnam time) whose locality lies
  in the subtree; ``total`` is how many;
- codes are the reviewer's ``final_codes`` once an item is reviewed, and the model's
  suggested codes before that; each code row says how many of each it holds;
- an item is *closed* when it was forwarded to the competent body or closed; both are
  final states (nothing leads out of them), so the time of the review that put it there
  (``reviewed_at``) is its closing time; ``closed_in_period`` counts the items closed during
  the period whenever they were received;
- *overdue*: the statutory due date has passed (as of ``as_of``) and the item is not closed;
- time to first review runs from ``received_at`` to the first review row.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import (
    and_,
    case,
    distinct,
    extract,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from service.localities import locality_name
from service.models import Feedback, Review, Suggestion
from service.periods import Period, local_date
from service.schemas import Channel
from triage.deadlines import Track
from triage.priority import LEVELS
from triage.taxonomy import Taxonomy

STATUSES = ("untriaged", "new", "in_review", "reviewed", "forwarded", "closed")
CLOSED = ("forwarded", "closed")
UNSPECIFIED = "unspecified"
UNKNOWN_GROUP = "?"

DEFINITIONS = {
    "scope": "items received in the period (Asia/Ho_Chi_Minh days) whose locality is the "
             "given code or lies below it",
    "codes": "final_codes of the reviewer once an item is reviewed, the model's suggested codes "
             "before; 'reviewed' and 'suggested' say how many items each count holds",
    "closed": "status forwarded or closed (final states); closing time is reviewed_at",
    "overdue": "due_at before as_of and not closed",
    "first_review": "from received_at to the first review",
    "clusters": "duplicate clusters with more than one item received in the period",
}


@dataclass(frozen=True)
class ReportOptions:
    largest_clusters: int = 10
    overdue_listed: int = 50


def build_report(session: Session, taxonomy: Taxonomy, period: Period, *,
                 locality: str | None = None, now: datetime | None = None,
                 options: ReportOptions = ReportOptions()) -> dict:
    """The report as a JSON-ready dict (see the module docstring for what it counts)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    today = local_date(now)
    start, end = period.bounds_utc()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # These aggregations take well under a second; PostgreSQL guesses 100 rows for each
        # json_array_elements_text call, and the inflated cost would make it spend seconds
        # compiling them (JIT). Local to this transaction.
        session.execute(text("SET LOCAL jit = off"))
    F = Feedback
    scope = _subtree(F.locality, locality)
    where = [F.received_at >= start, F.received_at < end, *scope]

    cube = _cube(session, where, today)
    total = cube["count"]["all"]
    codes, groups, basis = _codes(session, taxonomy, where, dialect)
    report = {
        "period": period.to_dict(),
        "locality": {"code": locality, "name": locality_name(locality) if locality else None},
        "generated_at": now.isoformat(timespec="seconds"),
        "as_of": today.isoformat(),
        "total": total,
        "flow": _flow(session, scope, start, end, total, cube),
        "by_status": _ordered(cube["status"], STATUSES),
        "by_channel": _ordered(cube["channel"], [c.value for c in Channel]),
        "by_track": _ordered(cube["track"], [t.value for t in Track]),
        "by_priority_level": _ordered(cube["level"], [name for _, name in LEVELS]),
        **_localities(session, where),
        "codes_basis": basis,
        "by_group": groups,
        "by_code": codes,
        "first_review": _first_review(session, where, dialect, cube["count"]["reviewed"]),
        "overdue": _overdue(session, where, today, cube, options.overdue_listed),
        "duplicates": _clusters(session, where, cube, options.largest_clusters),
        "definitions": DEFINITIONS,
    }
    return report


def _reviewed():
    """Reviewed items: the review flow sets final_codes (never empty) with reviewed_at. The
    test is on final_codes, which has no index, so that no planner is tempted to search an
    index for the unreviewed majority instead of the period's range of received_at."""
    return Feedback.final_codes.is_not(None)


def _subtree(column, code: str | None) -> list:
    if not code:
        return []
    return [or_(column == code, column.like(f"{code}.%"))]


def _overdue_condition(today: date):
    F = Feedback
    return and_(F.due_at.is_not(None), F.due_at < today, F.status.not_in(CLOSED))


def _cube(session: Session, where: list, today: date) -> dict[str, Counter]:
    """One scan grouped by status × channel × track × level; the marginals are summed here
    (a few hundred rows at most)."""
    F = Feedback
    one = literal(1)
    rows = session.execute(
        select(F.status, F.channel, F.track, F.priority_level, func.count(),
               func.sum(case((_overdue_condition(today), one), else_=0)),
               func.sum(case((_reviewed(), one), else_=0)),
               func.sum(case((F.duplicate_of.is_not(None), one), else_=0)))
        .where(*where).group_by(F.status, F.channel, F.track, F.priority_level)).all()
    out = defaultdict(Counter)
    for status, channel, track, level, n, overdue, reviewed, linked in rows:
        out["status"][status or UNSPECIFIED] += n
        out["channel"][channel or UNSPECIFIED] += n
        out["track"][track or UNSPECIFIED] += n
        out["level"][level or UNSPECIFIED] += n
        out["count"]["all"] += n
        out["count"]["overdue"] += int(overdue or 0)
        out["count"]["reviewed"] += int(reviewed or 0)
        out["count"]["linked"] += int(linked or 0)
        if status in CLOSED:
            out["count"]["closed"] += n
    out["count"].setdefault("all", 0)
    return out


def _ordered(counts: Counter, known) -> dict[str, int]:
    """Every known key (zeros included, so that layouts stay stable), then any other key."""
    out = {k: counts.get(k, 0) for k in known}
    for k, n in sorted(counts.items()):
        out.setdefault(k, n)
    if not out.get(UNSPECIFIED):
        out.pop(UNSPECIFIED, None)
    return out


def _flow(session: Session, scope: list, start: datetime, end: datetime, total: int,
          cube: dict[str, Counter]) -> dict:
    F = Feedback
    closed = dict(session.execute(
        select(F.status, func.count())
        .where(F.status.in_(CLOSED), F.reviewed_at >= start, F.reviewed_at < end, *scope)
        .group_by(F.status)).all())
    closed_of_received = cube["count"]["closed"]
    return {
        "received": total,
        "closed_of_received": closed_of_received,
        "open_of_received": total - closed_of_received,
        "closed_in_period": sum(closed.values()),
        "closed_in_period_by_status": {s: closed.get(s, 0) for s in CLOSED},
    }


def _localities(session: Session, where: list) -> dict:
    F = Feedback
    rows = session.execute(select(F.locality, func.count()).where(*where)
                           .group_by(F.locality)).all()
    provinces: Counter = Counter()
    province_only: Counter = Counter()
    communes = []
    for code, n in rows:
        if not code:
            provinces[UNSPECIFIED] += n
            province_only[UNSPECIFIED] += n
            continue
        province = code.split(".")[0]
        provinces[province] += n
        if "." in code:
            communes.append({"code": code, "name": locality_name(code), "province": province,
                             "count": n})
        else:
            province_only[province] += n
    return {
        "by_province": [{"code": p, "name": locality_name(p), "count": n,
                         "without_commune": province_only.get(p, 0)}
                        for p, n in sorted(provinces.items(), key=lambda kv: (-kv[1], kv[0]))],
        "by_commune": sorted(communes, key=lambda r: (-r["count"], r["code"])),
    }


def _code_rows(where: list, dialect: str):
    """(item id, code, basis) for every code an item carries: the reviewer's final codes
    (a JSON array, unnested by the database) or, before review, the suggested codes."""
    F = Feedback
    unnest = func.json_array_elements_text if dialect == "postgresql" else func.json_each
    elems = unnest(F.final_codes).table_valued("value", joins_implicitly=True).alias("fc")
    reviewed = (select(F.id.label("fid"), elems.c.value.label("code"),
                       literal("reviewed").label("basis"))
                .select_from(F, elems).where(*where, _reviewed()))
    suggested = (select(F.id.label("fid"), Suggestion.code.label("code"),
                        literal("suggested").label("basis"))
                 .join(Suggestion, Suggestion.feedback_id == F.id)
                 .where(*where, ~_reviewed(), Suggestion.suggested.is_(True)))
    return union_all(reviewed, suggested).subquery("coded")


def _codes(session: Session, taxonomy: Taxonomy, where: list, dialect: str):
    coded = _code_rows(where, dialect)
    per_code: dict[str, Counter] = defaultdict(Counter)
    for code, basis, n in session.execute(
            select(coded.c.code, coded.c.basis, func.count(distinct(coded.c.fid)))
            .group_by(coded.c.code, coded.c.basis)):
        per_code[code][basis] = n
    # Items per group and per basis in one more pass: the group of each code comes from the
    # taxonomy (a small table of literal rows, joined), each item becomes one row with a 0/1
    # column per group (an item with two codes of one group counts once), the columns are
    # summed.
    group_of = {c: cat.group for c, cat in taxonomy.categories.items()}
    names = [g.code for g in taxonomy.groups] + [UNKNOWN_GROUP]
    taxo = union_all(*[select(literal(c).label("code"), literal(g).label("grp"))
                       for c, g in group_of.items()]).cte("taxo")
    grp = func.coalesce(taxo.c.grp, UNKNOWN_GROUP)
    per_item = (select(coded.c.basis, *[func.max(case((grp == g, 1), else_=0)).label(f"g{i}")
                                        for i, g in enumerate(names)])
                .select_from(coded.outerjoin(taxo, taxo.c.code == coded.c.code))
                .group_by(coded.c.fid, coded.c.basis).subquery("per_item"))
    per_group: dict[str, Counter] = defaultdict(Counter)
    items: dict[str, int] = {}
    for basis, n, *flags in session.execute(
            select(per_item.c.basis, func.count(),
                   *[func.sum(per_item.c[f"g{i}"]) for i in range(len(names))])
            .group_by(per_item.c.basis)):
        items[basis] = n
        for g, k in zip(names, flags, strict=True):
            if k:
                per_group[g][basis] = int(k)

    def row(counter: Counter) -> dict:
        return {"items": counter["reviewed"] + counter["suggested"],
                "reviewed": counter["reviewed"], "suggested": counter["suggested"]}

    order = {c: i for i, c in enumerate(taxonomy.categories)}
    codes = [{"code": c, "group": group_of.get(c, UNKNOWN_GROUP),
              "title": taxonomy.categories[c].title if c in taxonomy.categories else None,
              **row(per_code[c])}
             for c in sorted(per_code, key=lambda c: (-sum(per_code[c].values()),
                                                      order.get(c, len(order)), c))]
    groups = [{"group": g.code, "name": g.name, **row(per_group.get(g.code, Counter()))}
              for g in taxonomy.groups]
    if UNKNOWN_GROUP in per_group:
        groups.append({"group": UNKNOWN_GROUP, "name": None,
                       **row(per_group[UNKNOWN_GROUP])})
    basis = {"reviewed": items.get("reviewed", 0), "suggested": items.get("suggested", 0)}
    return codes, groups, basis


def _seconds_between(dialect: str, later, earlier):
    if dialect == "postgresql":
        return extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _first_review(session: Session, where: list, dialect: str, n: int) -> dict:
    """Median hours from receipt to the first review, picked by the database with ORDER BY
    and OFFSET (the middle one or two values), so no list of durations leaves it."""
    F = Feedback
    first_at = (select(func.min(Review.at)).where(Review.feedback_id == F.id)
                .correlate(F).scalar_subquery())
    seconds = _seconds_between(dialect, first_at, F.received_at)
    reviewed = [*where, _reviewed()]
    median = None
    if n:
        middle = session.scalars(select(seconds.label("s")).where(*reviewed)
                                 .order_by(seconds).offset((n - 1) // 2)
                                 .limit(1 if n % 2 else 2)).all()
        median = sum(float(s) for s in middle) / len(middle)
    return {"reviewed_items": n,
            "median_hours": round(median / 3600, 2) if median is not None else None,
            "median_days": round(median / 86400, 2) if median is not None else None}


def _overdue(session: Session, where: list, today: date, cube: dict[str, Counter],
             listed: int) -> dict:
    F = Feedback
    rows = session.execute(
        select(F.id, F.tracking_code, F.status, F.track, F.due_at, F.locality, F.channel,
               F.priority_level)
        .where(*where, _overdue_condition(today))
        .order_by(F.due_at, F.priority.desc().nulls_last(), F.id).limit(listed)).all()
    return {
        "count": cube["count"]["overdue"],
        "items": [{"id": r.id, "tracking_code": r.tracking_code, "status": r.status,
                   "track": r.track, "due_at": r.due_at.isoformat(),
                   "days_overdue": (today - r.due_at).days, "locality": r.locality,
                   "channel": r.channel, "priority_level": r.priority_level} for r in rows],
    }


def _clusters(session: Session, where: list, cube: dict[str, Counter], largest: int) -> dict:
    """One pass: clusters with more than one item, the largest first, with the number of
    such clusters and of their items as window totals over the same grouping."""
    F = Feedback
    grouped = (select(F.cluster.label("cluster"), func.count().label("size"),
                      func.count(distinct(F.channel)).label("channels"),
                      func.min(F.received_at).label("first"),
                      func.max(F.received_at).label("last"))
               .where(*where, F.cluster.is_not(None)).group_by(F.cluster)
               .having(func.count() > 1)).subquery("multi")
    top = session.execute(
        select(grouped, func.count().over().label("n_clusters"),
               func.sum(grouped.c.size).over().label("n_items"))
        .order_by(grouped.c.size.desc(), grouped.c.cluster).limit(largest)).all()
    channels: dict[str, list[str]] = defaultdict(list)
    if top:
        for cluster, channel in session.execute(
                select(F.cluster, F.channel).distinct()
                .where(*where, F.cluster.in_([t.cluster for t in top]), F.channel.is_not(None))
                .order_by(F.cluster, F.channel)):
            channels[cluster].append(channel)
    return {
        "clusters": top[0].n_clusters if top else 0,
        "items_in_clusters": int(top[0].n_items) if top else 0,
        "items_linked": cube["count"]["linked"],
        "largest": [{"cluster": t.cluster, "size": t.size, "distinct_channels": t.channels,
                     "channels": channels.get(t.cluster, []),
                     "first_received": _iso(t.first), "last_received": _iso(t.last)}
                    for t in top],
    }


def _iso(moment) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, str):  # SQLite may hand back MIN()/MAX() of a timestamp as text
        moment = datetime.fromisoformat(moment)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat(timespec="seconds")
