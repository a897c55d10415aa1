"""Multi-label scores for every taxonomy code, decision thresholds and explanations.

Linear heads on the same features: one-vs-rest per learnable code (is the code among the
labels?), the primary code (which code is the main act? — ranks overlapping neighbours
against each other instead of scoring each in isolation), the primary group, and out of
scope. Their weights are stacked into one matrix, so scoring a batch (or one item) is a
single sparse × dense product, with no Python loop over classes.

The score of an in-scope code is ``(1 - p_out) · (p_ovr + p_primary) / 2 · group odds``;
an OUT code gets ``p_out`` shared by the primary head's odds among OUT codes. Codes implied by the
crosswalk (DD07 from TN, DD06 from LP) are learned only from items where they stand on
their own, so they do not swamp the ranking; the crosswalk adds them to suggestions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin

from triage.features import FeatureDoc, TriageVectorizer


@dataclass(frozen=True)
class Scores:
    """Per-item scores: ``codes`` columns in the classifier's class order."""

    codes: np.ndarray  # (n, n_classes) is the code among the labels? (thresholds apply)
    rank: np.ndarray   # (n, n_classes) how likely the code is the main act (ranking)
    p_out: np.ndarray  # (n,) probability that the item is out of scope


NYSTROEM_BASIS = 8_000  # basis rows of the large-n fit: n·m² flops, n·m memory


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class FeedbackClassifier(BaseEstimator, ClassifierMixin):
    """Multi-label classifier over taxonomy codes, following the scikit-learn contract.

    ``fit(docs, labels, primary=...)`` takes :class:`FeatureDoc` objects, label lists and
    the primary code of each item; ``decision_scores(docs)`` returns :class:`Scores`.

    Four heads share one ridge regression solved in the dual (one Cholesky factorization
    of the n×n Gram matrix against every target column at once, n ≪ features):
    one-vs-rest code membership, the primary code, the primary *group*, and out of scope.
    The group head learns from every example of a group, so it is steadier than any one
    code's column; a code's score is scaled by its group's relative odds to the power
    ``group_power`` for the ranking (not for the membership thresholds).
    """

    def __init__(self, *, classes: list[str], groups: list[str], out_codes: list[str],
                 alpha: float = 1.0, temperature: float = 8.0, group_power: float = 1.0,
                 vectorizer: TriageVectorizer | None = None, max_dual: int = 12_000,
                 seed: int = 13):
        self.classes = classes
        self.groups = groups
        self.out_codes = out_codes
        self.alpha = alpha
        self.temperature = temperature
        self.group_power = group_power
        self.vectorizer = vectorizer
        self.max_dual = max_dual
        self.seed = seed

    # -- fitting -------------------------------------------------------------------------
    def fit(self, docs: list[FeatureDoc], labels: list[list[str]], *, primary: list[str]):
        classes = list(self.classes)
        index = {c: i for i, c in enumerate(classes)}
        group_names = list(dict.fromkeys(self.groups))
        gindex = {g: i for i, g in enumerate(group_names)}
        vec = self.vectorizer if self.vectorizer is not None else TriageVectorizer()
        X = vec.fit(docs).transform(docs)
        n, K, G = X.shape[0], len(classes), len(group_names)
        targets = np.zeros((n, 2 * K + G + 1))
        out_set = set(self.out_codes)
        for i, codes in enumerate(labels):
            for c in codes:
                if c in index:
                    targets[i, index[c]] = 1.0
            p = index[primary[i]]
            targets[i, K + p] = 1.0
            targets[i, 2 * K + gindex[self.groups[p]]] = 1.0
            targets[i, 2 * K + G] = float(primary[i] in out_set)
        if n <= self.max_dual:
            basis = X
            gram = (X @ X.T).toarray().astype(np.float64) + 1.0  # +1: the bias term
            gram[np.diag_indices(n)] += self.alpha
            dual = scipy.linalg.solve(gram, targets, assume_a="pos")
        else:
            basis, dual = self._nystroem(X, targets)
        self.vectorizer_ = vec
        self.classes_ = np.array(classes)
        self.group_names_ = group_names
        self.class_group_ = np.array([gindex[g] for g in self.groups])
        self.out_mask_ = np.array([c in out_set for c in classes])
        # One matrix for every head: columns [ovr K | primary K | group G | out 1].
        self.W_ = np.ascontiguousarray((basis.T @ dual).astype(np.float32))
        self.b_ = dual.sum(axis=0).astype(np.float32)
        return self

    def _nystroem(self, X: sp.csr_matrix, targets: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        """The same ridge when n is too large for an n×n Gram matrix (50,000 cases would
        need 20 GB and a Cholesky of 4·10¹³ flops): the weights are restricted to the span
        of ``NYSTROEM_BASIS`` training rows picked at random (Nyström). With K = X·Bᵀ + 1 over
        the basis rows B, minimize ‖K·A − Y‖² + α·Aᵀ·K_BB·A, i.e. solve
        (KᵀK + α·K_BB)·A = KᵀY, an m×m system; W = Bᵀ·A as in the exact case. Memory is
        n×m, time n·m², both linear in n."""
        n, m = X.shape[0], min(self.max_dual, NYSTROEM_BASIS)
        rng = np.random.default_rng(self.seed)
        basis = X[np.sort(rng.choice(n, size=m, replace=False))]
        BT = basis.T.tocsc()
        lhs = np.zeros((m, m))
        rhs = np.zeros((m, targets.shape[1]))
        for start in range(0, n, 4096):  # K in row blocks: never n×m at once
            K = (X[start:start + 4096] @ BT).toarray().astype(np.float32) + 1.0
            lhs += K.T @ K  # float32 BLAS, summed in float64
            rhs += K.T @ targets[start:start + 4096].astype(np.float32)
        kbb = (basis @ BT).toarray().astype(np.float64) + 1.0
        lhs += self.alpha * kbb
        lhs[np.diag_indices(m)] += 1e-5 * np.trace(lhs) / m  # jitter: K_BB is only PSD
        try:
            return basis, scipy.linalg.solve(lhs, rhs, assume_a="pos")
        except np.linalg.LinAlgError:  # float32 sums can leave it barely indefinite
            return basis, scipy.linalg.solve(lhs, rhs, assume_a="sym")

    # -- scoring -------------------------------------------------------------------------
    def transform(self, docs: list[FeatureDoc]) -> sp.csr_matrix:
        return self.vectorizer_.transform(docs)

    def scores_from_features(self, X: sp.csr_matrix) -> Scores:
        K, G = len(self.classes_), len(self.group_names_)
        Z = np.asarray(X @ self.W_) + self.b_  # the one product
        p_ovr = np.clip(Z[:, :K], 0.0, 1.0)
        p_pr = _softmax(Z[:, K:2 * K] * self.temperature)
        p_grp = _softmax(Z[:, 2 * K:2 * K + G] * self.temperature)
        p_out = np.clip(Z[:, 2 * K + G], 0.0, 1.0)
        rel = (p_grp / p_grp.max(axis=1, keepdims=True)) ** self.group_power
        inside = (1.0 - p_out)[:, None] * (p_ovr + p_pr) / 2.0
        out_share = p_pr * self.out_mask_
        out_share = out_share / np.maximum(out_share.sum(axis=1, keepdims=True), 1e-12)
        outside = p_out[:, None] * out_share
        codes = np.where(self.out_mask_, outside, inside)
        rank = np.where(self.out_mask_, outside, inside * rel[:, self.class_group_])
        return Scores(codes=codes, rank=rank, p_out=p_out)

    def decision_scores(self, docs: list[FeatureDoc]) -> Scores:
        return self.scores_from_features(self.transform(docs))

    def predict_proba(self, docs: list[FeatureDoc]) -> np.ndarray:
        return self.decision_scores(docs).codes

    # -- explanations --------------------------------------------------------------------
    def explain(self, X: sp.csr_matrix, row: int, codes: list[str], *,
                top: int = 4) -> dict[str, list[str]]:
        """For each code, the words or phrases of row ``row`` of ``X`` that pushed it up
        the most."""
        lo, hi = X.indptr[row], X.indptr[row + 1]
        idx, data = X.indices[lo:hi], X.data[lo:hi]
        if idx.size == 0 or not codes:
            return {c: [] for c in codes}
        K = len(self.classes_)
        if not hasattr(self, "_class_index"):
            self._class_index = {c: i for i, c in enumerate(self.classes_.tolist())}
        ks = np.array([self._class_index[c] for c in codes])
        W = self.W_[np.ix_(idx, np.concatenate([ks, K + ks]))]  # only the columns needed
        contrib = data[:, None] * (W[:, :len(ks)] + W[:, len(ks):])  # features × codes
        out: dict[str, list[str]] = {}
        for j, code in enumerate(codes):
            col = contrib[:, j]
            phrases: list[str] = []
            k = min(col.size, top * 4)
            best = np.argpartition(-col, k - 1)[:k] if col.size > k else np.arange(col.size)
            for f in best[np.argsort(-col[best])]:
                if col[f] <= 0 or len(phrases) >= top:
                    break
                phrase = self.vectorizer_.phrase(int(idx[f]))
                if phrase is None or any(phrase in p or p in phrase for p in phrases):
                    continue
                phrases.append(phrase)
            out[code] = phrases
        return out
