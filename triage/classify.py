"""Multi-label scores for every taxonomy code, decision thresholds and explanations.

Three linear heads are fitted with scikit-learn's LogisticRegression on the same features:

- one-vs-rest, one binary head per learnable code (is the code among the labels?);
- multinomial over the primary code (which code is the main act?), which ranks
  overlapping neighbours against each other instead of scoring each in isolation;
- a binary out-of-scope head.

After fitting, their weights are stacked into one matrix, so scoring a batch (or one item)
is a single sparse × dense product, with no Python loop over classes.

The score of an in-scope code is ``(1 - p_out) · (p_ovr + p_primary) / 2``; an OUT code
gets ``p_out`` shared by the primary head's odds among OUT codes. Codes implied by the
crosswalk (DD07 from TN, DD06 from LP) are learned only from items where they stand on
their own, so they do not swamp the ranking; the crosswalk adds them to suggestions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from triage.features import FeatureDoc, TriageVectorizer


@dataclass(frozen=True)
class Scores:
    """Per-item scores: ``codes`` columns in the classifier's class order."""

    codes: np.ndarray  # (n, n_classes) combined score of each code
    p_out: np.ndarray  # (n,) probability that the item is out of scope


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class FeedbackClassifier(BaseEstimator, ClassifierMixin):
    """Multi-label classifier over taxonomy codes, following the scikit-learn contract.

    ``fit(docs, labels, primary=...)`` takes :class:`FeatureDoc` objects, label lists and
    the primary code of each item; ``decision_scores(docs)`` returns :class:`Scores`.
    """

    def __init__(self, *, classes: list[str], out_codes: list[str], solver: str = "ridge",
                 alpha: float = 1.0, temperature: float = 8.0,
                 c_ovr: float = 8.0, c_primary: float = 8.0, c_out: float = 4.0,
                 vectorizer: TriageVectorizer | None = None):
        self.classes = classes
        self.out_codes = out_codes
        self.solver = solver
        self.alpha = alpha
        self.temperature = temperature
        self.c_ovr = c_ovr
        self.c_primary = c_primary
        self.c_out = c_out
        self.vectorizer = vectorizer

    # -- fitting -------------------------------------------------------------------------
    def fit(self, docs: list[FeatureDoc], labels: list[list[str]], *, primary: list[str]):
        classes = list(self.classes)
        index = {c: i for i, c in enumerate(classes)}
        vec = self.vectorizer if self.vectorizer is not None else TriageVectorizer()
        X = vec.fit(docs).transform(docs)
        n = X.shape[0]
        Y = np.zeros((n, len(classes)), dtype=np.int8)
        for i, codes in enumerate(labels):
            for c in codes:
                if c in index:
                    Y[i, index[c]] = 1
        out_set = set(self.out_codes)
        is_out = np.array([p in out_set for p in primary], dtype=np.int8)

        self.vectorizer_ = vec
        self.classes_ = np.array(classes)
        self.out_mask_ = np.array([c in out_set for c in classes])
        if self.solver == "ridge":
            self._fit_ridge(X, Y, primary, is_out, index)
            return self
        F = X.shape[1]
        K = len(classes)
        W_ovr = np.zeros((F, K), dtype=np.float32)
        b_ovr = np.full(K, -8.0, dtype=np.float32)
        for k in range(K):
            y = Y[:, k]
            if 0 < y.sum() < n:
                lr = LogisticRegression(C=self.c_ovr, solver="liblinear", max_iter=200)
                lr.fit(X, y)
                W_ovr[:, k] = lr.coef_[0]
                b_ovr[k] = lr.intercept_[0]

        prim_idx = np.array([index[p] for p in primary])
        present = np.unique(prim_idx)
        W_pr = np.zeros((F, K), dtype=np.float32)
        b_pr = np.full(K, -30.0, dtype=np.float32)
        if len(present) > 1:
            lr = LogisticRegression(C=self.c_primary, max_iter=300)
            lr.fit(X, prim_idx)
            W_pr[:, lr.classes_] = lr.coef_.T
            b_pr[lr.classes_] = lr.intercept_
        W_out = np.zeros((F, 1), dtype=np.float32)
        b_out = np.array([-8.0], dtype=np.float32)
        if 0 < is_out.sum() < n:
            lr = LogisticRegression(C=self.c_out, solver="liblinear", class_weight="balanced")
            lr.fit(X, is_out)
            W_out[:, 0] = lr.coef_[0]
            b_out[0] = lr.intercept_[0]

        # One matrix for every head: columns [ovr K | primary K | out 1].
        self.W_ = np.ascontiguousarray(np.hstack([W_ovr, W_pr, W_out]))
        self.b_ = np.concatenate([b_ovr, b_pr, b_out])
        return self

    def _fit_ridge(self, X, Y, primary, is_out, index) -> None:
        """All heads as one ridge regression, solved in the dual: one Cholesky for
        (X Xᵀ + 1 + αI) against every target column at once (n ≪ features)."""
        n, K = Y.shape
        P = np.zeros((n, K))
        P[np.arange(n), [index[p] for p in primary]] = 1.0
        T = np.hstack([Y, P, is_out[:, None]]).astype(np.float64)
        G = (X @ X.T).toarray().astype(np.float64) + 1.0  # +1: an unpenalized-ish bias
        G[np.diag_indices(n)] += self.alpha
        A = scipy.linalg.solve(G, T, assume_a="pos")
        self.W_ = np.ascontiguousarray((X.T @ A).astype(np.float32))
        self.b_ = A.sum(axis=0).astype(np.float32)

    # -- scoring -------------------------------------------------------------------------
    def transform(self, docs: list[FeatureDoc]) -> sp.csr_matrix:
        return self.vectorizer_.transform(docs)

    def scores_from_features(self, X: sp.csr_matrix) -> Scores:
        K = len(self.classes_)
        Z = np.asarray(X @ self.W_) + self.b_  # the one product
        if self.solver == "ridge":
            p_ovr = np.clip(Z[:, :K], 0.0, 1.0)
            p_pr = _softmax(Z[:, K:2 * K] * self.temperature)
            p_out = np.clip(Z[:, 2 * K], 0.0, 1.0)
        else:
            p_ovr = _sigmoid(Z[:, :K])
            p_pr = _softmax(Z[:, K:2 * K])
            p_out = _sigmoid(Z[:, 2 * K])
        inside = (1.0 - p_out)[:, None] * (p_ovr + p_pr) / 2.0
        out_share = p_pr * self.out_mask_
        out_share = out_share / np.maximum(out_share.sum(axis=1, keepdims=True), 1e-12)
        scores = np.where(self.out_mask_, p_out[:, None] * out_share, inside * ~self.out_mask_)
        return Scores(codes=scores, p_out=p_out)

    def decision_scores(self, docs: list[FeatureDoc]) -> Scores:
        return self.scores_from_features(self.transform(docs))

    def predict_proba(self, docs: list[FeatureDoc]) -> np.ndarray:
        return self.decision_scores(docs).codes

    # -- explanations --------------------------------------------------------------------
    def explain(self, x_row: sp.csr_matrix, code: str, *, top: int = 4) -> list[str]:
        """The words or phrases of this text that pushed ``code`` up the most."""
        k = int(np.flatnonzero(self.classes_ == code)[0])
        K = len(self.classes_)
        idx = x_row.indices
        if idx.size == 0:
            return []
        contrib = x_row.data * (self.W_[idx, k] + self.W_[idx, K + k])
        order = np.argsort(-contrib)
        phrases: list[str] = []
        for j in order:
            if contrib[j] <= 0 or len(phrases) >= top:
                break
            phrase = self.vectorizer_.phrase(int(idx[j]))
            if phrase is None or any(phrase in p or p in phrase for p in phrases):
                continue
            phrases.append(phrase)
        return phrases
