"""Explainable priority: a score from 1 to 5, a level and the reasons, in Vietnamese.

The score starts from the severity of the suggested categories (taxonomy ``severity``,
weighted by the model's confidence) and moves with who is accused, how concrete the
evidence is, signs of urgency, the number of distinct reporters of the same case and the
time left to the legal deadline (labelling guide, "Priority"). Cues are matched on the diacritics-free text, so text
typed without accents is treated alike.

>>> from triage.taxonomy import load_taxonomy
>>> d = score_priority(suggested=[("TN01", 0.8)], taxonomy=load_taxonomy(),
...                    text="Chủ tịch xã tham ô 500 triệu, có chứng từ", out_of_scope=False)
>>> d.level
'khẩn cấp'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triage.taxonomy import Taxonomy
from triage.textutil import starts_with, strip_diacritics

LEVELS = ((4.5, "khẩn cấp"), (3.5, "cao"), (2.5, "trung bình"), (0.0, "thấp"))


_CUE_PHRASES: list[str] = []  # every cue, for the first-letter look of _CUES_RE


def _cue(*phrases: str, not_after: str = "") -> re.Pattern:
    plain = {strip_diacritics(p.lower()) for p in phrases}
    _CUE_PHRASES.extend(plain)
    alts = "|".join(sorted(map(re.escape, plain), key=len, reverse=True))
    guard = f"(?<!{not_after} )" if not_after else ""
    return re.compile(guard + r"(?<!\w)(?:" + alts + r")(?!\w)")


HEAD_RE = _cue("chủ tịch", "bí thư", "giám đốc", "tổng giám đốc", "hiệu trưởng", "chánh án",
               "viện trưởng", "thủ trưởng", "trưởng công an", "cục trưởng", "vụ trưởng",
               "bộ trưởng", "chánh thanh tra", "trưởng ban", "giám đốc sở", "người đứng đầu",
               not_after="pho")
KEY_RE = _cue("phó chủ tịch", "phó bí thư", "phó giám đốc", "trưởng phòng", "phó trưởng phòng",
              "trưởng khoa", "kế toán trưởng", "trưởng trạm", "đội trưởng", "phó hiệu trưởng",
              "ủy viên ban thường vụ", "thường trực")
MEMBER_RE = _cue("đảng viên", "cán bộ", "công chức", "viên chức", "trưởng thôn", "trưởng ấp",
                 "tổ trưởng", "công an", "cảnh sát", "địa chính", "kế toán", "thủ quỹ")
AMOUNT_RE = re.compile(r"\d[\d.,]*\s*(?:trieu|ty|nghin|dong|d\b|vnd|usd|\$)", re.IGNORECASE)
DATE_RE = re.compile(r"\b(?:ngay\s+)?\d{1,2}[/-]\d{1,2}(?:[/-]\d{2,4})?\b|\bthang\s+\d{1,2}\b")
EVIDENCE_RE = _cue("ghi âm", "băng ghi âm", "video", "clip", "hình ảnh", "ảnh chụp", "chứng từ",
                   "biên lai", "hóa đơn", "tin nhắn", "sao kê", "văn bản", "giấy tờ", "hồ sơ",
                   "nhân chứng", "người làm chứng", "camera", "phiếu thu", "hợp đồng", "chứng cứ",
                   "bằng chứng", "tài liệu")
URGENT_RE = _cue("bỏ trốn", "trốn ra nước ngoài", "xuất cảnh", "tiêu hủy", "phi tang",
                 "xóa dấu vết", "đe dọa", "hành hung", "đánh người", "trả thù", "trù dập",
                 "khẩn cấp", "tính mạng", "tẩu tán", "cưỡng chế", "gây rối")
DEADLINE_SOON = 3  # working days: from here on the deadline raises the priority
OUT_BASE = {"OUT01": 2.0, "OUT02": 1.0, "OUT03": 1.0}
# All cue lists in one pattern, so a text is scanned once; the group name says which list.
# The look at the first letter lets the engine skip positions where no cue starts.
_CUES_RE = re.compile(
    starts_with(_CUE_PHRASES, ignore_case=False) + "(?:"
    + "|".join(f"(?P<{name}>{rx.pattern})" for name, rx in (
        ("key", KEY_RE), ("head", HEAD_RE), ("member", MEMBER_RE), ("evidence", EVIDENCE_RE),
        ("urgent", URGENT_RE)))
    + ")")


def _first_cues(plain: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for m in _CUES_RE.finditer(plain):
        found.setdefault(m.lastgroup, m.group(0))
    return found


@dataclass(frozen=True)
class PriorityDecision:
    score: float
    level: str
    reasons: tuple[str, ...]


def level_of(score: float) -> str:
    return next(name for floor, name in LEVELS if score >= floor)


def score_priority(*, suggested: list[tuple[str, float]], taxonomy: Taxonomy, text: str,
                   out_of_scope: bool, reporters: int = 1, days_left: int | None = None,
                   plain: str | None = None) -> PriorityDecision:
    """Score one item from its suggested codes (with scores) and its redacted text
    (``plain``: the same text lower-cased without diacritics, when the caller has it).
    ``reporters`` counts the distinct people who sent the same case; ``days_left`` the
    working days until the item's legal deadline (negative once it is overdue)."""
    reasons: list[str] = []
    if out_of_scope or not suggested:
        code = suggested[0][0] if suggested else "OUT03"
        score = OUT_BASE.get(code, 1.0)
        reasons.append(f"Ngoài phạm vi ({code}: {taxonomy.category_or_raise(code).title})")
        return PriorityDecision(score, level_of(score), tuple(reasons))
    weighted = []
    for code, s in suggested:
        cat = taxonomy.category_or_raise(code)
        weighted.append((cat.severity * (0.75 + 0.25 * min(1.0, s / 0.5)), cat))
    base, cat = max(weighted, key=lambda x: x[0])
    reasons.append(f"Mức nghiêm trọng {cat.severity} ({cat.code}: {cat.title})")
    score = base - 0.5
    plain = plain if plain is not None else strip_diacritics(text.lower())
    cues = _first_cues(plain)
    if "head" in cues:
        score += 0.6
        reasons.append(f"Người bị phản ánh có thể là người đứng đầu ({cues['head']})")
    elif "key" in cues:
        score += 0.4
        reasons.append(f"Người bị phản ánh là cán bộ chủ chốt ({cues['key']})")
    elif "member" in cues:
        score += 0.2
        reasons.append("Người bị phản ánh là cán bộ, đảng viên")
    evidence = []
    if AMOUNT_RE.search(plain):
        evidence.append("số tiền cụ thể")
    if DATE_RE.search(plain):
        evidence.append("thời gian cụ thể")
    if "evidence" in cues:
        evidence.append(f"tài liệu, chứng cứ ({cues['evidence']})")
    if evidence:
        score += min(0.6, 0.25 * len(evidence))
        reasons.append("Nội dung cụ thể: " + ", ".join(evidence))
    if "urgent" in cues:
        score += 0.5
        reasons.append(f"Dấu hiệu khẩn cấp ({cues['urgent']})")
    if reporters > 1:
        score += min(0.6, 0.2 * (reporters - 1))
        reasons.append(f"{reporters} người phản ánh cùng vụ việc")
    if days_left is not None and days_left <= DEADLINE_SOON:
        if days_left < 0:
            score += 0.6
            reasons.append(f"Đã quá hạn xử lý {-days_left} ngày làm việc")
        elif days_left == 0:
            score += 0.5
            reasons.append("Đến hạn xử lý hôm nay")
        else:
            score += 0.5 - 0.1 * days_left
            reasons.append(f"Còn {days_left} ngày làm việc đến hạn xử lý")
    score = round(max(1.0, min(5.0, score)), 2)
    return PriorityDecision(score, level_of(score), tuple(reasons))
