"""Text → sparse features: segmented words, diacritics-free syllables and characters.

Three TF-IDF views, stacked side by side:

- ``words``: underthesea words with diacritics, 1–2-grams ("sổ_đỏ", "nhận tiền");
- ``plain``: syllables without diacritics, 1–3-grams ("chu tich xa") — the same for text
  typed with or without accents;
- ``chars``: character 2–5-grams of the diacritics-free text, robust to typos and
  teencode spellings.

Features are built from a :class:`FeatureDoc`, so the costly segmentation is done once
per text (by the pipeline) and reused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from triage.textutil import diacritic_ratio
from triage.tokenize import MIN_DIACRITIC_RATIO, plain_text, segment

_SYLLABLE_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class FeatureDoc:
    """What the vectorizer needs of one text."""

    words: tuple[str, ...]
    plain: str
    syllables: tuple[str, ...] = ()   # of ``plain``; filled by from_text
    accented: bool = True             # typed with diacritics?

    @classmethod
    def from_text(cls, text: str) -> FeatureDoc:
        plain = plain_text(text)
        accented = diacritic_ratio(text) >= MIN_DIACRITIC_RATIO
        return cls(words=tuple(segment(text, accented=accented)), plain=plain,
                   syllables=tuple(_SYLLABLE_RE.findall(plain)), accented=accented)


def word_ngrams(tokens) -> list[str]:
    """Segmented words and word bigrams."""
    toks = list(tokens)
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:])]


def plain_ngrams(doc: str) -> list[str]:
    """Diacritics-free syllable 1–3-grams."""
    return syllable_ngrams(_SYLLABLE_RE.findall(doc))


def syllable_ngrams(toks) -> list[str]:
    grams = list(toks)
    grams += [f"{a} {b}" for a, b in zip(toks, toks[1:])]
    grams += [f"{a} {b} {c}" for a, b, c in zip(toks, toks[1:], toks[2:])]
    return grams


def _tfidf(vec: TfidfVectorizer, analyzed: list[list[str]]) -> sp.csr_matrix:
    """What a fitted ``TfidfVectorizer(sublinear_tf=True, norm="l2")`` computes for already
    analyzed documents, without its per-call overhead (which dominates for one item)."""
    vocab, idf = vec.vocabulary_, vec.idf_
    indptr, indices, data = [0], [], []
    for terms in analyzed:
        ids = np.fromiter(map(vocab.get, terms, repeat(-1)), dtype=np.int64, count=len(terms))
        ids = ids[ids >= 0]
        if ids.size:
            idx, tf = np.unique(ids, return_counts=True)  # sorted, as CSR wants
            w = (1.0 + np.log(tf)) * idf[idx]
            w /= np.sqrt((w * w).sum()) or 1.0
            indices.append(idx.astype(np.int32))
            data.append(w.astype(np.float32))
            indptr.append(indptr[-1] + idx.size)
        else:
            indptr.append(indptr[-1])
    return sp.csr_matrix(
        (np.concatenate(data) if data else np.zeros(0, np.float32),
         np.concatenate(indices) if indices else np.zeros(0, np.int32), np.array(indptr)),
        shape=(len(analyzed), len(vocab)), dtype=np.float32)


class TriageVectorizer(BaseEstimator, TransformerMixin):
    """Stacked TF-IDF views of :class:`FeatureDoc` objects (a scikit-learn transformer)."""

    def __init__(self, *, word_weight: float = 1.0, plain_weight: float = 1.0,
                 char_weight: float = 1.0, min_df: int = 2, max_features: int | None = 150_000,
                 char_range: tuple[int, int] | None = (2, 5)):
        self.word_weight = word_weight
        self.plain_weight = plain_weight
        self.char_weight = char_weight
        self.min_df = min_df
        self.max_features = max_features
        self.char_range = char_range

    def _make(self):
        common = dict(sublinear_tf=True, min_df=self.min_df, dtype=np.float32)
        words = TfidfVectorizer(analyzer=word_ngrams, **common)
        plain = TfidfVectorizer(analyzer=plain_ngrams, **common)
        chars = None
        if self.char_range is not None:
            chars = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(self.char_range),
                                    max_features=self.max_features, **common)
        return words, plain, chars

    def fit(self, docs: list[FeatureDoc], y=None):
        self.words_, self.plain_, self.chars_ = self._make()
        self.words_.fit([d.words for d in docs])
        self.plain_.fit([d.plain for d in docs])
        if self.chars_ is not None:
            self.chars_.fit([d.plain for d in docs])
        for vec in (self.words_, self.plain_, self.chars_):
            if vec is not None:
                vec.stop_words_ = None  # the terms min_df dropped: large, only for introspection
        self.n_words_ = len(self.words_.vocabulary_)
        self.n_plain_ = len(self.plain_.vocabulary_)
        self.n_features_ = self.n_words_ + self.n_plain_ + (
            len(self.chars_.vocabulary_) if self.chars_ is not None else 0)
        return self

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_names_cache", None)
        return state

    def _names(self) -> list[str]:
        """Feature index → term, built on first use (not stored: it would double the file)."""
        names = getattr(self, "_names_cache", None)
        if names is None:
            names = [""] * (self.n_words_ + self.n_plain_)
            for term, j in self.words_.vocabulary_.items():
                names[j] = term
            for term, j in self.plain_.vocabulary_.items():
                names[self.n_words_ + j] = term
            self._names_cache = names
        return names

    def transform(self, docs: list[FeatureDoc]) -> sp.csr_matrix:
        blocks = [
            _tfidf(self.words_, [word_ngrams(d.words) for d in docs]) * self.word_weight,
            _tfidf(self.plain_, [syllable_ngrams(d.syllables) if d.syllables or not d.plain
                                 else plain_ngrams(d.plain) for d in docs]) * self.plain_weight,
        ]
        if self.chars_ is not None:
            blocks.append(self.chars_.transform([d.plain for d in docs]) * self.char_weight)
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def phrase(self, index: int) -> str | None:
        """A readable phrase for a word or syllable feature; None for character n-grams."""
        if index < self.n_words_:
            return self._names()[index].replace("_", " ")
        if index < self.n_words_ + self.n_plain_:
            return self._names()[index]
        return None
