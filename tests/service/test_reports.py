"""The periodic report through real HTTP: a known mix of items is posted, some reviewed,
forwarded or closed; every total of the report is then recomputed here from what the API
said about each item (its channel, locality, codes, cluster, due date, status, and the
audit trail's review times) and compared, for several periods and locality subtrees."""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta, timezone
from html.parser import HTMLParser

import pytest

from service.periods import InvalidPeriod, parse_period, period_between, resolve_period
from triage.cli import main as triage_main
from triage.textutil import strip_diacritics

VN = timezone(timedelta(hours=7))
CLOSED = {"forwarded", "closed"}

FLOOD_AID = ("Kính gửi Mặt trận Tổ quốc phường Hoàn Kiếm. Ông Trần Văn Khải, Chủ tịch UBND "
             "phường, đã cắt tiền hỗ trợ bão lũ của 42 hộ: mỗi hộ chỉ nhận 1.500.000 đồng nhưng "
             "phải ký nhận 3.000.000 đồng. Việc chi trả diễn ra ngày 12/7 tại nhà văn hóa tổ 9.")
LAND_BRIBE = ("Tôi tố cáo cán bộ địa chính phường Vũng Tàu là bà Lê Thị Hoa đòi 15 triệu mới ký "
              "hồ sơ cấp sổ đỏ cho gia đình tôi, hẹn tới hẹn lui suốt 3 tháng, ai không đưa thì "
              "hồ sơ cứ nằm đó.")
IDLE_HALL = ("Nhà văn hóa khu phố 4 xây xong từ năm 2024 hết gần 4 tỷ đồng tiền ngân sách nhưng "
             "bỏ hoang tới giờ, cỏ mọc um tùm, cửa khóa, dân không được dùng. Đề nghị làm rõ "
             "trách nhiệm ai quyết định đầu tư.")
DRINKING = ("ae oi sang nay 10h may ong can bo phuong ngoi nhau o quan de duoi chan cau, gio "
            "hanh chinh ma, dan len lam giay to thi ko ai tiep, goi dt cung ko nghe. vay dc ko??")
STREET_LIGHT = "Đề nghị sửa giúp bóng đèn đường ở ngõ 12 tổ 5, hỏng cả tháng nay tối om rất nguy hiểm."
TEACHER_FEES = ("Hiệu trưởng trường tiểu học bắt phụ huynh đóng thêm 500 nghìn mỗi học sinh gọi là "
                "quỹ xã hội hóa, không có biên lai, ai không đóng thì con bị cho ngồi cuối lớp.")
ROAD_FUND = ("Xin phan anh: truong thon thu moi khau 300k lam duong be tong nhung duong lam xong "
             "moi 2 thang da nut, khong cong khai thu chi, dan hoi thi bao cu dong di.")
PERMIT_DELAY = ("Tôi nộp hồ sơ xin giấy phép xây dựng từ tháng 6, phòng quản lý đô thị cứ bảo "
                "thiếu giấy, mỗi lần một kiểu, nghe nói phải có 'phong bì' mới xong.")
MEETING_NOTE = ("Tại buổi tiếp xúc cử tri, nhiều ý kiến cho rằng Bí thư Đảng ủy xã dùng xe công "
                "đưa đón người nhà đi lễ chùa dịp cuối tuần, đề nghị kiểm tra.")


def _quarter_of(day: date) -> tuple[date, date]:
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    nxt = date(first.year + (first.month + 2) // 12, (first.month + 2) % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def _label(first: date) -> str:
    return f"{first.year}-Q{(first.month - 1) // 3 + 1}"


TODAY = datetime.now(VN).date()
CUR_FIRST, CUR_LAST = _quarter_of(TODAY)
Q_FIRST, Q_LAST = _quarter_of(CUR_FIRST - timedelta(days=1))  # the last full quarter
Q = _label(Q_FIRST)


def _at(day: date, hh: int, mm: int = 0) -> str:
    return datetime.combine(day, time(hh, mm), VN).isoformat()


# (key, text, channel, locality, received_at, what the reviewers do)
MIX = [
    ("flood", FLOOD_AID, "don_thu", "00070", _at(Q_FIRST + timedelta(days=2), 9), "forward"),
    ("flood_plain", strip_diacritics(FLOOD_AID), "duong_day_nong", "01",
     _at(Q_FIRST + timedelta(days=9), 14), None),
    ("flood_email", FLOOD_AID.replace("Kính gửi Mặt trận Tổ quốc phường Hoàn Kiếm. ", ""),
     "email", "01.00070", _at(Q_FIRST + timedelta(days=15), 8), None),
    ("bribe", LAND_BRIBE, "hom_thu", "26506", _at(Q_FIRST + timedelta(days=20), 10), "twice"),
    ("hall", IDLE_HALL, "bao_chi", None, _at(Q_FIRST + timedelta(days=33), 16), "close"),
    ("drinking", DRINKING, "tiep_xuc_cu_tri", "79", _at(Q_FIRST + timedelta(days=41), 11), "claim"),
    ("light", STREET_LIGHT, "email", "00073", _at(Q_FIRST + timedelta(days=50), 7), "out"),
    ("fees", TEACHER_FEES, None, "28261", _at(Q_FIRST + timedelta(days=64), 15), None),
    ("road", ROAD_FUND, "truc_tiep", "26526", _at(Q_LAST, 23, 30), None),  # 16:30 UTC: inside
    ("permit", PERMIT_DELAY, "email", "00070", _at(Q_LAST + timedelta(days=1), 0, 30), None),
    ("before", MEETING_NOTE, "tiep_xuc_cu_tri", "00004", _at(Q_FIRST - timedelta(days=1), 23, 59),
     "close"),
    ("now", MEETING_NOTE.replace("xã", "phường"), "truc_tiep", "01", None, None),
]
FINAL_CODES = {"flood": ["TN03", "DD07"], "bribe": ["TN02", "DD07"], "hall": ["LP02", "DD06"],
               "light": ["OUT02"], "before": ["DV14", "DD07"]}


def _utc(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _review(client, headers, item_id, codes, **extra):
    version = client.post(f"/api/v1/feedback/{item_id}/claim", headers=headers).json()["version"]
    r = client.post(f"/api/v1/feedback/{item_id}/review", headers=headers,
                    json={"version": version, "codes": codes, **extra})
    assert r.status_code == 200, r.text


@pytest.fixture
def seeded(client, make_key):
    """Post MIX through the API, act on it as reviewers, and return what the API then says
    about each item (plus its review times from the audit log)."""
    intake, rev, sup = make_key("intake"), make_key("reviewer"), make_key("supervisor")
    ids = {}
    for key, text, channel, locality, received_at, _ in MIX:
        body = {"text": text, "channel": channel, "locality": locality}
        if received_at:
            body["received_at"] = received_at
        r = client.post("/api/v1/feedback", headers=intake,
                        json={k: v for k, v in body.items() if v is not None})
        assert r.status_code == 201, r.text
        ids[key] = r.json()["id"]
    for key, *_, action in MIX:
        codes = FINAL_CODES.get(key)
        if action == "forward":
            _review(client, rev, ids[key], codes, track="to_cao", action="forward",
                    forwarded_to="Ủy ban kiểm tra Thành ủy")
        elif action == "twice":
            _review(client, rev, ids[key], codes, track="to_cao")
            _review(client, rev, ids[key], codes, action="close", outcome="Đã chuyển thanh tra")
        elif action in ("close", "out"):
            _review(client, rev, ids[key], codes, action="close")
        elif action == "claim":
            assert client.post(f"/api/v1/feedback/{ids[key]}/claim", headers=rev).status_code == 200
    items = {}
    for key, item_id in ids.items():
        item = client.get(f"/api/v1/feedback/{item_id}", headers=rev).json()
        reviews = sorted(_utc(e["at"]) for e in client.get(
            f"/api/v1/audit?feedback_id={item_id}", headers=sup).json() if e["action"] == "review")
        item.update(key=key, received=_utc(item["received_at"]), reviews=reviews,
                    province=(item["locality"] or "unspecified").split(".")[0])
        items[key] = item
    assert items["flood_plain"]["cluster"] == items["flood"]["cluster"]  # a duplicate cluster
    return items


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return (datetime.combine(first, time(), VN).astimezone(UTC),
            datetime.combine(last + timedelta(days=1), time(), VN).astimezone(UTC))


def _in_subtree(item, locality):
    return not locality or (item["locality"] or "") == locality or (
        item["locality"] or "").startswith(locality + ".")


def expected(items: dict, first: date, last: date, locality: str | None, today: date) -> dict:
    """The report recomputed in plain Python from the items as the API returned them."""
    start, end = _bounds(first, last)
    scoped = [i for i in items.values() if _in_subtree(i, locality)]
    got = [i for i in scoped if start <= i["received"] < end]
    codes, groups = defaultdict(Counter), defaultdict(Counter)
    for i in got:
        basis = "reviewed" if i["reviews"] else "suggested"
        chosen = i["final_codes"] if i["reviews"] else i["suggested"]
        for c in set(chosen):
            codes[c][basis] += 1
        for g in {c[:-2] for c in chosen}:
            groups[g][basis] += 1
    hours = [(i["reviews"][0] - i["received"]).total_seconds() / 3600 for i in got if i["reviews"]]
    clusters = Counter(i["cluster"] for i in got)
    multi = {c: n for c, n in clusters.items() if n > 1}
    return {
        "total": len(got),
        "by_status": Counter(i["status"] for i in got),
        "by_channel": Counter(i["channel"] or "unspecified" for i in got),
        "by_track": Counter(i["track"] or "unspecified" for i in got),
        "by_priority_level": Counter(i["priority"]["level"] or "unspecified" for i in got),
        "by_province": Counter(i["province"] for i in got),
        "by_commune": Counter(i["locality"] for i in got if "." in (i["locality"] or "")),
        "codes": {c: dict(n) for c, n in codes.items()},
        "groups": {g: dict(n) for g, n in groups.items()},
        "basis": Counter("reviewed" if i["reviews"] else "suggested" for i in got
                         if (i["final_codes"] if i["reviews"] else i["suggested"])),
        "closed_of_received": sum(i["status"] in CLOSED for i in got),
        "closed_in_period": Counter(i["status"] for i in scoped if i["status"] in CLOSED
                                    and start <= i["reviews"][-1] < end),
        "median_hours": statistics.median(hours) if hours else None,
        "reviewed_items": len(hours),
        "overdue": {i["id"] for i in got if i["due_at"] and date.fromisoformat(i["due_at"]) < today
                    and i["status"] not in CLOSED},
        "clusters": sorted(multi.values(), reverse=True),
        "cluster_channels": {c: len({i["channel"] for i in got if i["cluster"] == c and i["channel"]})
                             for c in multi},
        "linked": sum(i["duplicate_of"] is not None for i in got),
    }


def check(report: dict, exp: dict) -> None:
    assert report["total"] == exp["total"] == report["flow"]["received"]
    for part in ("by_status", "by_channel", "by_track", "by_priority_level"):
        assert {k: v for k, v in report[part].items() if v} == dict(exp[part]), part
        assert sum(report[part].values()) == exp["total"], part
    assert {r["code"]: r["count"] for r in report["by_province"]} == dict(exp["by_province"])
    assert {r["code"]: r["count"] for r in report["by_commune"]} == dict(exp["by_commune"])
    for r in report["by_province"]:
        assert r["count"] - r["without_commune"] == sum(
            c["count"] for c in report["by_commune"] if c["province"] == r["code"])
    assert {r["code"]: {k: v for k, v in (("reviewed", r["reviewed"]), ("suggested", r["suggested"]))
                        if v} for r in report["by_code"]} == exp["codes"]
    assert all(r["items"] == r["reviewed"] + r["suggested"] for r in report["by_code"])
    assert {r["group"]: {k: v for k, v in (("reviewed", r["reviewed"]), ("suggested", r["suggested"]))
                         if v} for r in report["by_group"] if r["items"]} == exp["groups"]
    assert report["codes_basis"] == {"reviewed": exp["basis"]["reviewed"],
                                     "suggested": exp["basis"]["suggested"]}
    flow = report["flow"]
    assert flow["closed_of_received"] == exp["closed_of_received"]
    assert flow["open_of_received"] == exp["total"] - exp["closed_of_received"]
    assert flow["closed_in_period_by_status"] == {s: exp["closed_in_period"][s]
                                                  for s in ("forwarded", "closed")}
    assert flow["closed_in_period"] == sum(exp["closed_in_period"].values())
    fr = report["first_review"]
    assert fr["reviewed_items"] == exp["reviewed_items"]
    if exp["median_hours"] is None:
        assert fr["median_hours"] is None
    else:
        assert fr["median_hours"] == pytest.approx(exp["median_hours"], abs=0.01)
    assert report["overdue"]["count"] == len(exp["overdue"])
    assert {o["id"] for o in report["overdue"]["items"]} == exp["overdue"]
    assert all(o["days_overdue"] > 0 for o in report["overdue"]["items"])
    d = report["duplicates"]
    assert d["clusters"] == len(exp["clusters"]) and d["items_in_clusters"] == sum(exp["clusters"])
    assert [c["size"] for c in d["largest"]] == exp["clusters"]
    assert {c["cluster"]: c["distinct_channels"] for c in d["largest"]} == exp["cluster_channels"]
    assert all(len(c["channels"]) == c["distinct_channels"] for c in d["largest"])
    assert d["items_linked"] == exp["linked"]


def test_every_total_agrees_with_the_posted_items(client, make_key, seeded, settings, tmp_path):
    sup = make_key("supervisor")
    today = datetime.now(VN).date()
    national = client.get(f"/api/v1/reports?period={Q}", headers=sup)
    assert national.status_code == 200, national.text
    report = national.json()
    exp = expected(seeded, Q_FIRST, Q_LAST, None, today)
    # The mix is what the test means it to be: boundary items on the right side, a cluster
    # across channels, an overdue item, reviewed and unreviewed codes.
    assert exp["total"] == 9 and exp["clusters"][0] >= 2 and exp["overdue"]
    assert exp["basis"]["reviewed"] == 4 and exp["basis"]["suggested"] >= 4
    check(report, exp)
    assert report["period"] == {"label": Q, "kind": "quarter", "from": Q_FIRST.isoformat(),
                                "to": Q_LAST.isoformat(), "timezone": "Asia/Ho_Chi_Minh (UTC+07:00)"}
    assert report["locality"] == {"code": None, "name": None}

    for locality in ("01", "79", "01.00070", "82"):
        scoped = client.get(f"/api/v1/reports?period={Q}&locality={locality}", headers=sup).json()
        check(scoped, expected(seeded, Q_FIRST, Q_LAST, locality, today))
    assert client.get(f"/api/v1/reports?period={Q}&locality=00070",  # a bare ward code
                      headers=sup).json()["locality"] == {"code": "01.00070",
                                                          "name": "Phường Hoàn Kiếm"}

    # The current quarter: the reviews happened now, so this is where items are closed,
    # including one received the quarter before.
    current = client.get(f"/api/v1/reports?from={CUR_FIRST}&to={CUR_LAST}", headers=sup).json()
    exp_now = expected(seeded, CUR_FIRST, CUR_LAST, None, today)
    assert sum(exp_now["closed_in_period"].values()) == 5
    check(current, exp_now)
    year = client.get(f"/api/v1/reports?period={Q_FIRST.year}", headers=sup).json()
    check(year, expected(seeded, date(Q_FIRST.year, 1, 1), date(Q_FIRST.year, 12, 31), None, today))

    # The command line reads the same database and prints the same report.
    out = tmp_path / "report.json"
    assert triage_main(["report", "--period", Q, "--database-url", settings.database_url,
                        "-o", str(out)]) == 0
    from_cli = json.loads(out.read_text(encoding="utf-8"))
    assert {k: v for k, v in from_cli.items() if k != "generated_at"} == {
        k: v for k, v in report.items() if k != "generated_at"}


def test_a_scoped_key_sees_only_its_subtree(client, make_key, seeded):
    hanoi = make_key("supervisor", scope="01")
    today = datetime.now(VN).date()
    own = client.get(f"/api/v1/reports?period={Q}", headers=hanoi).json()
    assert own["locality"]["code"] == "01"
    check(own, expected(seeded, Q_FIRST, Q_LAST, "01", today))
    assert {r["code"] for r in own["by_province"]} == {"01"}
    below = client.get(f"/api/v1/reports?period={Q}&locality=01.00070", headers=hanoi)
    assert below.status_code == 200 and below.json()["total"] == sum(
        1 for i in seeded.values() if i["locality"] == "01.00070"
        and _bounds(Q_FIRST, Q_LAST)[0] <= i["received"] < _bounds(Q_FIRST, Q_LAST)[1])
    for outside in ("79", "79.26506"):
        r = client.get(f"/api/v1/reports?period={Q}&locality={outside}", headers=hanoi)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
    ward = make_key("supervisor", scope="01.00070")
    r = client.get(f"/api/v1/reports?period={Q}&locality=01", headers=ward)
    assert r.status_code == 403  # a commune key cannot widen itself to its province
    for role in ("intake", "reviewer"):
        r = client.get(f"/api/v1/reports?period={Q}", headers=make_key(role))
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
    bad = client.get(f"/api/v1/reports?period={Q}&locality=99999", headers=make_key("admin"))
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_locality"


@pytest.mark.parametrize("query", [
    "period=2026-Q5", "period=2026-H3", "period=26-Q1", "period=quy3", "period=2026-13",
    "period=1999", "", "from=2026-07-01", "to=2026-09-30", "from=2026-09-30&to=2026-07-01",
    "from=2026-02-30&to=2026-03-01", "period=2026-Q3&from=2026-07-01&to=2026-09-30",
])
def test_a_bad_period_is_a_clear_422(client, make_key, query):
    r = client.get(f"/api/v1/reports?{query}", headers=make_key("supervisor"))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "invalid_period" and body["status"] == 422 and body["detail"]


def test_a_bad_format_is_refused(client, make_key):
    r = client.get(f"/api/v1/reports?period={Q}&format=pdf", headers=make_key("supervisor"))
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


class _Page(HTMLParser):
    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "rect"})

    def __init__(self):
        super().__init__()
        self.stack, self.ids, self.text, self.external = [], {}, [], []
        self._id = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if re.match(r"(https?:)?//", attrs.get(name) or ""):
                self.external.append(attrs[name])
        if tag == "script":
            self.external.append("<script>")
        if tag not in self.VOID:
            self.stack.append(tag)
        self._id = attrs.get("id")

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def handle_data(self, data):
        if self._id and data.strip():
            self.ids.setdefault(self._id, data.strip())
        self.text.append(data)


def test_csv_and_html_parse_and_agree_with_json(client, make_key, seeded):
    sup = make_key("supervisor")
    report = client.get(f"/api/v1/reports?period={Q}", headers=sup).json()

    r = client.get(f"/api/v1/reports?period={Q}&format=csv", headers=sup)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert f'filename="bao-cao-{Q}.csv"' in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert set(rows[0]) == {"section", "key", "label", "count", "reviewed", "suggested", "detail"}
    by = defaultdict(dict)
    for row in rows:
        by[row["section"]][row["key"]] = row
    assert int(by["total"]["total"]["count"]) == report["total"]
    assert {k: int(v["count"]) for k, v in by["channel"].items()} == report["by_channel"]
    assert by["channel"]["don_thu"]["label"] == "Đơn thư"
    assert {k: int(v["count"]) for k, v in by["status"].items()} == report["by_status"]
    assert {k: (int(v["count"]), int(v["reviewed"]), int(v["suggested"]))
            for k, v in by["code"].items()} == {
        c["code"]: (c["items"], c["reviewed"], c["suggested"]) for c in report["by_code"]}
    assert {k: int(v["count"]) for k, v in by["province"].items()} == {
        p["code"]: p["count"] for p in report["by_province"]}
    assert int(by["overdue"]["count"]["count"]) == report["overdue"]["count"]
    assert [int(v["count"]) for v in by["cluster"].values()] == [
        c["size"] for c in report["duplicates"]["largest"]]
    assert by["meta"]["period"]["detail"] == Q

    r = client.get(f"/api/v1/reports?period={Q}&format=html", headers=sup)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = _Page()
    page.feed(r.text)
    page.close()
    assert page.stack == [] and page.external == []  # balanced, nothing fetched from outside
    assert '<html lang="vi">' in r.text and "Báo cáo tổng hợp" in r.text
    assert page.ids["total"] == str(report["total"]) and page.ids["overdue"] == str(
        report["overdue"]["count"])
    charts = {}
    for svg in re.findall(r"<svg\b.*?</svg>", r.text, flags=re.DOTALL):
        root = ET.fromstring(svg)  # each chart is well-formed SVG
        charts[root.get("id")] = root
    assert {"chart-status", "chart-channel", "chart-track", "chart-province",
            "chart-group", "chart-code", "chart-flow"} <= set(charts)
    ns = "{http://www.w3.org/2000/svg}"
    channel_bars = {int(b.get("data-value")): float(b.get("width"))
                    for b in charts["chart-channel"].iter(f"{ns}rect")}
    assert sorted(channel_bars) == sorted(set(report["by_channel"].values()))
    widths = [channel_bars[v] for v in sorted(channel_bars)]
    assert widths == sorted(widths) and (channel_bars.get(0, 0) == 0)
    labels = [t.text for t in charts["chart-channel"].iter(f"{ns}text")]
    assert "Đường dây nóng" in labels and "Thư điện tử" in labels


def test_period_parsing():
    assert (parse_period("2026-Q1").first, parse_period("2026-Q1").last) == (
        date(2026, 1, 1), date(2026, 3, 31))
    assert parse_period("2026-q4").last == date(2026, 12, 31)
    assert parse_period("2028-H1").last == date(2028, 6, 30)
    assert parse_period("2026-H2").first == date(2026, 7, 1)
    assert parse_period("2028-02").last == date(2028, 2, 29)
    assert parse_period(" 2026 ").kind == "year"
    start, end = parse_period("2026-H1").bounds_utc()
    assert start == datetime(2025, 12, 31, 17, tzinfo=UTC) and end == datetime(2026, 6, 30, 17,
                                                                                  tzinfo=UTC)
    assert period_between("2026-07-01", "2026-07-01").bounds_utc()[1] - \
        period_between("2026-07-01", "2026-07-01").bounds_utc()[0] == timedelta(days=1)
    assert resolve_period(None, "2026-07-01", "2026-09-30").label == "2026-07-01..2026-09-30"
    for bad in ("2026-Q0", "2026-H0", "2026-00", "2026Q3", "Q3-2026", "2101"):
        with pytest.raises(InvalidPeriod):
            parse_period(bad)


def test_times_without_an_offset_are_vietnam_time(client, make_key):
    """23:30 on the quarter's last day, written without an offset by a Vietnamese office,
    belongs to that quarter (read as UTC it would be 06:30 the next morning in Vietnam)."""
    intake, sup = make_key("intake"), make_key("supervisor")
    late = datetime.combine(Q_LAST, time(23, 30)).isoformat()   # no offset
    early = datetime.combine(Q_FIRST, time(0, 10)).isoformat()  # 17:10 UTC the day before
    for received_at in (late, early):
        r = client.post("/api/v1/feedback", headers=intake,
                        json={"text": ROAD_FUND, "locality": "82", "received_at": received_at})
        assert r.status_code == 201, r.text
        stored = _utc(r.json()["received_at"])
        assert stored == datetime.fromisoformat(received_at).replace(tzinfo=VN)
    report = client.get(f"/api/v1/reports?period={Q}", headers=sup).json()
    assert report["total"] == 2
    nxt = _label(Q_LAST + timedelta(days=1))
    assert client.get(f"/api/v1/reports?period={nxt}", headers=sup).json()["total"] == 0
