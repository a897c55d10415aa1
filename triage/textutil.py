"""Small text helpers shared by several modules (no underthesea here)."""

from __future__ import annotations

import unicodedata

_STRIP_TABLE = str.maketrans({"đ": "d", "Đ": "D"})


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese tone and vowel marks: the diacritics-free view.

    >>> strip_diacritics("Chủ tịch xã nhận tiền")
    'Chu tich xa nhan tien'
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_STRIP_TABLE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def diacritic_ratio(text: str) -> float:
    """Share of letters that carry a Vietnamese mark (0.0 for text typed without accents)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    marked = sum(1 for ch in letters if strip_diacritics(ch) != ch)
    return marked / len(letters)
