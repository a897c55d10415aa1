"""Detect personal data and replace it with typed placeholders.

Phone numbers (+84, 0xx, with spaces, dots or dashes, or spelled out in words), CCCD/CMND
numbers, e-mail addresses, bank account numbers and house addresses become ``<SĐT>``,
``<CCCD>``, ``<EMAIL>``, ``<STK>`` and ``<ĐỊA_CHỈ>``. Reviewers and training see only the
redacted text; the values themselves are never kept here.

>>> redact("Liên hệ tôi: 0912 345 678, email an.nguyen@gmail.com").text
'Liên hệ tôi: <SĐT>, email <EMAIL>'
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from triage.textutil import starts_with

PLACEHOLDERS = {
    "email": "<EMAIL>",
    "account": "<STK>",
    "id_number": "<CCCD>",
    "phone": "<SĐT>",
    "address": "<ĐỊA_CHỈ>",
}

_SEP = r"[ .\-]?"
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?![\w-])")

# Account numbers: a cue (STK, số tài khoản, TK ngân hàng) then 6-20 digits in groups.
_ACCOUNT_RE = re.compile(
    r"(?P<cue>(?<![^\W_])(?:stk|s\.t\.k|số\s+tài\s+khoản|so\s+tai\s+khoan|số\s+tk|so\s+tk|"
    r"tài\s+khoản(?:\s+ngân\s+hàng)?|tai\s+khoan(?:\s+ngan\s+hang)?|tk)\s*[:.]?\s*(?:là|la|số|so)?\s*)"
    r"(?P<num>\d(?:[ .\-]?\d){5,19})(?!\d)",
    re.IGNORECASE,
)
# CCCD (12 digits) and CMND (9 digits, or 12): a cue makes 9 digits count; 12 alone do.
_ID_CUED_RE = re.compile(
    r"(?P<cue>(?<![^\W_])(?:cccd|cmnd|cmt|căn\s+cước(?:\s+công\s+dân)?|can\s+cuoc(?:\s+cong\s+dan)?|"
    r"chứng\s+minh(?:\s+nhân\s+dân|\s+thư)?|chung\s+minh(?:\s+nhan\s+dan|\s+thu)?|"
    r"định\s+danh|dinh\s+danh)(?:\s+(?:số|so|cũ|cu|mới|moi|là|la|của\s+tôi|cua\s+toi))*\s*[:.]?\s*)"
    r"(?P<num>\d(?:[ .]?\d){8,11})(?!\d)",
    re.IGNORECASE,
)
_ID_BARE_RE = re.compile(r"(?<![\d.,])0\d{11}(?![\d.,])")
# Phones: +84 / 84 / 0 then 8-10 more digits, separators allowed between groups.
_PHONE_RE = re.compile(
    r"(?<![\w.,+])(?:\(?\+84\)?|0084|84(?=[ .\-]?[35789]))" + _SEP + r"\d(?:[ .\-]?\d){7,9}(?![\d])"
    r"|(?<![\w.,])0\d(?:[ .\-]?\d){7,9}(?![\d])"
)
_DIGIT_WORDS = (
    "không|một|mốt|hai|ba|bốn|tư|năm|lăm|sáu|bảy|bẩy|tám|chín|linh|lẻ|"
    "khong|mot|hai|ba|bon|tu|nam|lam|sau|bay|tam|chin|linh|le"
)
_DIGIT_WORD_SET = frozenset(_DIGIT_WORDS.split("|"))
_WORD_RE = re.compile(r"[^\W_]+")
_PHONE_WORDS_RE = re.compile(
    starts_with(_DIGIT_WORDS.split("|")) + r"(?<![^\W_])(?:(?:" + _DIGIT_WORDS + r")[\s,.\-]+){8,11}(?:" + _DIGIT_WORDS + r")(?![^\W_])",
    re.IGNORECASE,
)
# House addresses: "số 12 ngõ 45 đường Lê Lợi", "số nhà 7", "nhà số 15/3 hẻm 2", "kiệt 12".
_STREET_NAME = r"(?:\s+(?:[A-ZĐÀ-Ỹ][\wÀ-ỹ]*|\d+(?:/\d+)*)){1,4}"
_ALLEY = r"(?:ngõ|ngách|hẻm|kiệt|hẽm|ngo|ngach|hem|kiet)\s*\d+[A-Za-z]?(?:/\d+)*"
_STREET = r"(?:đường|phố|duong|pho)" + _STREET_NAME
_ADDRESS_RE = re.compile(
    r"(?<![^\W_])(?:"
    r"(?:số\s+nhà|nhà\s+số|so\s+nha|nha\s+so)\s*\d+[A-Za-z]?(?:/\d+)*"
    r"(?:\s*,?\s*" + _ALLEY + r")*(?:\s*,?\s*" + _STREET + r")?"
    r"|(?:số|so)\s+\d+[A-Za-z]?(?:/\d+)*(?:\s*,?\s*" + _ALLEY + r")+(?:\s*,?\s*" + _STREET + r")?"
    r"|(?:số|so)\s+\d+[A-Za-z]?(?:/\d+)*\s*,?\s*" + _STREET +
    r"|\d+[A-Za-z]?(?:/\d+)+\s+" + _STREET +
    r"|" + _ALLEY + r"(?:\s*,?\s*" + _ALLEY + r")*(?:\s*,?\s*" + _STREET + r")?"
    r")",
)


# Cheap looks before the costly patterns (a text without the cue cannot match).
_ANY_DIGIT_RE = re.compile(r"\d")
_ACCOUNT_CUES = ("stk", "s.t.k", "khoản", "khoan", "tk")
_ID_CUES = ("cccd", "cmnd", "cmt", "căn cước", "can cuoc", "chứng minh", "chung minh",
            "định danh", "dinh danh")


@dataclass(frozen=True)
class Redaction:
    """The redacted text and how many values of each kind were replaced."""

    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.counts)


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def redact(text: str) -> Redaction:
    """Replace personal data in ``text`` by placeholders; return the text and counts."""
    counts: Counter[str] = Counter()

    def sub(pattern: re.Pattern, kind: str, s: str, keep_cue: bool = False,
            check=None) -> str:
        def repl(m: re.Match) -> str:
            value = m.group("num") if keep_cue else m.group(0)
            if check is not None and not check(value):
                return m.group(0)
            counts[kind] += 1
            return (m.group("cue") if keep_cue else "") + PLACEHOLDERS[kind]
        return pattern.sub(repl, s)

    low = text.lower()
    if "@" in text:
        text = sub(_EMAIL_RE, "email", text)
    digits = _ANY_DIGIT_RE.search(text) is not None
    if digits and any(cue in low for cue in _ACCOUNT_CUES):
        text = sub(_ACCOUNT_RE, "account", text, keep_cue=True)
    if digits and any(cue in low for cue in _ID_CUES):
        text = sub(_ID_CUED_RE, "id_number", text, keep_cue=True,
                   check=lambda v: len(_digits(v)) in (9, 12))
    if digits:
        text = sub(_ID_BARE_RE, "id_number", text)
        text = sub(_PHONE_RE, "phone", text, check=_plausible_phone)
    if sum(map(_DIGIT_WORD_SET.__contains__, _WORD_RE.findall(text.lower()))) >= 9:
        text = sub(_PHONE_WORDS_RE, "phone", text)
    text = sub(_ADDRESS_RE, "address", text)
    return Redaction(text=text, counts=dict(counts))


def _plausible_phone(value: str) -> bool:
    d = _digits(value)
    if d.startswith("0084"):
        d = "0" + d[4:]
    elif d.startswith("84") and not value.lstrip().startswith("0"):
        d = "0" + d[2:]
    return d.startswith("0") and len(d) in (10, 11)
