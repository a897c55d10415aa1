"""Small text helpers shared by several modules (no underthesea here)."""

from __future__ import annotations

import operator
import re
import unicodedata


def _build_strip_table() -> dict[int, str]:
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "D"}
    for cp in range(0x00C0, 0x1FFF):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii():
            table[cp] = base
    for cp in range(0x0300, 0x0370):  # lone combining marks (text that was not NFC)
        table[cp] = None
    return table


_STRIP_TABLE = _build_strip_table()


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese tone and vowel marks: the diacritics-free view.

    >>> strip_diacritics("Chủ tịch xã nhận tiền ĐẢNG")
    'Chu tich xa nhan tien DANG'
    """
    return unicodedata.normalize("NFC", text).translate(_STRIP_TABLE)


def diacritic_ratio(text: str) -> float:
    """Share of letters that carry a Vietnamese mark (0.0 for text typed without accents)."""
    plain = text.translate(_STRIP_TABLE)
    if len(plain) != len(text):  # decomposed input: compare on NFC
        text = unicodedata.normalize("NFC", text)
        plain = text.translate(_STRIP_TABLE)
    letters = sum(map(str.isalpha, plain))
    if not letters:
        return 0.0
    return sum(map(operator.ne, text, plain)) / letters


def starts_with(words, *, ignore_case: bool = True) -> str:
    """A lookahead for the first letters of ``words`` (with their unmarked forms, and both
    cases when ``ignore_case``), to put before an alternation that opens with a lookbehind:
    the regex engine then skips every position where none of the words can start, instead
    of trying each alternative there (2-3x faster on a petition)."""
    firsts = set()
    for w in words:
        for c in (w[:1], strip_diacritics(w[:1])):
            if c:
                firsts.update((c, c.lower(), c.upper()) if ignore_case else (c,))
    return "(?=[" + re.escape("".join(sorted(firsts))) + "])"
