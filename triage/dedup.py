"""Near-duplicate detection: the same concrete case, sent again, by someone else, through
another channel, paraphrased, summarised, or typed without accents.

A duplicate is a *link*, never a deletion. For each item:

1. a :class:`CaseSignature` is computed from the redacted, normalized text: diacritics-free
   syllable shingles (MinHash), the rarest phrases, and the case specifics — people's
   names, offices and places, amounts, dates, plate numbers;
2. candidate earlier items are found through *keys* (MinHash band keys, specific keys —
   names, bodies, plates, amounts, the official's given name or post with the commune —,
   rare-phrase keys) in a :class:`KeyStore` — a dict here, an indexed SQL table in the
   service, so nothing correctness needs lives only in one process's memory;
3. each candidate is verified by a finer comparison (wording in diacritics-free form:
   IDF-weighted bigram overlap, content-word TF-IDF cosine and containment with the
   model's IDF, containment of one listed matter of voter-meeting notes; agreement of
   specifics, counted as far as the classifier's code scores say it is the same act; a
   different accused person or a different amount or act counts against), giving a
   similarity in [0, 1];
4. the best candidate above the threshold becomes ``duplicate_of`` and the item joins its
   cluster.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import pairwise
from typing import Protocol

import numpy as np

from triage.amounts import amounts as money_amounts
from triage.amounts import amounts_meet
from triage.concepts import concept_terms
from triage.textutil import diacritic_ratio, starts_with, strip_diacritics

SURNAMES = {
    "nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do",
    "ho", "ngo", "duong", "ly", "dinh", "truong", "lam", "mai", "trinh", "doan", "luong", "cao",
    "ha", "ta", "kieu", "chu", "thai", "la", "quach", "luu", "tong", "trieu", "vuong", "khuat",
    "lai", "giang", "nong", "ton", "thach", "au", "lo", "tieu", "diep", "hua", "dao", "phung",
    "khong", "mac", "ninh", "lieu", "bach", "kim", "thieu", "van", "ong", "son", "quan", "lu",
}
ROLES = ("pho chu tich", "chu tich", "pho bi thu", "bi thu", "truong thon", "truong ap",
         "truong khu", "truong ban", "to truong", "truong cong an", "pho truong cong an",
         "cong an", "dia chinh", "ke toan", "thu quy", "hieu truong", "pho hieu truong",
         "giam doc", "pho giam doc", "truong phong", "pho truong phong", "truong khoa",
         "bac si", "giao vien", "can bo thue", "kiem lam", "hai quan", "canh sat giao thong",
         "truong tram", "chanh van phong", "tu phap", "quan ly thi truong", "doi truong",
         "thu truong", "chanh thanh tra", "can bo", "cong chuc")
_ROLE_RE = re.compile(r"(?<!\w)(" + "|".join(sorted(ROLES, key=len, reverse=True)) + r")(?!\w)")
_SYL_RE = re.compile(r"[^\W_]+")
_PLATE_RE = re.compile(r"\b(\d{2})\s?-?\s?([a-z]{1,2}\d?)\s?-?\s?(\d{3})\.?(\d{2})\b")
_DATE_RE = re.compile(r"\b(\d{1,2})[/-](\d{1,2})(?:[/-]\d{2,4})?\b")
# "tối 29 tháng 10", "ngày 3 tháng 11 năm 2026", "hôm mùng 5 tháng 2": a day written out, read
# as "29/10" too (on the plain text); the day-word before it keeps "3 tháng 2 lần" out
_DAY_MONTH_RE = re.compile(r"\b(?:ngay|toi|sang|chieu|dem|trua|hom|mung|mong|khuya)\s+(\d{1,2})\s+thang\s+(\d{1,2})\b")

_UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_CAP = rf"[{_UPPER}][^\W\d_]*"
_CAP_RUN = rf"{_CAP}(?:[ \t]+{_CAP}){{0,3}}"
# Administrative units: a commune-level name tells two cases apart; a village-level one too.
COMMUNE_UNITS = ("xã", "phường", "thị trấn", "đặc khu")
VILLAGE_UNITS = ("thôn", "ấp", "bản", "buôn", "làng", "xóm", "khu phố", "khu", "tổ dân phố",
                 "khóm", "tổ")
PROVINCE_UNITS = ("tỉnh", "thành phố", "huyện", "quận", "thị xã")
ORG_UNITS = ("công ty", "doanh nghiệp", "hợp tác xã", "nhà hàng", "quán", "khách sạn",
             "trường", "bệnh viện", "trạm y tế", "ngân hàng", "chợ", "cửa hàng", "tập đoàn",
             "nhà máy", "xí nghiệp", "trung tâm", "dự án", "khu đô thị", "cơ sở")
# words of a company's legal form and trade that come before its name, in any case, with
# or without marks ("Công ty CP Đầu tư Hoàng Minh", "Cong ty TNHH Xay dung Hung Thinh")
ORG_FILLER = ("TNHH", "CP", "MTV", "cổ phần", "xây dựng", "thương mại", "dịch vụ", "đầu tư",
              "một thành viên", "sản xuất", "vận tải", "thiết bị", "y tế", "bất động sản")


# Without marks these unit words are also common words ("ban" board, "to" big, "lang").
_NO_PLAIN_FORM = {"bản", "tổ", "làng", "buôn", "khóm", "chợ", "quán", "trường"}


def _alts(words) -> str:
    forms = set()
    for w in words:
        forms.add(w)
        if w not in _NO_PLAIN_FORM:
            forms.add(strip_diacritics(w))
    return "|".join(sorted(map(re.escape, forms), key=len, reverse=True))


# Unit words in any case, names only when capitalized (scoped flags: (?i:...)).
_ORG_PLAIN = tuple(sorted({strip_diacritics(u) for u in ORG_UNITS}))
_COMMUNE_PLAIN = frozenset(strip_diacritics(u) for u in COMMUNE_UNITS)
_VILLAGE_PLAIN = frozenset(strip_diacritics(u) for u in VILLAGE_UNITS)
_COUNT_WORDS = r"(?i:hộ|ho|người|nguoi|năm|nam|tháng|thang|ngày|ngay|lần|lan|km|ha|m)(?!\w)"
_PLACE_RE = re.compile(
    starts_with(COMMUNE_UNITS + VILLAGE_UNITS + PROVINCE_UNITS)
    + rf"(?<!\w)(?:(?i:({_alts(VILLAGE_UNITS)}))|(?i:({_alts(COMMUNE_UNITS + PROVINCE_UNITS)})))"
    # a hamlet's number is part of its name: "ấp Trâm Vàng 2" is not "ấp Trâm Vàng 3"; a
    # figure after a commune's or a province's name is not ("xã Tân Phú 3 năm nay")
    rf"[ \t]+({_CAP_RUN}(?(1)(?:[ \t]+\d{{1,2}}(?![\w/:-]|[.,]\d|[ \t]+{_COUNT_WORDS}))?)"
    rf"|\d+[A-Za-z]?)(?!\w)")
_FILLER = rf"(?:[ \t]+(?i:{_alts(ORG_FILLER)})(?!\w))*"
_ORG_RE = re.compile(starts_with(ORG_UNITS) + rf"(?<!\w)(?i:(?:{_alts(ORG_UNITS)}){_FILLER})[ \t]+({_CAP_RUN})(?!\w)")
# The word before a capitalized run that makes it a place or a body ("xã Cẩm Xuyên",
# "Chi cục Thuế"), with marks: in a text typed with them "chị" and "đảng viên" are not
# "chi" and "viện". `_UNIT_WORDS_PLAIN` is the same without marks, for a word without.
_UNIT_WORDS = {u.lower().split()[-1] for u in
               COMMUNE_UNITS + VILLAGE_UNITS + PROVINCE_UNITS + ORG_UNITS} | {
    "ban", "ủy", "hội", "sở", "phòng", "đảng", "mặt", "cục", "chi", "đội", "đồn", "viện", "tòa",
    "nhân", "đường", "phố", "ngõ", "hẻm", "kiệt"}  # the last five: streets
_UNIT_WORDS_PLAIN = frozenset(strip_diacritics(w) for w in _UNIT_WORDS)


def _unit_word(word: str) -> bool:
    """Is ``word`` (lower-cased) one of `_UNIT_WORDS`, as typed: with its marks, or without
    any ("chi", "xa" in a message typed without them)?"""
    return word in _UNIT_WORDS or (word in _UNIT_WORDS_PLAIN and strip_diacritics(word) == word)


# Provinces and big cities whose names begin with a surname ("Hà Tĩnh", "Cao Bằng"): places,
# not people, when they stand alone ("xã Duy Tiên, Ninh Bình").
PROVINCE_NAMES = frozenset({
    "ha noi", "ha tinh", "ha giang", "ha nam", "ha tay", "cao bang", "ninh binh", "ninh thuan",
    "lam dong", "lang son", "lai chau", "dong nai", "dong thap", "bac ninh", "bac giang",
    "bac kan", "bac lieu", "kien giang", "tien giang", "hau giang", "an giang", "vinh long",
    "vinh phuc", "tay ninh", "quang ninh", "quang tri", "quang nam", "quang ngai", "quang binh",
    "thai nguyen", "thai binh", "hoa binh", "phu tho", "phu yen", "lao cai", "son la",
    "ca mau", "tra vinh", "soc trang", "ben tre", "long an", "binh duong", "binh phuoc",
    "binh dinh", "binh thuan", "dak lak", "dak nong", "gia lai", "kon tum", "khanh hoa",
    "nghe an", "thanh hoa", "hung yen", "hai duong", "hai phong", "da nang", "can tho",
    "tuyen quang", "yen bai", "dien bien", "nam dinh", "ba ria", "vung tau", "hue",
    "ho chi minh", "thanh pho ho chi minh"})
_MIDDLE_PLAIN = {"van", "thi", "duc", "huu", "minh", "quang", "ngoc", "dinh"}
_CAP_RUN_RE = re.compile(rf"(?<![\w])(\w+[ \t]+)?({_CAP}(?:[ \t]+{_CAP}){{1,3}})(?!\w)")
# titles before a name, as typed with marks and without ("anh", "em" are both)
_TITLES_MARKED = ["ông", "bà", "anh", "chị", "cô", "chú", "bác", "thầy", "em", "cậu", "dì",
                  "đồng chí", "đ/c"]
_TITLES_PLAIN = ["ong", "ba", "chi", "co", "chu", "bac", "a", "thay", "dong chi"]
_TITLE_WORDS = _TITLES_MARKED + _TITLES_PLAIN
_POST_TITLES = ["phó chủ tịch", "chủ tịch", "bí thư", "phó bí thư", "trưởng thôn", "trưởng ấp",
                "trưởng khu", "kế toán", "địa chính", "hiệu trưởng", "giám đốc", "trưởng công an",
                "trưởng phòng", "cán bộ", "bác sĩ", "bs", "y tá", "điều dưỡng", "giáo viên",
                "thầy giáo", "cô giáo", "công an", "thủ quỹ", "trưởng khoa", "trưởng trạm", "kiểm lâm",
                "cảnh sát", "đội trưởng", "thanh tra", "đăng kiểm viên", "tư pháp", "phó giám đốc",
                "trưởng ban"]
_TITLE_NAME_RE = re.compile(
    starts_with(_TITLE_WORDS + _POST_TITLES) + rf"(?<!\w)(?i:{'|'.join(_TITLE_WORDS)}|{_alts(_POST_TITLES)})"
    rf"(?:[ \t]+(?:{_alts(COMMUNE_UNITS + VILLAGE_UNITS)}|UBND|Ủy ban nhân dân xã|Ủy ban nhân dân))?"
    rf"[ \t]+({_CAP})(?![ \t]*{_CAP})(?!\w)")
# "cán bộ thuế phụ trách chợ tên Trí", "một anh tên là Hùng": a given name after "tên"
_NAMED_RE = re.compile(rf"(?<!\w)(?i:tên|ten)(?:[ \t]+(?i:là|la))?[ \t]+({_CAP})(?![ \t]*{_CAP})(?!\w)")
# the one-word titles that stand before a surname ("Ông Nguyễn ..."); without marks not
# "chu" (Chu Văn An is a name) or "a", and "anh" has no marks to lose
_MARKED_TITLES = {w for w in _TITLES_MARKED if " " not in w and "/" not in w}
_PLAIN_TITLES = {w for w in _TITLES_PLAIN if " " not in w} - {"chu", "a"} | {"anh"}


def _title_before_name(word: str, following: str) -> bool:
    """Is ``word`` a title before the surname ``following`` ("Ông Nguyễn ...", "Ba Tran ...")?"""
    w = word.lower()
    return (w in _MARKED_TITLES or w in _PLAIN_TITLES) and strip_diacritics(following.lower()) in SURNAMES


_SELF_BEFORE = ("toi", "tui", "em", "chau", "con", "minh", "tao", "to")  # "tôi tên Dung": the writer
_CAP_WORD_RE = re.compile(rf"(?<!\w){_CAP}")
_MIDDLE_MARKED = {"văn", "thị", "đức", "hữu", "minh", "quang", "ngọc", "đình"}
_LOWER_NAME_RE = re.compile(
    starts_with(SURNAMES, ignore_case=False) + r"(?<!\w)(" + "|".join(sorted(SURNAMES)) + r")\s+(van|thi|duc|huu|minh|quang|ngoc|dinh)"
    r"\s+([^\W\d_]+)(?!\w)")

# Similarity from which an earlier item is linked as the same case. Chosen, with the
# TOPIC_* bases and the evidence weights below, on the dev half of data/dedup only
# (`triage evaluate-dedup --split dev`; split by case), precision first: a false link
# between two different cases of the same kind is worse for reviewers than a missed one.
DEFAULT_THRESHOLD = 0.7

NUM_PERM = 24
BANDS = 8  # 8 bands x 3 rows: bigram-Jaccard 0.5 meets in a band with p ~ 0.66, 0.7 with p ~ 0.96
RARE_KEYS = 6
TERM_KEYS = 8       # heaviest content words used as keys
MAX_TERMS = 160       # content syllables kept per signature (the highest-weighted)
TERM_MIN_IDF = 0.3    # of the largest IDF: below it a syllable is a function word
_PRIME = (1 << 31) - 1
_rng = np.random.RandomState(20261201)  # fixed: band keys are stored, so must never change
_A = _rng.randint(1, _PRIME, size=(NUM_PERM, 1)).astype(np.int64)
_B = _rng.randint(0, _PRIME, size=(NUM_PERM, 1)).astype(np.int64)


# the kinds of case specifics a signature keeps (see `_specifics`)
_SPECIFIC_KEYS = ("names", "names_plain", "accused", "accused_plain", "communes", "villages",
                  "orgs", "roles", "amounts", "dates", "plates", "reporters")


@dataclass(frozen=True)
class CaseSignature:
    """What the duplicate search keeps of one item (no personal data: redacted text only).

    Names, places and organisations are kept lower-cased in two spellings: with marks
    (``hùng`` and ``hưng`` are different people) and without (for text typed without them).
    """

    weights: dict[str, float]       # syllable bigram -> IDF weight (rare phrases weigh more)
    segments: tuple[frozenset[str], ...]  # bigrams of each matter of a multi-matter text
    accented: bool                  # typed with diacritics?
    names: frozenset[str]           # people: "hồ sỹ lâm", "~lâm" (given name only)
    names_plain: frozenset[str]     # the same without diacritics
    accused: frozenset[str]         # the names that stand next to a post ("ông Lâm, Phó Chủ tịch")
    accused_plain: frozenset[str]
    communes: frozenset[str]        # "xa cam xuyen"
    villages: frozenset[str]        # "ap binh hoa", "thon 4"
    orgs: frozenset[str]            # "phat dat"
    roles: frozenset[str]           # "chu tich xa", "truong thon"
    amounts: frozenset[int]
    dates: frozenset[str]
    plates: frozenset[str]
    # the names (without marks) of those who report: the writer, a caller, a voter in
    # minutes. Two citizens reporting one case name themselves differently, so these never
    # count as another person; they still agree when one citizen writes again
    reporters: frozenset[str] = frozenset()
    codes: tuple[tuple[str, float], ...] = ()  # the best-scored codes: what act it is
    minhash: tuple[int, ...] = field(default=(), repr=False)
    # content syllable -> TF-IDF weight (L2-normalised; the rarest MAX_TERMS only): what the
    # text is about, in words another citizen would also use
    terms: dict[str, float] = field(default_factory=dict, repr=False)
    # the specifics of each matter of ``segments`` (the keys of `_specifics`, only those
    # it names): a mention is compared with its own line, not with the other callers'
    # names, hamlets and the meeting's date
    segment_specifics: tuple[dict[str, frozenset], ...] = field(default=(), repr=False)

    @cached_property
    def total(self) -> float:
        return sum(self.weights.values())

    @cached_property
    def code_scores(self) -> dict[str, float]:
        return dict(self.codes)

    @cached_property
    def code_norm(self) -> float:
        return math.sqrt(sum(v * v for v in self.code_scores.values()))

    @cached_property
    def terms_sq(self) -> float:
        """Squared length of the term vector (1 but for the rounding of a stored one)."""
        return sum(v * v for v in self.terms.values())

    @cached_property
    def setting_words(self) -> frozenset[str]:
        """The syllables of the setting's names: people, communes, hamlets, bodies."""
        words: set[str] = set()
        for n in (*self.names_plain, *self.communes, *self.villages, *self.orgs):
            words.update(n.lstrip("~").split())
        return frozenset(words)

    def to_dict(self) -> dict:
        """Plain JSON-able data, for a store that keeps signatures in a database."""
        return {
            "weights": {g: round(w, 3) for g, w in self.weights.items()},
            "segments": [sorted(s) for s in self.segments], "accented": self.accented,
            **{k: sorted(getattr(self, k)) for k in _SPECIFIC_KEYS},
            "codes": [list(c) for c in self.codes], "minhash": list(self.minhash),
            "terms": {t: round(w, 4) for t, w in self.terms.items()},
            "segment_specifics": [{k: sorted(v) for k, v in d.items() if v}
                                  for d in self.segment_specifics],
        }

    @classmethod
    def from_dict(cls, d: dict) -> CaseSignature:
        sets = {k: frozenset(d.get(k, ())) for k in _SPECIFIC_KEYS}
        return cls(weights=dict(d["weights"]), segments=tuple(frozenset(s) for s in d["segments"]),
                   accented=d["accented"], codes=tuple((c, float(v)) for c, v in d["codes"]),
                   minhash=tuple(d["minhash"]), terms=dict(d.get("terms", {})),
                   segment_specifics=tuple({k: frozenset(v) for k, v in x.items()}
                                           for x in d.get("segment_specifics", ())), **sets)

    def keys(self) -> list[str]:
        """Index keys: MinHash bands, case specifics and the rarest phrases."""
        keys = []
        rows = NUM_PERM // BANDS
        for b in range(BANDS):
            band = self.minhash[b * rows:(b + 1) * rows]
            if band:
                keys.append(f"b{b}:" + hashlib.blake2b(repr(band).encode(), digest_size=6).hexdigest())
        keys += [f"n:{n}" for n in self.names_plain if not n.startswith("~")]
        keys += [f"o:{o}" for o in self.orgs]
        keys += [f"p:{p}" for p in self.plates]
        keys += [f"a:{a}" for a in self.amounts if a >= 1_000_000]
        keys += [f"v:{c}|{v}" for c in self.communes for v in self.villages]
        # another citizen names the same official by given name or post, and the place:
        # "ông Hùng ... xã Tân Phước", "chủ tịch xã ... Tân Phước"
        given = {n for n in self.accused_plain if n.startswith("~")}
        places = self.communes | self.orgs
        keys += [f"k:{n[1:]}|{p}" for n in given for p in places]
        keys += [f"r:{r}|{p}" for r in self.roles for p in places]
        rare = heapq.nsmallest(RARE_KEYS, self.weights.items(), key=lambda kv: (-kv[1], kv[0]))
        keys += [f"g:{g}" for g, _ in rare]
        # another citizen retelling the case shares few phrases but the commune and a few
        # telling words ("pháo hoa", "cáp treo"): the commune, and the heaviest content words
        keys += [f"c:{c}" for c in self.communes]
        top = heapq.nsmallest(TERM_KEYS, self.terms.items(), key=lambda kv: (-kv[1], kv[0]))
        keys += [f"t:{t}" for t, _ in top]
        return keys


class Idf:
    """IDF weights of diacritics-free syllables and syllable bigrams (the model's own, so a
    word common in feedback weighs little); unseen ones count as rare."""

    def __init__(self, table: dict[str, float] | None = None, default: float = 1.0):
        self.table = table or {}
        self.default = default

    def weights(self, grams: Iterable[str]) -> dict[str, float]:
        get, d = self.table.get, self.default
        return {g: get(g, d) for g in grams}

    def terms(self, syllables: Iterable[str], *, limit: int | None = None) -> dict[str, float]:
        """Sublinear TF-IDF of the content syllables, L2-normalised: function words (IDF
        under :data:`TERM_MIN_IDF` of the largest) and bare numbers are left out."""
        get, d = self.table.get, self.default
        floor = TERM_MIN_IDF * d
        raw = {}
        for t, n in Counter(syllables).items():
            w = get(t, d)
            if w >= floor and not t.isdigit():
                raw[t] = (1.0 + math.log(n)) * w
        limit = limit or MAX_TERMS
        if len(raw) > limit:
            raw = dict(heapq.nlargest(limit, raw.items(), key=lambda kv: (kv[1], kv[0])))
        norm = math.sqrt(sum(v * v for v in raw.values()))
        return {t: v / norm for t, v in raw.items()} if norm else {}


def _minhash(shingles: set[str]) -> tuple[int, ...]:
    """MinHash over stable crc32 hashes of the shingles, all permutations at once."""
    if not shingles:
        return ()
    x = np.fromiter((zlib.crc32(s.encode()) % _PRIME for s in shingles), dtype=np.int64,
                    count=len(shingles))
    return tuple(((_A * x[None, :] + _B) % _PRIME).min(axis=1).tolist())


_NEAR = 48  # characters around a name searched for a post
# Capitalized words that begin the name of a body, not a person ("Trường Tiểu học ...").
_NOT_A_NAME_START = {"trường", "bệnh", "công", "ủy", "ban", "hội", "sở", "phòng", "chi", "đội",
                     "trung", "cục", "viện", "tòa", "đảng", "mặt", "nhà", "chợ", "quỹ"}


def _people(text: str, plain: str, role_spans: list[tuple[int, int, str]], *,
            accented: bool = False) -> tuple[set[str], set[str], set[str]]:
    """People's names, lower-cased with marks ("hồ sỹ lâm", "~lâm" for the given name);
    which of them stand next to a post (the accused, rather than the writer or a witness);
    and which are those who report (the writer, a caller, a voter: see `_reporter`)."""
    names: set[str] = set()
    accused: set[str] = set()
    reporters: set[str] = set()
    starts = [a for a, _, _ in role_spans]
    # "Quản lý thị trường Đỗ Mạnh Cường": a name right after a post, not a school's name
    role_ends = {b + 1 for _, b, _ in role_spans}

    def near_post(start: int, end: int) -> bool:
        i = bisect.bisect_left(starts, start - _NEAR - 30)
        for a, b, _ in role_spans[i:]:
            if a > end + _NEAR:
                return False
            if b >= start - _NEAR:
                return True
        return False

    for m in _CAP_RUN_RE.finditer(text):
        before = (m.group(1) or "").strip().lower()
        if _unit_word(before) and m.start(2) not in role_ends:
            continue  # "xã Cẩm Xuyên", "Công ty Phát Đạt": a place or a body
        raw, start = m.group(2).split(), m.start(2)
        if before and m.group(1)[0].isupper():
            # a run that opens the text or a sentence: its first word is the name's own
            # ("Lê Thị Mai phản ánh"), or a title ("Ông Nguyễn Văn Tư, ấp Bình Thành: ...")
            raw, start = [m.group(1).strip(), *raw], m.start(1)
        if len(raw) > 2 and _title_before_name(raw[0], raw[1]):
            start = text.index(raw[1], start + len(raw[0]))
            raw = raw[1:]
        elif len(raw) == 2 and raw[0].lower() in _MARKED_TITLES | _PLAIN_TITLES:
            continue  # "Ông Hùng": a given name after a title, read below
        while len(raw) > 1 and len(raw[-1]) > 1 and raw[-1].isupper():
            raw.pop()  # "Ngô Quyền HP": a trailing abbreviation is not part of a name
        if all(len(w) > 1 and w.isupper() for w in raw) or len(raw) < 2:
            continue  # an all-caps heading, not a name
        parts = [w.lower() for w in raw]
        if parts[0] in _NOT_A_NAME_START or strip_diacritics(" ".join(parts)) in PROVINCE_NAMES:
            continue
        if strip_diacritics(parts[0]) in SURNAMES:
            found = {" ".join(parts), "~" + parts[-1]}
            names |= found
            if _reporter(plain, start, m.end(2)):
                reporters |= found
            elif near_post(start, m.end(2)):
                accused |= found
    # a given name after a title ("ông Hùng") or after "tên" ("cán bộ tên Trí"); after
    # "tên" it may be the writer's own ("tôi tên Dung")
    for pattern, may_be_own in ((_TITLE_NAME_RE, False), (_NAMED_RE, True)):
        for m in pattern.finditer(text):
            given = m.group(1).lower()
            if ((len(given) > 1 and m.group(1).isupper()) or strip_diacritics(given) in _UNIT_WORDS_PLAIN
                    or _ROLE_RE.match(plain, m.start(1))):
                continue  # an abbreviation, a body, or a post ("ông Chủ tịch")
            names.add("~" + given)
            before = plain[max(0, m.start() - 6):m.start()].split() if may_be_own else ()
            if (before and before[-1] in _SELF_BEFORE) or _reporter(plain, m.start(), m.end()):
                reporters.add("~" + given)
            elif near_post(m.start(), m.end()):
                accused.add("~" + given)
    if not names and len(_CAP_WORD_RE.findall(text)) < 3:  # lower-case text: surname + middle
        for m in _LOWER_NAME_RE.finditer(plain):
            if (accented and len(text) == len(plain)
                    and text[m.start(2):m.end(2)].lower() not in _MIDDLE_MARKED):
                continue  # "lại thì bị" is not "Lại Thị Bi": with marks, the middle must be one
            found = {" ".join(m.groups()), "~" + m.group(3)}
            names |= found
            if _reporter(plain, m.start(), m.end()):
                reporters |= found
            elif near_post(m.start(), m.end()):
                accused |= found
    return names, accused, reporters


# A list marker opens a line or follows the end of a sentence: "tháng 9) không" and
# "văn hóa - xã hội" inside a sentence are not items of a list.
_MARK_AT = r"(?:^|\n|(?<=[.;:!?])[ \t])[ \t]*"
_SEGMENT_SPLIT_RE = re.compile(_MARK_AT + r"(?:\+|-|–|•|\*|\(\d+\)|\d+[.)]|[a-e]\))\s+|(?i:(?<=[.;])\s+(?=cử tri|cu tri|ý kiến|y kien|người gọi|nguoi goi)|\n+(?=cử tri|cu tri))")


_LIST_HINT_RE = re.compile(_MARK_AT + r"(?:\+|-|–|•|\(\d+\)|\d+[.)])\s|(?i:cử tri|cu tri|ý kiến|y kien)")


def _segment_texts(text: str) -> tuple[tuple[frozenset[str], str], ...]:
    """(bigram set, text) of each separate matter of a text that lists several
    (voter-meeting notes, a hotline log); empty for a text about one matter."""
    if len(text) < 200 or not _LIST_HINT_RE.search(text):
        return ()
    parts = [p for p in _SEGMENT_SPLIT_RE.split(text) if p and len(p) > 40]
    if len(parts) < 3:
        return ()
    out = []
    for part in parts:
        syl = _SYL_RE.findall(strip_diacritics(part.lower()))
        grams = frozenset(f"{a} {b}" for a, b in pairwise(syl))
        if len(grams) >= 8:
            out.append((grams, part))
    return tuple(out) if len(out) >= 2 else ()


# Who reports, not who is reported on: the writer ("tôi tên là Trần Văn Út", "Người gọi:
# chị Hoa"), a voter or a caller in minutes and logs ("Ông Lê Văn Tám (Thọ Xuân) hỏi ...",
# "Bà Liễu (thôn Tân Phong): đề nghị ..."). Their names are not the case's: two citizens
# reporting one case name themselves differently.
_WRITER_RE = re.compile(r"(?:(?:toi|tui|em|chau|minh|to)\s+(?:ten la|ten|la)|ten toi la|ten toi|"
                        r"cu tri|nguoi goi|nguoi dan|nguoi phan anh|nguoi lam chung|chau|con toi|"
                        r"vo toi|chong toi|ba con)\s*:?\s*(?:(?:ong|ba|anh|chi|co|chu|bac|em)\s+)?$")
_REPORTS_AFTER_RE = re.compile(r"[ \t]*(?:\([^()\n]{0,60}\)[ \t]*)?(?:,[^,.;:()\n]{1,30},)?"
                               r"(?::|,?[ \t]*(?:phat bieu|phan anh|"
                               r"de nghi|kien nghi|hoi|cho biet|to cao|gui don|trinh bay)(?!\w))")


def _reporter(plain: str, start: int, end: int) -> bool:
    """Is the name at ``plain[start:end]`` the writer's or a reporter's own?"""
    return bool(_WRITER_RE.search(plain, max(0, start - 24), start)
                or _REPORTS_AFTER_RE.match(plain, end))


def _mostly_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 20 and sum(c.isupper() for c in letters) >= 0.6 * len(letters)


def _org_key(name: str) -> str:
    """A body's key: the last two words of its name, once a trailing place is dropped
    ("chợ Cái Răng CThơ", "Trung tâm Y tế Năm Căn Cà Mau" are "cai rang", "nam can"): an
    abbreviation (two capitals or more) or a province's name."""
    words = name.split()
    while len(words) > 2:
        if sum(ch.isupper() for ch in words[-1]) >= 2:
            words.pop()
        elif strip_diacritics(" ".join(words[-2:]).lower()) in PROVINCE_NAMES and len(words) > 3:
            del words[-2:]
        else:
            break
    return " ".join(strip_diacritics(" ".join(words).lower()).split()[-2:])


def _specifics(redacted_text: str, plain: str, accented: bool) -> dict[str, frozenset]:
    """The case specifics of a text (or of one matter of a list): people, the accused,
    communes, hamlets, bodies, posts, amounts, dates and plates."""
    role_spans = [(m.start(), m.end(), m.group(1)) for m in _ROLE_RE.finditer(plain)]
    roles = {r for _, _, r in role_spans}
    communes, villages = set(), set()
    person_places = []
    for m in _PLACE_RE.finditer(redacted_text):
        name = m.group(3)
        if name.count(" ") >= 2 and strip_diacritics(name.split(" ", 1)[0].lower()) in SURNAMES:
            person_places.append(name)  # "Chủ tịch UBND xã Hồ Sỹ Lâm" is a person
            continue
        words = strip_diacritics(name.lower()).split()
        for k in range(1, len(words) - 1):  # "xã Duy Tiên Đinh Thị Nhạn": the place ends
            if words[k] in SURNAMES and words[k + 1] in _MIDDLE_PLAIN:
                name = " ".join(name.split()[:k])
                break
        unit = strip_diacritics((m.group(1) or m.group(2)).lower())
        key = f"{unit} {strip_diacritics(name.lower())}"
        if unit in _COMMUNE_PLAIN:
            communes.add(key)
        elif unit in _VILLAGE_PLAIN:
            villages.add(key)
    orgs = set()
    if any(u in plain for u in _ORG_PLAIN):  # a cheap look before the costly pattern
        orgs = {_org_key(m.group(1)) for m in _ORG_RE.finditer(redacted_text)}
        orgs.discard("")
    amounts = {v for v in money_amounts(plain) if v >= 100_000}
    dates = {f"{int(d)}/{int(mo)}" for d, mo in [*_DATE_RE.findall(plain), *_DAY_MONTH_RE.findall(plain)]
             if 1 <= int(d) <= 31 and 1 <= int(mo) <= 12}
    plates = {"".join(m) for m in _PLATE_RE.findall(plain)}
    # In a text typed in capitals every word looks like a name ("CHỦ TỊCH XÃ DƯƠNG VĂN
    # QUYẾT Ở XÓM ..."): its people are read as in a lower-case text (surname, middle name)
    shouting = _mostly_capitals(redacted_text)
    people, accused, reporters = _people(redacted_text.lower() if shouting else redacted_text, plain,
                              role_spans, accented=accented)
    for name in () if shouting else person_places:
        full = name.lower().split()
        found = {" ".join(full), "~" + full[-1]}
        people |= found
        accused |= found
    roles = {r for r in roles if r not in ("can bo", "cong chuc")}  # too general to tell apart
    return {"names": frozenset(people), "names_plain": frozenset(strip_diacritics(n) for n in people),
            "accused": frozenset(accused),
            "accused_plain": frozenset(strip_diacritics(n) for n in accused),
            "communes": frozenset(communes), "villages": frozenset(villages),
            "orgs": frozenset(orgs), "roles": frozenset(roles), "amounts": frozenset(amounts),
            "dates": frozenset(dates), "plates": frozenset(plates),
            "reporters": frozenset(strip_diacritics(n) for n in reporters)}


def syllable_bigrams(syllables: Sequence[str]) -> set[str]:
    """The bigrams a signature weighs, of the syllables of a text without diacritics."""
    return {f"{a} {b}" for a, b in pairwise(syllables)}


def plain_syllables(text: str) -> list[str]:
    """The syllables of ``text`` lower-cased, without diacritics."""
    return _SYL_RE.findall(strip_diacritics(text.lower()))


def case_signature(redacted_text: str, *, codes: Iterable[tuple[str, float]] = (),
                   idf: Idf | None = None, plain: str | None = None,
                   syllables: Sequence[str] | None = None,
                   accented: bool | None = None) -> CaseSignature:
    """Signature of one item from its redacted, normalized text. ``plain`` (the same text
    lower-cased without diacritics), its ``syllables`` and ``accented`` may be passed when
    the caller has them already."""
    plain = plain if plain is not None else strip_diacritics(redacted_text.lower())
    syl = syllables if syllables is not None else _SYL_RE.findall(plain)
    grams = syllable_bigrams(syl)
    idf = idf or Idf()
    if accented is None:
        accented = diacritic_ratio(redacted_text) >= 0.03
    parts = _segment_texts(redacted_text)
    return CaseSignature(
        weights=idf.weights(grams), segments=tuple(g for g, _ in parts), accented=accented,
        segment_specifics=tuple({k: v for k, v in _specifics(t, strip_diacritics(t.lower()), accented).items() if v}
                                for _, t in parts),
        codes=tuple((c, float(v)) for c, v in codes), minhash=_minhash(grams or set(syl)),
        terms=idf.terms([*syl, *concept_terms(redacted_text.lower(), plain, accented=accented)]),
        **_specifics(redacted_text, plain, accented),
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


# Evidence weights of the verification step (see `similarity`).
SAME_ACCUSED, SAME_PERSON, OTHER_ACCUSED = 0.35, 0.25, 0.40
SAME_ORG, SAME_COMMUNE, SAME_VILLAGE, OTHER_COMMUNE, OTHER_VILLAGE = 0.15, 0.10, 0.05, 0.30, 0.15
SAME_AMOUNT, OTHER_AMOUNT, SAME_DATE, SAME_PLATE, OTHER_PLATE = 0.10, 0.05, 0.05, 0.30, 0.35
OTHER_ROLE, OTHER_ACT, OTHER_ACT_BELOW = 0.15, 0.20, 0.25
SAME_ROLE, SAME_GIVEN_NAME = 0.1, 0.0
ACT_SAME, ACT_OTHER = 0.5, 0.25   # act cosine under which the acts differ / clearly differ
ACT_UNKNOWN = 0.5                 # act of a matter listed among others (not scored alone)
ACT_CORROBORATED = 0.8            # act taken as agreeing when two specifics agree
TOPIC_COSINE = 0.3                # term cosine of two reports of the same kind, not case
TOPIC_CONTAINMENT = 0.6           # term containment of the same
LISTED_MATTER = 0.6               # containment from which a listed matter is "about" it
MIN_SEGMENT_TERMS = 10


def act_similarity(a: CaseSignature, b: CaseSignature) -> float:
    """Do the two items describe the same kind of act? Cosine of their best code scores."""
    if not a.codes or not b.codes:
        return 1.0
    da, db = a.code_scores, b.code_scores
    dot = sum(v * db[c] for c, v in da.items() if c in db)
    return dot / (a.code_norm * b.code_norm) if a.code_norm and b.code_norm else 0.0


def _places_meet(a: frozenset[str], b: frozenset[str]) -> bool:
    """Do two sets of place keys share a place? "xa binh son" meets "xa binh son qngai"."""
    for x in a:
        for y in b:
            if x == y or x.startswith(y + " ") or y.startswith(x + " "):
                return True
    return False


def term_cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two L2-normalised term vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b[t] for t, v in a.items() if t in b)


def term_containment(x: dict[str, float], y: dict[str, float]) -> float:
    """Share of ``x``'s term mass that ``y`` also has: a summary or a mention is contained
    in the petition it retells."""
    total = sum(v * v for v in x.values())
    return sum(v * v for t, v in x.items() if t in y) / total if total else 0.0


def _segment_containments(x: CaseSignature, y: CaseSignature) -> Iterator[tuple[int, float]]:
    """(index, containment in ``y``'s content words) of each matter of ``x``'s list that
    has :data:`MIN_SEGMENT_TERMS` content words."""
    for i, seg in enumerate(x.segments):
        syl = {w for g in seg for w in g.split()}
        sub = {t: v for t, v in x.terms.items() if t in syl}
        if len(sub) >= MIN_SEGMENT_TERMS:
            yield i, term_containment(sub, y.terms)


def segment_containment_terms(a: CaseSignature, b: CaseSignature) -> float:
    """The best containment of one matter of a list (voter-meeting notes, a hotline log)
    in the other text: a one-line mention is compared with its own line only."""
    return max((c for x, y in ((a, b), (b, a)) for _, c in _segment_containments(x, y)),
               default=0.0)


def _matter_view(a: CaseSignature, b: CaseSignature) -> tuple[CaseSignature, CaseSignature]:
    """The pair as its specifics are compared: when one of the two lists several matters
    and the other does not, the list stands for its matter closest to the other text, with
    that matter's people, hamlets, amounts and dates (the other callers' and the meeting's
    own are not the case's), and the list's commune where the matter names none."""
    if bool(a.segments) == bool(b.segments):
        return a, b
    x, y = (a, b) if a.segments else (b, a)
    if len(x.segment_specifics) != len(x.segments):
        return a, b  # stored by a version that kept no specifics per matter
    best = max(_segment_containments(x, y), key=lambda ic: ic[1], default=None)
    if best is None:
        return a, b
    spec = dict(x.segment_specifics[best[0]])
    spec = {k: spec.get(k, frozenset()) for k in _SPECIFIC_KEYS}
    if not spec["communes"]:
        spec["communes"] = x.communes
    view = replace(x, **spec)
    return (view, y) if x is a else (y, view)


def _above(x: float, base: float) -> float:
    """``x`` rescaled so that ``base`` (what any two reports of the same kind reach) is 0."""
    return max(0.0, (x - base) / (1.0 - base))


def wording(a: CaseSignature, b: CaseSignature) -> tuple[float, float]:
    """(wording similarity in [0, 1], containment of a listed matter in the other text).

    The largest of: the IDF-weighted bigram overlap (cosine, or containment for a
    summary); the content-word TF-IDF cosine of the two texts; the containment of the
    shorter one's content words in the longer; the containment of one matter of a list in
    the other text. The last three are rescaled so that the overlap two reports of the
    same *kind* have counts as nothing: wording tells the kind, the specifics the case.
    """
    o = _overlaps(a, b)
    return _wording(o, a, b), o.listed


@dataclass(frozen=True)
class _Overlaps:
    """The wording overlaps of a pair, computed once (similarity and the verifier's
    features both read them)."""

    cosine: float        # IDF-weighted bigram cosine
    containment: float   # ... and containment of the smaller bigram set
    terms: float         # content-word TF-IDF cosine
    terms_in: float      # containment of the shorter one's content words in the longer
    listed: float        # containment of one listed matter in the other text


def _overlaps(a: CaseSignature, b: CaseSignature) -> _Overlaps:
    cos, contain = _weighted_overlap(a, b)
    small, big = (a, b) if len(a.terms) <= len(b.terms) else (b, a)
    seg = segment_containment_terms(a, b) if a.segments or b.segments else 0.0
    return _Overlaps(cos, contain, term_cosine(a.terms, b.terms),
                     term_containment(small.terms, big.terms), seg)


def _wording(o: _Overlaps, a: CaseSignature, b: CaseSignature) -> float:
    text = max(o.cosine, 0.8 * o.containment if min(len(a.weights), len(b.weights)) >= 6 else 0.0)
    return max(text, _above(o.terms, TOPIC_COSINE), _above(o.terms_in, TOPIC_CONTAINMENT),
               _above(o.listed, TOPIC_CONTAINMENT))


def _unmarked_meet(x: frozenset[str], y: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Names of two marked texts, where a name written without marks on one side ("bà
    Kieu" in a message that is otherwise accented) is put in the other's spelling when
    their plain forms meet; "hùng" and "hưng" stay different people."""
    bare_x = {n for n in x if strip_diacritics(n) == n}
    bare_y = {n for n in y if strip_diacritics(n) == n}
    if not bare_x and not bare_y:
        return x, y
    plain_y = {strip_diacritics(n): n for n in y}
    plain_x = {strip_diacritics(n): n for n in x}
    x2 = {plain_y.get(n, n) if n in bare_x else n for n in x}
    y2 = {plain_x.get(n, n) if n in bare_y else n for n in y}
    return frozenset(x2), frozenset(y2)


def _people_of(a: CaseSignature, b: CaseSignature) -> tuple[frozenset, frozenset, frozenset, frozenset]:
    """(accused of a, of b, names of a, of b) in the spelling the two can be compared in:
    with marks when both texts have them (a name typed without marks in a marked text
    meets by its plain form), else without."""
    if a.accented and b.accented:
        acc_a, acc_b = _unmarked_meet(a.accused, b.accused)
        na, nb = _unmarked_meet(a.names, b.names)
        return acc_a, acc_b, na, nb
    return a.accused_plain, b.accused_plain, a.names_plain, b.names_plain


def similarity(a: CaseSignature, b: CaseSignature) -> tuple[float, list[str]]:
    """How likely two signatures describe the same concrete case, in [0, 1], with reasons.

    Wording (see :func:`wording`), plus the case specifics, which count as far as the two
    describe the same kind of act (the classifier's scores): the same accused person,
    body, place, amount, date or plate count for; another accused person, commune, village
    or plate counts against — two cases of the same kind in the same commune are
    different cases, and so are two acts of the same person. A matter listed among others
    (voter-meeting notes) has no act score of its own: its list's scores are a mixture, so
    the act then neither helps nor hurts.
    """
    return _similarity(a, b, _overlaps(a, b), act_similarity(a, b), _people_of(a, b))


def _similarity(a: CaseSignature, b: CaseSignature, o: _Overlaps, act: float,
                people: tuple[frozenset, frozenset, frozenset, frozenset]) -> tuple[float, list[str]]:
    text_sim, seg = _wording(o, a, b), o.listed
    listed = bool(a.segments) != bool(b.segments) and seg >= LISTED_MATTER
    if listed:
        act = max(act, ACT_UNKNOWN)
    reasons = [f"từ ngữ trùng {text_sim:.2f}"]
    plus, minus = 0.0, 0.0
    acc_a, acc_b, na, nb = people
    if acc_a & acc_b:
        plus += SAME_ACCUSED
        reasons.append("cùng người bị phản ánh: " + ", ".join(sorted(n.lstrip("~") for n in acc_a & acc_b)))
    elif ({n for n in acc_a if n[0] != "~"} and {n for n in acc_b if n[0] != "~"}
          and not (acc_a & nb) and not (acc_b & na)):
        minus += OTHER_ACCUSED
        reasons.append("khác người bị phản ánh")
    elif na & nb:
        plus += SAME_PERSON if {n for n in na & nb if n[0] != "~"} else SAME_GIVEN_NAME
        reasons.append("cùng tên người")
    if a.orgs & b.orgs:
        plus += SAME_ORG
        reasons.append("cùng đơn vị")
    if a.communes and b.communes:
        if _places_meet(a.communes, b.communes):
            plus += SAME_COMMUNE
            reasons.append("cùng xã/phường")
        else:
            minus += OTHER_COMMUNE
            reasons.append("khác xã/phường")
    if a.villages and b.villages:
        if _places_meet(a.villages, b.villages):
            plus += SAME_VILLAGE
        else:
            minus += OTHER_VILLAGE
            reasons.append("khác thôn/ấp")
    same_amount = amounts_meet(a.amounts, b.amounts)
    if a.amounts and b.amounts:
        if same_amount:
            plus += SAME_AMOUNT
            reasons.append("cùng số tiền")
        else:
            minus += OTHER_AMOUNT
    if a.dates & b.dates:
        plus += SAME_DATE
    if a.plates and b.plates:
        if a.plates & b.plates:
            plus += SAME_PLATE
            reasons.append("cùng biển số")
        else:
            minus += OTHER_PLATE
            reasons.append("khác biển số")
    if a.roles and b.roles:
        if a.roles & b.roles:
            plus += SAME_ROLE
        else:
            minus += OTHER_ROLE
            reasons.append("khác chức vụ")
    # Two independent specifics of the *event* that agree (the accused and the amount, the
    # plate and the date...) identify the case by themselves: the classifier's scores of a
    # retelling in other words (a status question, a formal complaint) do not outweigh
    # them. The accused's own office is not one: it goes with every act of that person.
    corroborated = sum((bool(acc_a & acc_b), same_amount,
                        bool(a.plates & b.plates), bool(a.dates & b.dates))) >= 2
    if corroborated:
        act = max(act, ACT_CORROBORATED)
    if act < ACT_SAME:
        minus += OTHER_ACT if act >= ACT_OTHER else OTHER_ACT + OTHER_ACT_BELOW
        reasons.append("khác hành vi")
    if listed:
        # the other matters of the list bring their own people, hamlets and posts: only
        # what the matched matter could share counts, and another commune still counts against
        minus = OTHER_COMMUNE if "khác xã/phường" in reasons else 0.0
    score = text_sim + plus * act - minus
    return max(0.0, min(1.0, score)), reasons


# A verifier probability from which an earlier item of another case is shown to the
# reviewer as a *possible* match (not linked), and how many are shown.
POSSIBLE = 0.5
MAX_POSSIBLE = 3

# What a signature's content terms are made of: 1, content syllables; 2, content syllables
# and the concept terms of `triage.concepts`; 3, given names after "tên" and days written
# out; 4, the specifics of each matter of a list. A verifier fitted on one reads the other
# wrongly, so it is set aside (the model is served with the hand-weighted similarity).
SIGNATURE_VERSION = 4

# The features a learned verifier reads of one candidate pair (see `pair_features`).
PAIR_FEATURES = (
    "similarity", "bigram_cosine", "bigram_containment", "term_cosine", "term_containment",
    "listed_containment", "act", "listed", "accused_full", "accused_given", "accused_other",
    "name_full", "name_given", "name_other", "org_same", "org_other", "commune_same",
    "commune_other", "village_same", "village_other", "amount_same", "amount_other",
    "date_same", "date_other", "plate_same", "plate_other", "role_same", "role_other",
    "shared_terms", "length_ratio", "accents_differ", "content_terms", "act_term_cosine",
    "act_term_containment", "act_shared_terms")
# ... and of the wording space (`WordingSpace`), when the verifier has one
SPACE_FEATURES = ("space_cosine",)
SPACE_DIMS = 100


def _unit(d: dict[str, float]) -> dict[str, float]:
    z = math.sqrt(sum(v * v for v in d.values()))
    return {t: v / z for t, v in d.items()} if z else {}


def _both(x: frozenset, y: frozenset, meet=None) -> tuple[float, float]:
    """(agree, disagree) of one kind of specific that both texts name; (0, 0) otherwise."""
    if not x or not y:
        return 0.0, 0.0
    m = meet(x, y) if meet else bool(x & y)
    return float(m), float(not m)


def _act_overlap(a: CaseSignature, b: CaseSignature, common: set[str]
                 ) -> tuple[float, float, float]:
    """(cosine, containment of the side with fewer words, sum of the 10 largest shared
    weights) of two unit term vectors once the setting's words are taken out of both and
    each is put back to unit length; read off the shared terms, with no vectors rebuilt."""
    at, bt, setting = a.terms, b.terms, a.setting_words | b.setting_words
    off_a = [at[t] for t in setting if t in at]
    off_b = [bt[t] for t in setting if t in bt]
    za = math.sqrt(max(0.0, a.terms_sq - sum(v * v for v in off_a)))
    zb = math.sqrt(max(0.0, b.terms_sq - sum(v * v for v in off_b)))
    if za < 1e-9 or zb < 1e-9:
        return 0.0, 0.0, 0.0
    act = [t for t in common if t not in setting]
    if not act:
        return 0.0, 0.0, 0.0
    dot = sum(at[t] * bt[t] for t in act)
    # the side with fewer act words is the one whose containment counts
    x, zx = (at, za) if len(at) - len(off_a) <= len(bt) - len(off_b) else (bt, zb)
    contained = sum(x[t] * x[t] for t in act) / (zx * zx)
    top = sorted((min(at[t] / za, bt[t] / zb) for t in act), reverse=True)
    return dot / (za * zb), contained, sum(top[:10])


def _not_reporting(names: frozenset[str], sig: CaseSignature) -> frozenset[str]:
    """``names`` (as `_people_of` spells them) but those of who reports in ``sig``."""
    if not sig.reporters:
        return names
    return frozenset(n for n in names if strip_diacritics(n) not in sig.reporters)


def pair_features(a: CaseSignature, b: CaseSignature) -> list[float]:
    """What a learned verifier reads of a pair (:data:`PAIR_FEATURES`): the wording
    overlaps, the act scores, agreement and disagreement of each kind of specific, the
    hand-weighted :func:`similarity`, and the overlap of the *act words*: the content
    words left when the setting's names (people, communes, hamlets, bodies) are taken out.
    Two cases in one commune share the setting; the same case retold shares the act."""
    o = _overlaps(a, b)
    seg = o.listed
    act = act_similarity(a, b)
    listed = float(bool(a.segments) != bool(b.segments) and seg >= LISTED_MATTER)
    people = _people_of(a, b)
    hand = _similarity(a, b, o, act, people)[0]
    va, vb = _matter_view(a, b)
    if va is not a or vb is not b:
        people = _people_of(va, vb)
    acc_a, acc_b, na, nb = people

    def full(names):
        return {n for n in names if n[0] != "~"}

    acc_full = bool(full(acc_a & acc_b))
    acc_other = bool(full(acc_a) and full(acc_b) and not (acc_a & acc_b)
                     and not (acc_a & nb) and not (acc_b & na))
    name_full = bool(full(na & nb))
    at, bt = a.terms, b.terms
    common = at.keys() & bt.keys()
    shared = sorted((min(at[t], bt[t]) for t in common), reverse=True)
    act_cos, act_in, act_shared = _act_overlap(a, b, common)
    la, lb = max(len(a.weights), 1), max(len(b.weights), 1)
    return [
        hand, o.cosine, o.containment, o.terms, o.terms_in,
        seg, act, listed,
        float(acc_full), float(bool(acc_a & acc_b) and not acc_full), float(acc_other),
        float(name_full), float(bool(na & nb) and not name_full),
        float(bool(full(_not_reporting(na, va)) and full(_not_reporting(nb, vb)) and not (na & nb))),
        *_both(va.orgs, vb.orgs), *_both(va.communes, vb.communes, _places_meet),
        *_both(va.villages, vb.villages, _places_meet),
        *_both(va.amounts, vb.amounts, amounts_meet), *_both(va.dates, vb.dates),
        *_both(va.plates, vb.plates), *_both(va.roles, vb.roles),
        sum(shared[:10]), abs(math.log(la / lb)), float(a.accented != b.accented),
        math.log1p(min(len(a.terms), len(b.terms))),
        act_cos, act_in, act_shared,
    ]


class TreeEnsemble:
    """A fitted binary gradient-boosted tree ensemble (scikit-learn's
    HistGradientBoostingClassifier) as flat numpy arrays, indexed by tree offset + node:
    the same probabilities, without the per-call thread-pool start-up that costs a dozen
    candidate pairs milliseconds. A leaf points to itself both ways, so a walk of
    ``depth`` steps ends on every tree's leaf without testing for leaves."""

    def __init__(self, estimator):
        trees = [t[0].nodes for t in estimator._predictors]
        width = max(len(t) for t in trees)
        self._offset = (np.arange(len(trees)) * width)[:, None]
        size = len(trees) * width
        self._feature = np.zeros(size, dtype=np.int64)
        self._threshold = np.zeros(size)
        self._value = np.zeros(size)
        self._left = np.arange(size)   # padding nodes are leaves pointing to themselves
        self._right = np.arange(size)
        for i, t in enumerate(trees):
            at = slice(i * width, i * width + len(t))
            here = np.arange(at.start, at.stop)
            leaf = t["is_leaf"].astype(bool)
            self._feature[at], self._threshold[at], self._value[at] = (
                t["feature_idx"], t["num_threshold"], t["value"])
            self._left[at] = np.where(leaf, here, at.start + t["left"].astype(np.int64))
            self._right[at] = np.where(leaf, here, at.start + t["right"].astype(np.int64))
        self.depth = int(max(t["depth"].max() for t in trees))
        self.baseline = float(np.ravel(estimator._baseline_prediction)[0])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        flat = X.ravel()
        cols = (np.arange(len(X)) * X.shape[1])[None, :]
        node = np.repeat(self._offset, len(X), axis=1)
        for _ in range(self.depth):
            go_left = flat[cols + self._feature[node]] <= self._threshold[node]
            node = np.where(go_left, self._left[node], self._right[node])
        raw = self.baseline + self._value[node].sum(axis=0)
        p = 1.0 / (1.0 + np.exp(-raw))
        return np.column_stack([1.0 - p, p])


class WordingSpace:
    """A latent semantic space of syllable bigrams: a truncated SVD of the bigram TF-IDF
    matrix of the classifier's training texts (latent semantic analysis). Another citizen
    telling the same act in their own words ("thu tiền làm sổ đỏ", "đòi bồi dưỡng mới
    cấp bìa") uses bigrams the corpus shows together, so the two vectors meet where the
    bigrams themselves do not. Bigrams are read off a signature's ``weights`` (without
    diacritics), so stored signatures need nothing new."""

    def __init__(self, vocab: dict[str, int], vectors: np.ndarray):
        self.vocab = vocab
        # a bigram's row: its direction in the space times its IDF, so that a text's vector
        # is the sum of its bigrams' rows
        self.vectors = np.asarray(vectors, dtype=np.float32)

    @classmethod
    def fit(cls, documents: Iterable[Iterable[str]], *, dims: int = SPACE_DIMS,
            min_df: int = 2, random_state: int = 0) -> WordingSpace:
        """From each document's bigrams; a bigram in fewer than ``min_df`` documents has
        no co-occurrence to learn from and is left out."""
        import scipy.sparse as sp
        from sklearn.decomposition import TruncatedSVD
        from sklearn.preprocessing import normalize

        docs = [set(d) for d in documents]
        df = Counter(g for d in docs for g in d)
        vocab = {g: i for i, g in enumerate(sorted(g for g, n in df.items() if n >= min_df))}
        if len(vocab) < 2 or len(docs) < 2:
            raise ValueError(f"a wording space needs two texts and two shared bigrams: "
                             f"{len(docs)} texts, {len(vocab)} bigrams")
        rows, cols = [], []
        for i, d in enumerate(docs):
            for g in d:
                j = vocab.get(g)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        idf = np.log(len(docs) / np.array([df[g] for g in vocab], dtype=np.float64))
        M = sp.csr_matrix((idf[cols], (rows, cols)), shape=(len(docs), len(vocab)))
        dims = max(1, min(dims, len(vocab) - 1, len(docs) - 1))
        svd = TruncatedSVD(dims, random_state=random_state).fit(normalize(M))
        return cls(vocab, idf[:, None] * svd.components_.T)

    def unit_vectors(self, sigs: Sequence[CaseSignature]) -> np.ndarray:
        """A unit vector per signature (a row of zeros for one with no bigram the space
        knows), all gathered in one pass over the rows."""
        get = self.vocab.get
        rows = [[j for j in map(get, s.weights) if j is not None] for s in sigs]
        lengths = np.array([len(r) for r in rows])
        V = np.zeros((len(sigs), self.vectors.shape[1]), dtype=np.float32)
        filled = np.flatnonzero(lengths)
        if filled.size:
            flat = np.fromiter((j for r in rows for j in r), dtype=np.intp, count=int(lengths.sum()))
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[filled]
            V[filled] = np.add.reduceat(self.vectors[flat], starts, axis=0)
            norms = np.linalg.norm(V[filled], axis=1, keepdims=True)
            V[filled] /= np.where(norms > 0, norms, 1.0)
        return V

    def vector(self, sig: CaseSignature) -> np.ndarray:
        """The unit vector of a signature's bigrams (zero when it has none the space knows)."""
        return self.unit_vectors([sig])[0]

    def cosines(self, sig: CaseSignature, others: Sequence[CaseSignature]) -> np.ndarray:
        V = self.unit_vectors([sig, *others])
        return V[1:] @ V[0]


def verifier_features(space: WordingSpace | None) -> tuple[str, ...]:
    """The features a verifier reads: :data:`PAIR_FEATURES`, and :data:`SPACE_FEATURES`
    when it has a wording space."""
    return PAIR_FEATURES + (SPACE_FEATURES if space is not None else ())


COPY_WORDING = 0.95  # bigram and term cosine from which two texts are one text
_COL = {f: i for i, f in enumerate(PAIR_FEATURES)}
_DISAGREE = [_COL[f] for f in ("accused_other", "name_other", "org_other", "commune_other",
                               "village_other", "amount_other", "plate_other")]


class Verifier:
    """A learned verifier of candidate pairs: the probability that two signatures describe
    the same case, from :func:`pair_features`, by a classifier fitted on labelled pairs
    (`training/dedup_fit.py`, on ``data/dedup_train``, never on the evaluation set). It
    travels inside the model artifact, so its checksum covers it."""

    def __init__(self, estimator, threshold: float, *, features: tuple[str, ...] | None = None,
                 info: dict | None = None, space: WordingSpace | None = None):
        self.estimator = TreeEnsemble(estimator) if hasattr(estimator, "_predictors") else estimator
        self.threshold = float(threshold)
        self.space = space
        self.features = tuple(features) if features is not None else verifier_features(space)
        self.signature_version = SIGNATURE_VERSION
        self.info = dict(info or {})

    @property
    def current(self) -> bool:
        """Fitted on the pair features and signatures this version computes? (One pickled
        by a version before signature versions has none: version 1.)"""
        return (self.features == verifier_features(getattr(self, "space", None))
                and getattr(self, "signature_version", 1) == SIGNATURE_VERSION)

    def pair_matrix(self, sig: CaseSignature, others: Sequence[CaseSignature]) -> np.ndarray:
        """The features (:attr:`features`) of ``sig`` against each of ``others``, a row each."""
        X = np.array([pair_features(sig, o) for o in others], dtype=np.float64)
        if getattr(self, "space", None) is not None:
            X = np.column_stack([X, self.space.cosines(sig, others)])
        return X

    def probabilities(self, sig: CaseSignature, others: Sequence[CaseSignature]) -> np.ndarray:
        if not self.current:
            raise ValueError("verifier was fitted on other pair features; retrain the model")
        if not others:
            return np.zeros(0)
        X = self.pair_matrix(sig, others)
        p = self.estimator.predict_proba(X)[:, 1]
        # A copy of the same text (sent again, reformatted, typed without accents) is the
        # same case whatever the trees make of it: they were fitted on retellings and
        # look-alikes, and a verifier fitted on other writers put a few copies (an
        # all-caps one, one without accents) under its threshold. No labelled pair of two
        # cases comes near this much shared wording with no specific in disagreement.
        copy = ((X[:, _COL["bigram_cosine"]] >= COPY_WORDING) & (X[:, _COL["term_cosine"]] >= COPY_WORDING)
                & (X[:, _DISAGREE].sum(axis=1) == 0))
        if copy.any():
            p = np.where(copy, np.maximum(p, X[:, _COL["bigram_cosine"]]), p)
        return p


class KeyStore(Protocol):
    """Where signatures and keys live: a dict in one process, a SQL table in the service."""

    def candidates(self, keys: list[str], *, limit: int, min_hits: int = 1) -> list[str]: ...
    def add(self, item_id: str, keys: list[str], signature: CaseSignature, cluster: str) -> None: ...
    def signature(self, item_id: str) -> CaseSignature | None: ...
    def cluster_of(self, item_id: str) -> str | None: ...
    def cluster_size(self, cluster: str) -> int: ...
    def __len__(self) -> int: ...


class MemoryKeyStore:
    """An in-memory :class:`KeyStore`, for `triage predict` over one file and for tests."""

    def __init__(self, max_postings: int = 300):
        self.postings: dict[str, list[str]] = {}
        self.signatures: dict[str, CaseSignature] = {}
        self.clusters: dict[str, str] = {}
        self.sizes: Counter[str] = Counter()
        self.max_postings = max_postings

    def candidates(self, keys: list[str], *, limit: int, min_hits: int = 1) -> list[str]:
        hits: Counter[str] = Counter()
        for k in keys:
            posting = self.postings.get(k)
            if posting and len(posting) <= self.max_postings:  # longer: a common key
                hits.update(posting)
        return [i for i, n in hits.most_common(limit) if n >= min_hits]

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
                 threshold: float | None = None, max_candidates: int | None = None,
                 verifier: Verifier | None = None):
        self.store = store if store is not None else MemoryKeyStore()
        self.idf = idf
        self.verifier = verifier
        # the verifier's probability threshold, or the hand-weighted similarity's
        self.threshold = threshold if threshold is not None else (
            verifier.threshold if verifier is not None else DEFAULT_THRESHOLD)
        # the verifier reads 36 features of each pair: 8 candidates (on data/dedup the
        # links are the same with 6, 8 or 12); the hand-weighted similarity checks 12
        self.max_candidates = max_candidates or (8 if verifier is not None else 12)
        # ... and only those sharing two keys or more: a single shared word or commune is
        # what a third of the candidates of any item have (on data/dedup nothing changes)
        self.min_hits = 2 if verifier is not None else 1

    def __len__(self) -> int:
        return len(self.store)

    def find(self, sig: CaseSignature, keys: list[str] | None = None) -> DuplicateMatch | None:
        return self.find_all(sig, keys)[0]

    def find_all(self, sig: CaseSignature, keys: list[str] | None = None
                 ) -> tuple[DuplicateMatch | None, tuple[DuplicateMatch, ...]]:
        """(the link, if any; the *possible* matches): earlier items of other clusters the
        verifier puts between :data:`POSSIBLE` and the link threshold, most likely first, at
        most :data:`MAX_POSSIBLE`. They are not linked; a reviewer sees them and may merge.
        A retelling by another citizen often lands there (probability 0.6-0.9)."""
        keys = keys if keys is not None else sig.keys()
        found = []
        for cand in self.store.candidates(keys, limit=self.max_candidates, min_hits=self.min_hits):
            other = self.store.signature(cand)
            if other is not None:
                found.append((cand, other))
        if not found:
            return None, ()
        if self.verifier is not None:
            probs = self.verifier.probabilities(sig, [o for _, o in found])
            order = np.argsort(-probs, kind="stable")
            best = None
            j = int(order[0])
            if probs[j] >= self.threshold:
                cand, other = found[j]
                _, reasons = similarity(sig, other)
                reasons = [f"khả năng cùng vụ việc {probs[j]:.2f}", *reasons]
                best = DuplicateMatch(cand, round(float(probs[j]), 4),
                                      self.store.cluster_of(cand) or cand, tuple(reasons))
            possible, clusters = [], {best.cluster} if best else set()
            for j in order:
                if probs[j] < POSSIBLE or len(possible) >= MAX_POSSIBLE:
                    break
                cand = found[j][0]
                cluster = self.store.cluster_of(cand) or cand
                if probs[j] < self.threshold and cluster not in clusters:
                    clusters.add(cluster)
                    possible.append(DuplicateMatch(cand, round(float(probs[j]), 4), cluster))
            return best, tuple(possible)
        best: DuplicateMatch | None = None
        for cand, other in found:
            sim, reasons = similarity(sig, other)
            if sim >= self.threshold and (best is None or sim > best.similarity):
                best = DuplicateMatch(cand, sim, self.store.cluster_of(cand) or cand, tuple(reasons))
        return best, ()

    def match_and_add(self, item_id: str, redacted_text: str, **kw
                      ) -> tuple[DuplicateMatch | None, str, int]:
        """Match an item against everything stored, then store it; (match, cluster, size)."""
        link = self.link(item_id, redacted_text, **kw)
        return link.match, link.cluster, link.size

    def link(self, item_id: str, redacted_text: str, *, codes: Iterable = (),
             plain: str | None = None, syllables: Sequence[str] | None = None,
             accented: bool | None = None) -> Link:
        """Match an item against everything stored, then store it."""
        sig = case_signature(redacted_text, codes=codes, idf=self.idf, plain=plain,
                             syllables=syllables, accented=accented)
        keys = sig.keys()
        match, possible = self.find_all(sig, keys)
        cluster = match.cluster if match else f"c-{item_id}"
        self.store.add(item_id, keys, sig, cluster)
        # a new cluster holds this item only: no need to ask the store
        return Link(match, cluster, self.store.cluster_size(cluster) if match else 1, possible)


@dataclass(frozen=True)
class Link:
    """What the index made of one new item."""

    match: DuplicateMatch | None
    cluster: str
    size: int
    possible: tuple[DuplicateMatch, ...] = ()
