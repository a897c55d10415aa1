"""Sums of money as Vietnamese writes them, read from text lower-cased without diacritics.

A petition writes ``3.000.000 đồng`` or ``1,2 tỷ``; the caller on the hotline, or the
neighbour retelling the same case, says ``ba triệu``, ``một triệu rưỡi``, ``hai triệu tư``,
``năm trăm nghìn``, ``nửa tỷ``, ``2tr4`` or ``500k``. The duplicate search compares the
amounts two reports name, so both ways of writing must come to the same number.

`amounts` returns the values in đồng. A bare number without a unit counts only when it is
written like a sum (thousands separators, at least six digits: ``150.000``); a vague one
(``mấy chục triệu``, ``hàng trăm triệu``, ``tiền tỷ``) gives nothing.
"""

from __future__ import annotations

import re

_TOKEN_RE = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[a-z]+|[^\sa-z0-9]")
_DIGITS = frozenset("0123456789")

DIGIT_WORDS = {"khong": 0, "mot": 1, "mott": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4,
               "nam": 5, "lam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9}
# units of money; the slang ones ("củ" for a million, "k" for a thousand) only after digits
UNITS = {"ty": 10 ** 9, "ti": 10 ** 9, "trieu": 10 ** 6, "nghin": 10 ** 3, "ngan": 10 ** 3}
DIGIT_ONLY_UNITS = {"tr": 10 ** 6, "cu": 10 ** 6, "k": 10 ** 3, "ty": 10 ** 9, "toi": 10 ** 9}
# slang units that are also common words once the accents are gone: "củ"/"cũ", "tỏi"/"tôi"/
# "tới" ("tháng 6/2026 tôi có đơn", "xe đời 2015 cũ", "từ 2 tới 5 triệu"); only a small
# figure of its own, not the end of a date, a time or a range ("5/6 tôi", "8:30 tới", "2-5
# tới") nor the start of one, carries them ("Số tiền: 5 củ" does)
AMBIGUOUS_UNITS = {"cu", "toi"}
CURRENCY = {"dong", "d", "vnd"}
# "mấy chục triệu", "hàng trăm triệu", "vài tỷ": how much is not said
VAGUE = {"may", "vai", "hang", "bao", "nhieu", "tien"}
# "3 triệu 2 lần", "5 triệu 2 hộ": the digit after the unit counts something else
COUNTED = {"lan", "nguoi", "ho", "cai", "con", "chiec", "thang", "nam", "ngay", "tuan", "buoi",
           "dot", "lo", "phan", "suat", "chau", "em", "be", "thon", "xa", "ap"}


def _numeral(tok: str) -> float | None:
    """A token written in digits: ``3.000.000``, ``1,5``, ``2.4`` (a decimal point when the
    part after it is not three digits long)."""
    if tok[0] not in _DIGITS:
        return None
    if tok.count(",") == 1 and "." not in tok:
        return float(tok.replace(",", "."))
    if tok.count(".") == 1 and "," not in tok and len(tok.split(".")[1]) != 3:
        return float(tok)
    try:
        return float(tok.replace(".", "").replace(",", ""))
    except ValueError:
        return None


def _digit(tok: str) -> int | None:
    if tok in DIGIT_WORDS:
        return DIGIT_WORDS[tok]
    if len(tok) == 1 and tok in _DIGITS:
        return int(tok)
    return None


def _below_thousand(toks: list[str], i: int) -> tuple[float, int, bool] | None:
    """A number under a thousand in words (or digits) from ``toks[i]``: (value, next index,
    written in digits?). ``ba trăm năm mươi``, ``hai mươi lăm``, ``trăm``, ``mười``, ``nửa``,
    ``500``, ``1,5``."""
    if i >= len(toks):
        return None
    n = _numeral(toks[i])
    if n is not None:
        return n, i + 1, True
    if toks[i] == "nua":
        return 0.5, i + 1, False

    def at(j):
        return toks[j] if j < len(toks) else ""

    value, j, hundreds, tens = 0, i, False, False
    d = _digit(at(j))
    if d is not None and at(j + 1) == "tram":
        value, j, hundreds = d * 100, j + 2, True
    elif at(j) == "tram":
        value, j, hundreds = 100, j + 1, True
    d = _digit(at(j))
    if d is not None and at(j + 1) in ("muoi", "chuc"):
        value, j, tens = value + d * 10, j + 2, True
    elif at(j) in ("muoi", "chuc"):
        value, j, tens = value + 10, j + 1, True
    elif hundreds and at(j) in ("linh", "le") and (ones := _digit(at(j + 1))):
        return float(value + ones), j + 2, False
    d = _digit(at(j))
    if d and (tens or not hundreds):                 # "mười lăm", "hai mươi mốt", "ba"
        value, j = value + d, j + 1
    if j == i:
        return None
    return float(value), j, False


def _unit(toks: list[str], j: int, digits: bool) -> int | None:
    if j >= len(toks):
        return None
    if toks[j] in UNITS:
        return UNITS[toks[j]]
    if digits and toks[j] in DIGIT_ONLY_UNITS:
        return DIGIT_ONLY_UNITS[toks[j]]
    return None


def _amount_at(toks: list[str], i: int) -> tuple[int, int] | None:
    """A sum of money starting at ``toks[i]``: (đồng, next index)."""
    first = _below_thousand(toks, i)
    if first is None:
        return None
    value, j, digits = first
    unit = _unit(toks, j, digits)
    if unit is not None and j < len(toks) and toks[j] in AMBIGUOUS_UNITS and (
            value >= 1000 or (i > 1 and toks[i - 1] in ("/", "-", ".", ":")
                              and toks[i - 2][:1] in _DIGITS)
            or (j + 1 < len(toks) and (toks[j + 1][:1] in _DIGITS or toks[j + 1] in DIGIT_WORDS))):
        return None
    if unit is None:
        if digits and j < len(toks) and toks[j] in CURRENCY and value >= 1000:
            return int(value), j + 1
        return None
    if i > 0 and toks[i - 1] in VAGUE and not digits:
        return None
    total, j = value * unit, j + 1
    while j < len(toks):
        if toks[j] == "ruoi" and unit >= 1000:          # "một triệu rưỡi"
            total, j = total + unit // 2, j + 1
            break
        nxt = _below_thousand(toks, j)
        if nxt is None:
            break
        v, k, dig = nxt
        smaller = _unit(toks, k, dig)
        if smaller is not None and smaller < unit:       # "1 tỷ 200 triệu", "3 triệu 500 nghìn"
            total, unit, j = total + v * smaller, smaller, k + 1
            continue
        after = toks[k] if k < len(toks) else ""
        if (smaller is None and v < 10 and v == int(v) and unit >= 10 ** 6
                and after[:1] not in _DIGITS and after not in COUNTED):
            total, j = total + v * unit / 10, k        # "hai triệu tư", "2tr4", "1 tỷ 2"
        break
    return round(total), j


def amounts(plain: str) -> set[int]:
    """Every sum of money in ``plain`` (lower case, no diacritics), in đồng."""
    toks = _TOKEN_RE.findall(plain)
    out: set[int] = set()
    i = 0
    while i < len(toks):
        found = _amount_at(toks, i) if (toks[i][0] in _DIGITS or toks[i] in DIGIT_WORDS
                                         or toks[i] in ("tram", "muoi", "chuc", "nua")) else None
        if found is None:
            # a separated number alone, written like a sum: "150.000"
            n = _numeral(toks[i])
            if n is not None and ("." in toks[i] or "," in toks[i]) and len(
                    toks[i].replace(".", "").replace(",", "")) >= 6:
                out.add(int(n))
            i += 1
            continue
        value, i = found
        out.add(value)
    return out


def amounts_meet(x: frozenset[int] | set[int], y: frozenset[int] | set[int],
                 tolerance: float = 0.1) -> bool:
    """Do two reports name the same sum? Exactly, or within ``tolerance`` of the larger one:
    a retelling rounds ("hơn một tỷ" for 1,05 tỷ, "gần tỷ" for 900 triệu)."""
    if x & y:
        return True
    return any(abs(a - b) <= tolerance * max(a, b) for a in x for b in y)
