"""Markup for the item page: the phrases behind each suggestion highlighted in the redacted
text, and word differences between two texts of one duplicate cluster.

Matching is done on the diacritics-free, lower-cased view, so a phrase the model learned as
``ky ho so`` still lights up ``ký hồ sơ`` in the text. Everything is escaped here; the
results are ``Markup`` the templates print as is.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from markupsafe import Markup, escape

from triage.textutil import strip_diacritics


def _view(text: str) -> str:
    """A same-length, diacritics-free, lower-case view of ``text`` (NFC) for matching."""
    v = strip_diacritics(text).lower()
    return v if len(v) == len(text) else text.lower()


def _phrase_pattern(phrase: str) -> re.Pattern | None:
    words = strip_diacritics(phrase.replace("_", " ")).lower().split()
    if not words:
        return None
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)")


def highlight(text: str, explanations: dict[str, list[str]]) -> Markup:
    """``text`` with ``<mark data-codes="TN02 DD07">`` around every phrase of the explanations.

    >>> str(highlight("Cán bộ đòi tiền mới ký hồ sơ", {"TN02": ["ky ho so"]}))
    'Cán bộ đòi tiền mới <mark class="hl" data-codes="TN02">ký hồ sơ</mark>'
    """
    text = unicodedata.normalize("NFC", text or "")
    view = _view(text)
    covering: list[set[str]] = [set() for _ in text]
    for code, phrases in (explanations or {}).items():
        for phrase in phrases:
            pattern = _phrase_pattern(phrase)
            if pattern is None:
                continue
            for m in pattern.finditer(view):
                for i in range(m.start(), m.end()):
                    covering[i].add(code)
    out: list[str] = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and covering[j] == covering[i]:
            j += 1
        chunk = escape(text[i:j])
        if covering[i]:
            codes = " ".join(sorted(covering[i]))
            out.append(f'<mark class="hl" data-codes="{escape(codes)}">{chunk}</mark>')
        else:
            out.append(str(chunk))
        i = j
    return Markup("".join(out))


def _key(word: str) -> str:
    return re.sub(r"[^\w]", "", strip_diacritics(word).lower())


def word_diff(a: str, b: str) -> tuple[Markup, Markup]:
    """Both texts with the words that differ marked: ``<del>`` in ``a``, ``<ins>`` in ``b``.
    Words are compared without marks, case or punctuation, so a resubmission typed without
    accents shows only its real differences."""
    wa, wb = (a or "").split(), (b or "").split()
    matcher = difflib.SequenceMatcher(None, [_key(w) for w in wa], [_key(w) for w in wb],
                                      autojunk=False)
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        sa, sb = escape(" ".join(wa[i1:i2])), escape(" ".join(wb[j1:j2]))
        if op == "equal":
            left.append(str(sa))
            right.append(str(sb))
            continue
        if i2 > i1:
            left.append(f"<del>{sa}</del>")
        if j2 > j1:
            right.append(f"<ins>{sb}</ins>")
    return Markup(" ".join(left)), Markup(" ".join(right))
