"""Near-duplicate detection: the same concrete case, sent again, by someone else, through
another channel, paraphrased, summarised, or typed without accents.

A duplicate is a *link*, never a deletion. For each item:

1. a :class:`CaseSignature` is computed from the redacted, normalized text: diacritics-free
   syllable shingles (MinHash), the rarest phrases, and the case specifics — people's
   names, offices and places, amounts, dates, plate numbers;
2. candidate earlier items are found through *keys* (MinHash band keys, specific keys,
   rare-phrase keys) in a :class:`KeyStore` — a dict here, an indexed SQL table in the
   service, so nothing correctness needs lives only in one process's memory;
3. each candidate is verified by a finer comparison (weighted wording overlap, containment
   for a short mention of a long petition, agreement of specifics; a different accused
   person or a different amount or act counts against), giving a similarity in [0, 1];
4. the best candidate above the threshold becomes ``duplicate_of`` and the item joins its
   cluster.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from triage.textutil import strip_diacritics

SURNAMES = {
    "nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do",
    "ho", "ngo", "duong", "ly", "dinh", "truong", "lam", "mai", "trinh", "doan", "luong", "cao",
    "ha", "ta", "kieu", "chu", "thai", "la", "quach", "luu", "tong", "trieu", "vuong", "khuat",
    "lai", "giang", "nong", "ton", "thach", "au", "van", "lo", "tieu", "diep", "hua", "dao",
}
TITLES = {"ong", "ba", "anh", "chi", "co", "chu", "bac", "thay", "em", "cau", "di", "gi"}
OFFICE_UNITS = ("xa", "phuong", "thi tran", "huyen", "quan", "tinh", "thanh pho", "thon", "ap",
                "ban", "to dan pho", "khu pho", "khom", "so", "truong", "benh vien", "cong ty",
                "hop tac xa", "chi cuc", "cuc", "phong")
ROLES = ("pho chu tich", "chu tich", "pho bi thu", "bi thu", "truong thon", "truong ap",
         "to truong", "truong cong an", "cong an", "dia chinh", "ke toan", "thu quy",
         "hieu truong", "pho hieu truong", "giam doc", "pho giam doc", "truong phong",
         "truong khoa", "bac si", "giao vien", "can bo thue", "kiem lam", "hai quan",
         "canh sat giao thong", "truong tram", "chanh van phong", "can bo tu phap",
         "truong ban", "can bo", "quan ly thi truong", "doi truong", "thu truong")
_ROLE_RE = re.compile(r"(?<!\w)(" + "|".join(sorted(ROLES, key=len, reverse=True)) + r")(?!\w)")
_SYL_RE = re.compile(r"[^\W_]+")
_PLATE_RE = re.compile(r"\b(\d{2})\s?-?\s?([a-z]{1,2}\d?)\s?-?\s?(\d{3})\.?(\d{2})\b")
_MONEY_RE = re.compile(
    r"(\d+(?:[.,]\d+)*)\s*(ty|trieu|nghin|ngan|dong|d|vnd|usd|\$)?(?!\w)")
_DATE_RE = re.compile(r"\b(\d{1,2})[/-](\d{1,2})(?:[/-](\d{2,4}))?\b")
_UNIT = {"ty": 10 ** 9, "trieu": 10 ** 6, "nghin": 10 ** 3, "ngan": 10 ** 3}
_PLACE_RE = re.compile(
    r"(?<!\w)(" + "|".join(sorted(OFFICE_UNITS, key=len, reverse=True)) + r")\s+((?:[^\W\d_]+\s?){1,3})"
)

NUM_PERM = 32
BANDS = 8  # 8 bands x 4 rows: shingle-Jaccard 0.5 meets in a band with p ~ 0.4, 0.7 with p ~ 0.9
RARE_KEYS = 6
_PRIME = (1 << 31) - 1
_rng = np.random.RandomState(20261201)  # fixed: band keys are stored, so must never change
_A = _rng.randint(1, _PRIME, size=(NUM_PERM, 1)).astype(np.int64)
_B = _rng.randint(0, _PRIME, size=(NUM_PERM, 1)).astype(np.int64)


@dataclass(frozen=True)
class CaseSignature:
    """What the duplicate search keeps of one item (no personal data: redacted text only)."""

    weights: dict[str, float]       # syllable bigram -> IDF weight (rare phrases weigh more)
    names: frozenset[str]           # people: "nguyen van hung", or "ong hung"
    roles: frozenset[str]           # "chu tich xa", "truong thon"
    places: frozenset[str]          # "xa tan phu", "thon 3"
    amounts: frozenset[int]
    dates: frozenset[str]
    plates: frozenset[str]
    codes: frozenset[str] = frozenset()
    minhash: tuple[int, ...] = field(default=(), repr=False)

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def keys(self) -> list[str]:
        """Index keys: MinHash bands, case specifics and the rarest phrases."""
        keys = []
        rows = NUM_PERM // BANDS
        for b in range(BANDS):
            band = self.minhash[b * rows:(b + 1) * rows]
            if band:
                keys.append(f"b{b}:" + hashlib.blake2b(repr(band).encode(), digest_size=6).hexdigest())
        keys += [f"n:{n}" for n in self.names]
        keys += [f"p:{p}" for p in self.plates]
        keys += [f"a:{a}" for a in self.amounts if a >= 1_000_000]
        keys += [f"l:{p}" for p in self.places if len(p.split()) >= 3]
        rare = heapq.nsmallest(RARE_KEYS, self.weights.items(), key=lambda kv: (-kv[1], kv[0]))
        keys += [f"g:{g}" for g, _ in rare]
        return keys


class Idf:
    """IDF weights of diacritics-free syllable bigrams; unseen bigrams count as rare."""

    def __init__(self, table: dict[str, float] | None = None, default: float = 1.0):
        self.table = table or {}
        self.default = default

    def weights(self, grams: Iterable[str]) -> dict[str, float]:
        get, d = self.table.get, self.default
        return {g: get(g, d) for g in grams}


def _minhash(shingles: set[str]) -> tuple[int, ...]:
    """MinHash over stable crc32 hashes of the shingles, all permutations at once."""
    if not shingles:
        return ()
    x = np.fromiter((zlib.crc32(s.encode()) % _PRIME for s in shingles), dtype=np.int64,
                    count=len(shingles))
    return tuple(((_A * x[None, :] + _B) % _PRIME).min(axis=1).tolist())


def _amount(num: str, unit: str | None) -> int | None:
    digits = num.replace(".", "").replace(",", "") if unit in (None, "dong", "d", "vnd") else None
    try:
        if unit in _UNIT:
            value = float(num.replace(".", "").replace(",", ".")) if num.count(",") == 1 \
                else float(num.replace(",", "").replace(".", "") if num.count(".") > 1 else num)
            return int(value * _UNIT[unit])
        if digits is not None and len(digits) >= 5:
            return int(digits)
    except ValueError:
        return None
    return None


_UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_CAP_RUN_RE = re.compile(rf"(?<!\w)[{_UPPER}][^\W\d_]*(?:\s+[{_UPPER}][^\W\d_]*){{1,3}}(?!\w)")
_TITLE_NAME_RE = re.compile(
    rf"(?<!\w)(?:ông|bà|anh|chị|cô|chú|bác|thầy|em|cậu|dì|ong|ba|chi|co|chu|bac|thay)\s+"
    rf"([{_UPPER}][^\W\d_]*)(?!\w)")
_LOWER_NAME_RE = re.compile(
    r"(?<!\w)(" + "|".join(sorted(SURNAMES)) + r")\s+(van|thi|duc|huu|minh|quang|thanh|ngoc|dinh)"
    r"\s+([^\W\d_]+)(?!\w)")


def _names(text: str, plain: str) -> set[str]:
    """People's names: capitalized runs that start with a surname ("Nguyễn Văn Hùng"), a
    title and a given name ("ông Hùng"), or, in lower-case text, surname + middle name."""
    names: set[str] = set()
    for m in _CAP_RUN_RE.finditer(text):
        parts = strip_diacritics(m.group(0)).lower().split()
        if parts[0] in SURNAMES:
            names.add(" ".join(parts))
            names.add("~" + parts[-1])  # the given name alone, for "ông Hùng"
    for m in _TITLE_NAME_RE.finditer(text):
        given = strip_diacritics(m.group(1)).lower()
        if given not in SURNAMES:
            names.add("~" + given)
    for m in _LOWER_NAME_RE.finditer(plain):
        names.add(" ".join(m.groups()))
        names.add("~" + m.group(3))
    return names


def case_signature(redacted_text: str, *, codes: Iterable[str] = (),
                   idf: Idf | None = None, plain: str | None = None) -> CaseSignature:
    """Signature of one item from its redacted, normalized text (``plain``: the same text
    lower-cased without diacritics, when the caller has it)."""
    plain = plain if plain is not None else strip_diacritics(redacted_text.lower())
    syl = _SYL_RE.findall(plain)
    grams = {f"{a} {b}" for a, b in zip(syl, syl[1:])}
    idf = idf or Idf()
    shingles = grams or set(syl)
    roles = set()
    for m in _ROLE_RE.finditer(plain):
        rest = plain[m.end():m.end() + 40]
        unit = next((u for u in OFFICE_UNITS if rest.lstrip().startswith(u + " ")), "")
        roles.add(f"{m.group(1)} {unit}".strip())
    places = {f"{m.group(1)} {m.group(2).strip()}" for m in _PLACE_RE.finditer(plain)}
    amounts = set()
    for m in _MONEY_RE.finditer(plain):
        v = _amount(m.group(1), m.group(2))
        if v:
            amounts.add(v)
    dates = {f"{int(d)}/{int(mo)}" for d, mo, _ in _DATE_RE.findall(plain)
             if 1 <= int(d) <= 31 and 1 <= int(mo) <= 12}
    plates = {"".join(m) for m in _PLATE_RE.findall(plain)}
    return CaseSignature(
        weights=idf.weights(grams), names=frozenset(_names(redacted_text, plain)),
        roles=frozenset(roles), places=frozenset(places), amounts=frozenset(amounts),
        dates=frozenset(dates), plates=frozenset(plates), codes=frozenset(codes),
        minhash=_minhash(shingles),
    )


@dataclass(frozen=True)
class DuplicateMatch:
    item_id: str
    similarity: float
    cluster: str
    reasons: tuple[str, ...] = ()


def _weighted_overlap(a: CaseSignature, b: CaseSignature) -> tuple[float, float]:
    """(weighted cosine of the bigram sets, weighted containment of the smaller one)."""
    if not a.weights or not b.weights:
        return 0.0, 0.0
    wa = a.weights
    inter = sum(wa[g] for g in wa.keys() & b.weights.keys())
    ta, tb = a.total, b.total
    return inter / math.sqrt(ta * tb), inter / min(ta, tb)


def similarity(a: CaseSignature, b: CaseSignature) -> tuple[float, list[str]]:
    """How likely two signatures describe the same concrete case, in [0, 1], with reasons."""
    cos, contain = _weighted_overlap(a, b)
    text_sim = max(cos, 0.85 * contain if min(len(a.weights), len(b.weights)) >= 4 else 0.0)
    reasons = [f"từ ngữ trùng {text_sim:.2f}"]
    bonus, penalty = 0.0, 0.0
    full_a = {n for n in a.names if not n.startswith("~")}
    full_b = {n for n in b.names if not n.startswith("~")}
    given_a = {n for n in a.names if n.startswith("~")}
    given_b = {n for n in b.names if n.startswith("~")}
    if full_a & full_b:
        bonus += 0.25
        reasons.append("cùng người: " + ", ".join(sorted(full_a & full_b)))
    elif given_a & given_b:
        bonus += 0.12
        reasons.append("cùng tên người")
    elif full_a and full_b:
        penalty += 0.3
        reasons.append("khác người bị phản ánh")
    if a.plates & b.plates:
        bonus += 0.25
        reasons.append("cùng biển số")
    elif a.plates and b.plates:
        penalty += 0.3
    if a.amounts & b.amounts:
        bonus += 0.15
        reasons.append("cùng số tiền")
    elif a.amounts and b.amounts:
        penalty += 0.1
    if a.places & b.places:
        bonus += 0.08
    if a.roles and b.roles and not (a.roles & b.roles):
        penalty += 0.2
        reasons.append("khác chức vụ người bị phản ánh")
    elif a.roles & b.roles:
        bonus += 0.05
    if a.codes and b.codes:
        ga, gb = {c[:2] for c in a.codes}, {c[:2] for c in b.codes}
        if not (a.codes & b.codes) and not (ga & gb):
            penalty += 0.25
            reasons.append("khác hành vi")
    score = max(0.0, min(1.0, text_sim + bonus * (0.5 + text_sim) - penalty))
    return score, reasons


class KeyStore(Protocol):
    """Where signatures and keys live: a dict in one process, a SQL table in the service."""

    def candidates(self, keys: list[str], *, limit: int) -> list[str]: ...
    def add(self, item_id: str, keys: list[str], signature: CaseSignature, cluster: str) -> None: ...
    def signature(self, item_id: str) -> CaseSignature | None: ...
    def cluster_of(self, item_id: str) -> str | None: ...
    def cluster_size(self, cluster: str) -> int: ...
    def __len__(self) -> int: ...


class MemoryKeyStore:
    """An in-memory :class:`KeyStore`, for `triage predict` over one file and for tests."""

    def __init__(self, max_postings: int = 2000):
        self.postings: dict[str, list[str]] = {}
        self.signatures: dict[str, CaseSignature] = {}
        self.clusters: dict[str, str] = {}
        self.sizes: Counter[str] = Counter()
        self.max_postings = max_postings

    def candidates(self, keys: list[str], *, limit: int) -> list[str]:
        hits: Counter[str] = Counter()
        for k in keys:
            posting = self.postings.get(k)
            if posting and len(posting) <= self.max_postings:
                hits.update(posting[-self.max_postings:])
        return [i for i, _ in hits.most_common(limit)]

    def add(self, item_id, keys, signature, cluster) -> None:
        for k in keys:
            self.postings.setdefault(k, []).append(item_id)
        self.signatures[item_id] = signature
        self.clusters[item_id] = cluster
        self.sizes[cluster] += 1

    def signature(self, item_id):
        return self.signatures.get(item_id)

    def cluster_of(self, item_id):
        return self.clusters.get(item_id)

    def cluster_size(self, cluster):
        return self.sizes[cluster]

    def __len__(self):
        return len(self.signatures)


class DuplicateIndex:
    """Find the best earlier match of each new item and keep clusters of one case."""

    def __init__(self, store: KeyStore | None = None, *, idf: Idf | None = None,
                 threshold: float = 0.5, max_candidates: int = 12):
        self.store = store if store is not None else MemoryKeyStore()
        self.idf = idf
        self.threshold = threshold
        self.max_candidates = max_candidates

    def __len__(self) -> int:
        return len(self.store)

    def find(self, sig: CaseSignature, keys: list[str] | None = None) -> DuplicateMatch | None:
        keys = keys if keys is not None else sig.keys()
        best: DuplicateMatch | None = None
        for cand in self.store.candidates(keys, limit=self.max_candidates):
            other = self.store.signature(cand)
            if other is None:
                continue
            sim, reasons = similarity(sig, other)
            if sim >= self.threshold and (best is None or sim > best.similarity):
                best = DuplicateMatch(cand, sim, self.store.cluster_of(cand) or cand, tuple(reasons))
        return best

    def match_and_add(self, item_id: str, redacted_text: str, *, codes: Iterable[str] = (),
                      plain: str | None = None) -> tuple[DuplicateMatch | None, str, int]:
        """Match an item against everything stored, then store it; (match, cluster, size)."""
        sig = case_signature(redacted_text, codes=codes, idf=self.idf, plain=plain)
        keys = sig.keys()
        match = self.find(sig, keys)
        cluster = match.cluster if match else f"c-{item_id}"
        self.store.add(item_id, keys, sig, cluster)
        return match, cluster, self.store.cluster_size(cluster)
