"""The periodic report as CSV (one flat table for a spreadsheet) and as an HTML page in
Vietnamese with its charts drawn on the server as inline SVG (no script, no external
service: the page opens offline and prints as it looks)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

from service.periods import VIETNAM

TEMPLATES = Path(__file__).resolve().parent / "templates"
BOM = "\ufeff"  # so that Excel reads the file as UTF-8 (Vietnamese letters intact)

LABELS = {
    "status": {"untriaged": "Chưa phân loại tự động", "new": "Mới tiếp nhận",
               "in_review": "Đang xem xét", "reviewed": "Đã xem xét",
               "forwarded": "Đã chuyển cơ quan có thẩm quyền", "closed": "Đã kết thúc",
               "unspecified": "Không rõ"},
    "channel": {"hom_thu": "Hòm thư góp ý", "email": "Thư điện tử",
                "duong_day_nong": "Đường dây nóng", "tiep_xuc_cu_tri": "Tiếp xúc cử tri",
                "don_thu": "Đơn thư", "bao_chi": "Báo chí", "truc_tiep": "Trực tiếp",
                "unspecified": "Không rõ kênh"},
    "track": {"gop_y": "Góp ý", "phan_anh": "Phản ánh", "kien_nghi": "Kiến nghị",
              "khieu_nai": "Khiếu nại", "to_cao": "Tố cáo", "unspecified": "Chưa xác định"},
    "priority_level": {"khẩn cấp": "Khẩn cấp", "cao": "Cao", "trung bình": "Trung bình",
                       "thấp": "Thấp", "unspecified": "Chưa chấm"},
    "period_kind": {"quarter": "Quý", "half": "6 tháng", "year": "Năm", "month": "Tháng",
                    "range": "Từ ngày đến ngày"},
}
FLOW_LABELS = {
    "received": "Tiếp nhận trong kỳ",
    "closed_of_received": "Trong số tiếp nhận: đã xử lý xong",
    "open_of_received": "Trong số tiếp nhận: chưa xong",
    "closed_in_period": "Xử lý xong trong kỳ (kể cả tiếp nhận kỳ trước)",
}
CSV_FIELDS = ("section", "key", "label", "count", "reviewed", "suggested", "detail")


def label(kind: str, key: str) -> str:
    return LABELS.get(kind, {}).get(key, key)


def locality_label(report: dict) -> str:
    loc = report["locality"]
    if not loc["code"]:
        return "Toàn quốc"
    return f"{loc['name'] or loc['code']} ({loc['code']})"


def _province_name(row: dict) -> str:
    return row["name"] or ("Không rõ địa bàn" if row["code"] == "unspecified" else row["code"])


def render_csv(report: dict) -> str:
    """One table: ``section, key, label, count, reviewed, suggested, detail``; sections come
    in the order of the report, so a pivot table or a filter on ``section`` gives any part."""
    rows: list[dict] = []

    def add(section, key="", lbl="", count="", reviewed="", suggested="", detail=""):
        rows.append(dict(zip(CSV_FIELDS, (section, key, lbl, count, reviewed, suggested, detail),
                             strict=True)))

    p = report["period"]
    add("meta", "period", "Kỳ báo cáo", detail=p["label"])
    add("meta", "from", "Từ ngày", detail=p["from"])
    add("meta", "to", "Đến ngày", detail=p["to"])
    add("meta", "locality", "Địa bàn", detail=report["locality"]["code"] or "")
    add("meta", "locality_name", "Tên địa bàn", detail=locality_label(report))
    add("meta", "generated_at", "Thời điểm lập", detail=report["generated_at"])
    add("meta", "as_of", "Tính quá hạn đến ngày", detail=report["as_of"])
    add("total", "total", "Tổng số tiếp nhận", report["total"])
    for key, lbl in FLOW_LABELS.items():
        add("flow", key, lbl, report["flow"][key])
    for status, n in report["flow"]["closed_in_period_by_status"].items():
        add("flow", f"closed_in_period:{status}", label("status", status), n)
    for section, kind in (("by_status", "status"), ("by_channel", "channel"),
                          ("by_track", "track"), ("by_priority_level", "priority_level")):
        for key, n in report[section].items():
            add(kind, key, label(kind, key), n)
    for r in report["by_province"]:
        add("province", r["code"], _province_name(r), r["count"],
            detail=f"không ghi xã/phường: {r['without_commune']}")
    for r in report["by_commune"]:
        add("commune", r["code"], r["name"] or "", r["count"], detail=r["province"])
    b = report["codes_basis"]
    add("codes_basis", "reviewed", "Số phản ánh tính theo mã người xem xét chốt", b["reviewed"])
    add("codes_basis", "suggested", "Số phản ánh tính theo mã máy gợi ý", b["suggested"])
    for r in report["by_group"]:
        add("group", r["group"], r["name"] or "", r["items"], r["reviewed"], r["suggested"])
    for r in report["by_code"]:
        add("code", r["code"], r["title"] or "", r["items"], r["reviewed"], r["suggested"],
            detail=r["group"])
    fr = report["first_review"]
    add("first_review", "reviewed_items", "Số phản ánh đã xem xét", fr["reviewed_items"])
    add("first_review", "median_hours", "Trung vị thời gian đến lần xem xét đầu (giờ)",
        "" if fr["median_hours"] is None else fr["median_hours"])
    add("overdue", "count", "Số phản ánh quá hạn, chưa xử lý xong", report["overdue"]["count"])
    for r in report["overdue"]["items"]:
        add("overdue_item", r["tracking_code"], label("status", r["status"]), r["days_overdue"],
            detail=f"hạn {r['due_at']}; {label('track', r['track'] or 'unspecified')}; "
                   f"{r['locality'] or ''}")
    d = report["duplicates"]
    add("duplicates", "clusters", "Số vụ việc có nhiều phản ánh trùng", d["clusters"])
    add("duplicates", "items_in_clusters", "Số phản ánh thuộc các vụ việc đó",
        d["items_in_clusters"])
    for r in d["largest"]:
        add("cluster", r["cluster"], f"{r['distinct_channels']} kênh", r["size"],
            detail=" ".join(r["channels"]))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return BOM + out.getvalue()


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(label=label)
    env.filters["channel_label"] = lambda key: label("channel", key)
    env.filters["vn_time"] = vn_time
    env.filters["vn_date"] = lambda iso: date.fromisoformat(iso).strftime("%d/%m/%Y")
    return env


def vn_time(iso: str | None) -> str:
    """'2026-12-01T10:55:53+00:00' → '01/12/2026 17:55' (Vietnam time)."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def bars(pairs, *, width: int = 360) -> list[dict]:
    """Rows of a horizontal bar chart: label, value and bar length (the longest bar is
    ``width``; a non-zero value gets at least 2 px so it stays visible)."""
    pairs = [(str(k), int(v or 0)) for k, v in pairs]
    top = max((v for _, v in pairs), default=0)
    return [{"label": k, "value": v,
             "length": 0 if not v else max(2, round(width * v / top))} for k, v in pairs]


def _charts(report: dict) -> dict[str, list[dict]]:
    flow = report["flow"]
    charts = {"flow": bars([(FLOW_LABELS[k], flow[k]) for k in
                            ("received", "closed_of_received", "closed_in_period")])}
    for kind in ("status", "channel", "track", "priority_level"):
        charts[kind] = bars([(label(kind, k), n) for k, n in report[f"by_{kind}"].items()])
    charts["province"] = bars([(_province_name(r), r["count"]) for r in report["by_province"][:20]])
    charts["code"] = bars([(f"{r['code']} · {r['title'] or ''}", r["items"])
                           for r in report["by_code"][:15]])
    return charts


def render_html(report: dict) -> str:
    return _environment().get_template("reports/report.html").render(
        r=report, locality=locality_label(report), charts=_charts(report),
        kind=label("period_kind", report["period"]["kind"]))
