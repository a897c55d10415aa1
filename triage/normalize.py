"""Normalize Vietnamese text: NFC, one tone-mark convention, whitespace, teencode and
abbreviations. Idempotent: ``normalize_text(normalize_text(t)) == normalize_text(t)``.

>>> normalize_text("Hoà  bình,   thuỷ lợi, quí khách")
'Hòa bình, thủy lợi, quý khách'
>>> normalize_text("UBND xã ko giải quyết, CT xã đc báo rồi")
'Ủy ban nhân dân xã không giải quyết, Chủ tịch xã được báo rồi'
"""

from __future__ import annotations

import re
import unicodedata

from triage.textutil import starts_with

_TONES = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng

# Old-style placement in open syllables oa/oe/uy: hoà → hòa, khoẻ → khỏe, thuỷ → thủy.
# In "qu" + y the u belongs to the consonant, so quý keeps its mark on y.
_OLD_STYLE_RE = re.compile(
    r"(?<![^\W\d_])([^\W\d_]*?)([oO][aAeE]|(?<![qQ])[uU][yY])([\u0300\u0301\u0309\u0303\u0323])(?![^\W\d_])"
)
_QUI_RE = re.compile(r"(?<![^\W\d_])([qQ][uU])([iI])([\u0300\u0301\u0309\u0303\u0323]?)(?![^\W\d_])")
_INVISIBLE_RE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_NEWLINES_RE = re.compile(r"\n{3,}")

# Lower-case teencode and chat abbreviations, matched as whole words, any case.
TEENCODE: dict[str, str] = {
    "ko": "không", "k": "không", "kh": "không", "khg": "không", "hok": "không",
    "hk": "không", "kô": "không", "kg": "không", "khum": "không",
    "dc": "được", "đc": "được", "dk": "được",
    "j": "gì", "ntn": "như thế nào", "bt": "biết", "bít": "biết",
    "bik": "biết", "wa": "quá", "wá": "quá", "thui": "thôi", "nhìu": "nhiều",
    "ng": "người", "mn": "mọi người", "r": "rồi", "ms": "mới", "vs": "với",
    "cx": "cũng", "cg": "cũng", "đt": "điện thoại", "dt": "điện thoại",
    "sdt": "số điện thoại", "sđt": "số điện thoại", "mk": "mình", "mik": "mình",
    "bn": "bao nhiêu", "trc": "trước", "ak": "à", "cb": "cán bộ",
    "cbcc": "cán bộ công chức", "tp": "thành phố", "tks": "cảm ơn", "thik": "thích",
    "lm": "làm", "ns": "nói", "hnay": "hôm nay", "hqua": "hôm qua", "lun": "luôn",
    "wen": "quen", "iu": "yêu", "nv": "nhân viên", "ctv": "cộng tác viên",
    "nhg": "nhưng", "nhưg": "nhưng", "đag": "đang", "dag": "đang", "ntin": "nhắn tin",
    "rùi": "rồi", "ròi": "rồi", "mún": "muốn", "thỳ": "thì", "đj": "đi", "dzậy": "vậy",
    "zậy": "vậy", "bâyh": "bây giờ", "bh": "bao giờ", "e": "em", "ng ta": "người ta",
    "lun lun": "luôn luôn", "hok bít": "không biết", "kbt": "không biết",
    "trg": "trường", "đg": "đường", "ktra": "kiểm tra", "ktr": "kiểm tra", "gv": "giáo viên",
    "cty": "công ty", "bv": "bệnh viện", "cq": "cơ quan", "ql": "quản lý", "tg": "thời gian",
    "qđ": "quyết định", "nđ": "nghị định", "csvc": "cơ sở vật chất", "ngta": "người ta",
    "mng": "mọi người", "ae": "anh em", "kiu": "kêu", "pải": "phải", "xog": "xong",
    # office acronyms typed in lower case in chat ("gửi lên mttq", "ubnd xã")
    "ubnd": "Ủy ban nhân dân", "hđnd": "Hội đồng nhân dân", "hdnd": "Hội đồng nhân dân",
    "mttq": "Mặt trận Tổ quốc", "ubmttq": "Ủy ban Mặt trận Tổ quốc", "csgt": "cảnh sát giao thông",
    "bhxh": "bảo hiểm xã hội", "bhyt": "bảo hiểm y tế", "qsdđ": "quyền sử dụng đất",
    "qsdd": "quyền sử dụng đất", "htx": "hợp tác xã", "bql": "Ban quản lý",
    "ccb": "cựu chiến binh", "tdp": "tổ dân phố", "kdc": "khu dân cư",
}
# Left alone on purpose, for meaning two things: "hs" (học sinh, hồ sơ), "lđ" (lãnh đạo, lao
# động), "gđ" (giám đốc, gia đình), "ck" (chồng, chuyển khoản), "đv" (đảng viên, đơn vị),
# "hổng" (không, lỗ hổng), "nc" (nước, nói chuyện), "h" (giờ, a letter).
# "kg" is kilogram after a number; "k" after a number is a thousand: both handled below.

# Upper-case acronyms of offices and documents, matched case-sensitively.
ACRONYMS: dict[str, str] = {
    "UBND": "Ủy ban nhân dân", "HĐND": "Hội đồng nhân dân", "HDND": "Hội đồng nhân dân",
    "MTTQ": "Mặt trận Tổ quốc", "UBMTTQ": "Ủy ban Mặt trận Tổ quốc",
    "CSGT": "cảnh sát giao thông", "QSDĐ": "quyền sử dụng đất", "QSDD": "quyền sử dụng đất",
    "GCN": "giấy chứng nhận", "GCNQSDĐ": "giấy chứng nhận quyền sử dụng đất",
    "BHXH": "bảo hiểm xã hội", "BHYT": "bảo hiểm y tế", "TTHC": "thủ tục hành chính",
    "BQL": "Ban quản lý", "HTX": "hợp tác xã", "DNNN": "doanh nghiệp nhà nước",
    "ĐBQH": "đại biểu Quốc hội", "DBQH": "đại biểu Quốc hội", "UBKT": "Ủy ban Kiểm tra",
    "BCH": "Ban chấp hành", "BTV": "Ban thường vụ", "TP": "thành phố", "TP.": "thành phố",
    "CBCC": "cán bộ công chức", "CCB": "cựu chiến binh", "HND": "Hội Nông dân",
    "HLHPN": "Hội Liên hiệp Phụ nữ", "KDC": "khu dân cư", "TDP": "tổ dân phố",
    "CAX": "công an xã", "CAP": "công an phường", "BCĐ": "Ban chỉ đạo",
}
# Title abbreviations that only mean a post before the name of an office.
_TITLE_PREFIX = {"CT": "Chủ tịch", "PCT": "Phó chủ tịch", "BT": "Bí thư", "PBT": "Phó Bí thư"}
_OFFICE_WORDS = (
    "xã|phường|huyện|tỉnh|thị trấn|thành phố|quận|UBND|Ủy ban|HĐND|MTTQ|Hội|hội|chi bộ|đảng ủy|"
    "Đảng ủy|xa|phuong|huyen|tinh|thi tran|quan|chi bo|dang uy|hoi|thôn|ấp|thon|ap|"
    "HTX|hợp tác xã|công đoàn|cong doan"
)

_TEEN_RE = re.compile(
    starts_with(TEENCODE)
    + r"(?<![^\W_])(" + "|".join(sorted(map(re.escape, TEENCODE), key=len, reverse=True)) + r")(?![^\W_])",
    re.IGNORECASE,
)
_ACRONYM_RE = re.compile(
    r"(?<![^\W_])(" + "|".join(sorted(map(re.escape, ACRONYMS), key=len, reverse=True)) + r")(?![^\W_])"
)
_TITLE_RE = re.compile(
    r"(?<![^\W_])((?i:pct|pbt|ct|bt))(\.?\s+)(?=(?:" + _OFFICE_WORDS + r")(?![^\W_]))"
)
_MONTH_RE = re.compile(r"(?<![\w/])[tT]([1-9]|1[0-2])(?![\w/])")
_AMOUNT_TR_RE = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s?(?:tr|tr\.|trieu)(?![^\W_])", re.IGNORECASE)
_AMOUNT_K_RE = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s?k(?![^\W_])", re.IGNORECASE)
_NUMBER_UNIT_RE = re.compile(r"\d\s?$")


def _move_tone(match: re.Match) -> str:
    head, pair, tone = match.group(1), match.group(2), match.group(3)
    return head + pair[0] + tone + pair[1]


def _qui(match: re.Match) -> str:
    qu, i, tone = match.group(1), match.group(2), match.group(3)
    return qu + ("Y" if i.isupper() else "y") + tone


# Only an open syllable can carry the old placement ("hoà", but not "hoàn"), so look for
# that before decomposing the whole text.
_NEEDS_TONE_FIX_RE = re.compile(
    r"(?:[oO][àáảãạÀÁẢÃẠèéẻẽẹÈÉẺẼẸ]|(?<![qQ])[uU][ỳýỷỹỵỲÝỶỸỴ]|[qQ][uU][iIíìỉĩịÍÌỈĨỊ])(?![^\W\d_])"
    r"|[\u0300\u0301\u0309\u0303\u0323]"
)


def normalize_tone_marks(text: str) -> str:
    """Put tone marks where the modern convention does: hoà → hòa, thuỷ → thủy, quí → quý."""
    if not _NEEDS_TONE_FIX_RE.search(text):
        return text
    decomposed = unicodedata.normalize("NFD", text)
    decomposed = _OLD_STYLE_RE.sub(_move_tone, decomposed)
    decomposed = _QUI_RE.sub(_qui, decomposed)
    return unicodedata.normalize("NFC", decomposed)


def _teen(match: re.Match) -> str:
    word = match.group(1)
    key = word.lower()
    # "50k" / "3 kg": numbers keep their units; leave those to the amount rules.
    before = match.string[: match.start()]
    if key in {"k", "kg"} and _NUMBER_UNIT_RE.search(before):
        return word
    if key == "r" and before.rstrip().endswith(("đ", "$")):
        return word
    expansion = TEENCODE[key]
    if word[:1].isupper() and word.lower() != word[:1].lower() + word[1:]:
        return expansion  # all caps like "KO": plain expansion
    if word[:1].isupper():
        return expansion[:1].upper() + expansion[1:]
    return expansion


_WORDS_RE = re.compile(r"[^\W_]+\.?")
_TEEN_KEYS = frozenset(TEENCODE)
_ACRONYM_KEYS = frozenset(ACRONYMS) | frozenset(_TITLE_PREFIX)


def expand_abbreviations(text: str) -> str:
    """Expand teencode, chat abbreviations, office acronyms and money shorthand."""
    words = set(_WORDS_RE.findall(text))
    words |= {w.rstrip(".") for w in words}
    if words & _ACRONYM_KEYS or {w.upper() for w in words} & set(_TITLE_PREFIX):
        text = _TITLE_RE.sub(lambda m: _TITLE_PREFIX[m.group(1).upper()] + " ", text)
        text = _ACRONYM_RE.sub(lambda m: ACRONYMS[m.group(1)], text)
    text = _AMOUNT_TR_RE.sub(lambda m: m.group(1) + " triệu", text)
    text = _AMOUNT_K_RE.sub(lambda m: m.group(1) + " nghìn", text)
    text = _MONTH_RE.sub(lambda m: "tháng " + m.group(1), text)
    if "mn" in words or "MN" in words:  # "trg mn Hoa Sen": a kindergarten, not "mọi người"
        text = _KINDERGARTEN_RE.sub(lambda m: m.group(1) + "mầm non", text)
    if {w.lower() for w in words} & _TEEN_KEYS:
        text = _TEEN_RE.sub(_teen, text)
    if "ô" in words or "Ô" in words or "ht" in words or "HT" in words:
        text = _OLD_MAN_RE.sub(lambda m: ("Ông" if m.group(1) == "Ô" else "ông") + m.group(2), text)
        text = _PRINCIPAL_RE.sub(lambda m: m.group(1) + "hiệu trưởng", text)
    return text


# "ô Quyết": "ông" before a name (a capital), never the umbrella ("cái ô", "ô dù"); "thầy HT
# Sang", "cô ht Ngọc": the principal.
_OLD_MAN_RE = re.compile(r"(?<![^\W_])([ôÔ])\.?(\s+)(?=[A-ZĐÀ-Ỹ])")
_KINDERGARTEN_RE = re.compile(r"(?<![^\W_])((?i:trg|trường|truong)\s+)(?i:mn)(?![^\W_])")
_PRINCIPAL_RE = re.compile(r"(?<![^\W_])((?i:thầy|thay|cô|co)\s+)(?i:ht)(?![^\W_])")


_LINE_EDGE_RE = re.compile(r" ?\n ?")


def normalize_whitespace(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE_RE.sub("", text)
    text = _CONTROL_RE.sub(" ", text)
    text = _SPACES_RE.sub(" ", text)
    text = _LINE_EDGE_RE.sub("\n", text)
    return _NEWLINES_RE.sub("\n\n", text).strip()


def normalize_text(text: str) -> str:
    """NFC, modern tone marks, clean whitespace, expanded abbreviations; idempotent."""
    text = unicodedata.normalize("NFC", text)
    text = normalize_whitespace(text)
    text = expand_abbreviations(text)  # replaces words by words: spacing stays clean
    return normalize_tone_marks(text)
