"""The only place that calls underthesea's word segmenter; plus the diacritics-free view.

underthesea is imported on first use (its CRF model ships inside the package, so nothing
is downloaded) and results for repeated texts are cached.

>>> segment("Chủ tịch xã nhận tiền làm sổ đỏ")
['chủ_tịch', 'xã', 'nhận', 'tiền', 'làm', 'sổ_đỏ']
>>> plain_tokens("Chủ tịch xã nhận tiền")
['chu', 'tich', 'xa', 'nhan', 'tien']
"""

from __future__ import annotations

import re
from functools import lru_cache

from triage.textutil import diacritic_ratio, strip_diacritics

_WORD_RE = re.compile(r"<[A-ZĐ_]+>|[^\W_]+", re.UNICODE)
_PLACEHOLDER_RE = re.compile(r"^<[A-ZĐ_]+>$")


@lru_cache(maxsize=1)
def _word_tokenize():
    """underthesea's ``word_tokenize``, or the same steps without its per-token overhead.

    ``word_tokenize`` finds tokens with one combined regex, reads each token through
    ``groupdict()``, normalizes every short token character by character, then tags them
    with the CRF. Here the text is normalized once (per token it is then a no-op) and a
    token is the whole match; the token map and the CRF are underthesea's own. That is
    about a sixth of the segmenter's time, with the same words
    (``tests/test_tokenize.py`` compares the two on the seed and evaluation texts).
    Should underthesea's internals move, ``word_tokenize`` itself is used.
    """
    from underthesea import word_tokenize  # lazy: importing underthesea costs ~0.5 s

    try:
        import underthesea.pipeline.word_tokenize as wt
        from underthesea.pipeline.text_normalize.character_normalize import (
            normalize_characters_in_text)
        from underthesea.pipeline.text_normalize.text_normalizer import token_map
        from underthesea.pipeline.word_tokenize import regex_tokenize

        word_tokenize("khởi động")  # loads the CRF model
        model, patterns = wt.word_tokenize_model, regex_tokenize.patterns
        featurize, tag = model.featurizer.process, model.estimator.tag
    except (ImportError, AttributeError):  # pragma: no cover - another underthesea
        return word_tokenize

    def fast(text: str) -> list[str]:
        text = normalize_characters_in_text(text)
        tokens = [m.group(0) for m in patterns.finditer(text)]
        tokens = [token_map.get(t, t) if len(t) <= 6 else t for t in tokens]
        if not tokens:
            return []
        tags = tag(featurize([[[t] for t in tokens]])[0])
        out: list[str] = []
        for i, (label, token) in enumerate(zip(tags, tokens)):
            if label == "I-W" and i > 0:
                out[-1] = out[-1] + " " + token
            else:
                out.append(token)
        return out

    return fast


def _keep(token: str) -> bool:
    return token.isalnum() or bool(_PLACEHOLDER_RE.match(token)) or any(map(str.isalnum, token))


@lru_cache(maxsize=4096)
def _segment_cached(text: str) -> tuple[str, ...]:
    words = _word_tokenize()(text)
    return tuple(
        w.lower().replace(" ", "_") for w in words if _keep(w)
    )


# Below this share of marked letters a text counts as typed without accents; the CRF
# segmenter was trained on accented text and only guesses there, so syllables are used.
MIN_DIACRITIC_RATIO = 0.03


def segment(text: str, *, accented: bool | None = None) -> list[str]:
    """Underthesea word segmentation, lower-cased, multi-syllable words joined by '_'.

    Punctuation is dropped; placeholders like <SĐT> stay one token. Text typed without
    accents is split into syllables instead (segmentation needs the marks).
    """
    if not text.strip():
        return []
    if accented is None:
        accented = diacritic_ratio(text) >= MIN_DIACRITIC_RATIO
    if not accented:
        return [t.lower() for t in _WORD_RE.findall(text)]
    return list(_segment_cached(text))


def plain_text(text: str) -> str:
    """Lower-cased text without diacritics: what a user typing without accents would write."""
    return strip_diacritics(text.lower())


def plain_tokens(text: str) -> list[str]:
    """Syllables of the diacritics-free view (no segmentation needed)."""
    return _WORD_RE.findall(plain_text(text))
