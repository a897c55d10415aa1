"""Load and validate the taxonomy; codes, groups, severities, crosswalk, fingerprint.

The taxonomy is data (`data/taxonomy.yaml`): 74 stable codes in groups TT, DD, TD (the 27
signs of Nghị quyết 04-NQ/TW), DV (the 19 prohibitions of Quy định 37-QĐ/TW), TN
(corruption acts, Luật PCTN 2018 Điều 2), LP (waste) and OUT (out of scope), plus the
crosswalk that encodes the mechanical parts of the labelling guide.

>>> tax = load_taxonomy()
>>> tax.category_or_raise("TN02").title
'Nhận hối lộ'
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from triage.errors import TaxonomyError
from triage.textutil import strip_diacritics

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parent.parent / "data" / "taxonomy.yaml"

REQUIRED_CATEGORY_FIELDS = ("code", "title", "description", "citation", "severity", "keywords")
EXPECTED_GROUPS = ("TT", "DD", "TD", "DV", "TN", "LP", "OUT")
_CODE_RE = re.compile(r"^[A-Z]{2,3}\d{2}$")


@dataclass(frozen=True)
class Category:
    code: str
    group: str
    title: str
    description: str
    citation: str
    severity: int
    keywords: tuple[str, ...]
    confidence: str = ""
    replaces_2011: str | None = None


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    source: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Deadline:
    name: str
    kind: str
    days: int | None
    working_days: bool | None
    citation: str
    note: str = ""


@dataclass(frozen=True)
class Implication:
    target: str
    sources: frozenset[str]
    note: str = ""


@dataclass(frozen=True)
class Crosswalk:
    implies: tuple[Implication, ...]
    party_only: frozenset[str]
    party_cues: tuple[str, ...]
    party_cues_ascii: tuple[str, ...]
    party_counterparts: dict[str, str]
    exclusive: frozenset[str]


@dataclass(frozen=True)
class Taxonomy:
    version: str
    groups: tuple[Group, ...]
    categories: dict[str, Category]
    deadlines: tuple[Deadline, ...]
    crosswalk: Crosswalk
    fingerprint: str
    # Older editions: version -> {old code: new codes}; codes not listed keep their code.
    mappings: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    _party_re: re.Pattern | None = field(default=None, repr=False, compare=False)
    _party_ascii_re: re.Pattern | None = field(default=None, repr=False, compare=False)

    @property
    def codes(self) -> list[str]:
        return list(self.categories)

    def category_or_raise(self, code: str) -> Category:
        try:
            return self.categories[code]
        except KeyError:
            raise KeyError(f"unknown category code: {code!r}") from None

    def migrate_codes(self, codes: list[str] | tuple[str, ...],
                      from_version: str | None) -> list[str]:
        """Codes given under edition ``from_version``, in this edition (order kept,
        duplicates dropped; a code the new edition retired without a successor lapses).
        ``None`` means this edition. An edition with no mapping is an error, never a guess."""
        if from_version is None or from_version == self.version:
            mapped = [c for c in codes if c in self.categories]
        elif from_version in self.mappings:
            table = self.mappings[from_version]
            mapped = [n for c in codes for n in table.get(c, (c,)) if n in self.categories]
        else:
            raise TaxonomyError([f"no mapping from taxonomy edition {from_version!r} to "
                                 f"{self.version!r}: add it under previous_editions"])
        return list(dict.fromkeys(mapped))

    def group_of(self, code: str) -> str:
        return self.category_or_raise(code).group

    def is_out_of_scope(self, code: str) -> bool:
        return code in self.crosswalk.exclusive

    @property
    def out_codes(self) -> list[str]:
        return [c for c in self.categories if c in self.crosswalk.exclusive]

    @property
    def implied_codes(self) -> frozenset[str]:
        return frozenset(i.target for i in self.crosswalk.implies)

    def shows_party_membership(self, text: str, *, plain: str | None = None) -> bool:
        """True when the text names party membership or a party body.

        >>> load_taxonomy().shows_party_membership("ông là đảng viên, bí thư chi bộ")
        True
        >>> load_taxonomy().shows_party_membership("chu tich xa bi thu tien")
        False
        """
        low = text.lower()
        if self._party_re is not None and self._party_re.search(low):
            return True
        plain = plain if plain is not None else strip_diacritics(low)
        if self._party_ascii_re is not None and self._party_ascii_re.search(plain):
            return True
        return False

    def apply_crosswalk(self, codes: list[str], *, party_member: bool) -> list[str]:
        """Apply the labelling guide's mechanical rules to a list of codes (order kept).

        OUT codes are exclusive; DV codes need party membership (except those exempted);
        TN implies DD07, LP (but LP07) implies DD06; with membership shown, an act adds its
        DV counterpart.
        """
        out = [c for c in codes if c in self.crosswalk.exclusive]
        if out:
            return out[:1]
        result = [c for c in codes if party_member or c not in self.crosswalk.party_only]
        if party_member:
            for code in list(result):
                extra = self.crosswalk.party_counterparts.get(code)
                if extra and extra not in result:
                    result.append(extra)
        for imp in self.crosswalk.implies:
            if imp.target not in result and any(c in imp.sources for c in result):
                result.append(imp.target)
        return result

    def to_public_dict(self) -> dict:
        return {
            "version": self.version,
            "fingerprint": self.fingerprint,
            "groups": [
                {"code": g.code, "name": g.name, "source": g.source, "codes": list(g.codes)}
                for g in self.groups
            ],
            "categories": [
                {
                    "code": c.code,
                    "group": c.group,
                    "title": c.title,
                    "description": c.description,
                    "citation": c.citation,
                    "severity": c.severity,
                    "confidence": c.confidence,
                    "replaces_2011": c.replaces_2011,
                }
                for c in self.categories.values()
            ],
        }


def validate_taxonomy(raw: object) -> list[str]:
    """Return every problem found in a parsed taxonomy document (empty when valid)."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        return ["the file is not a mapping"]
    if not raw.get("version"):
        problems.append("missing field: version")
    groups = raw.get("groups")
    if not isinstance(groups, list) or not groups:
        return problems + ["missing field: groups"]
    seen: dict[str, str] = {}
    group_codes: list[str] = []
    for gi, group in enumerate(groups):
        gcode = group.get("code") if isinstance(group, dict) else None
        if not gcode:
            problems.append(f"group #{gi + 1}: missing field: code")
            continue
        group_codes.append(gcode)
        if not group.get("name"):
            problems.append(f"group {gcode}: missing field: name")
        cats = group.get("categories")
        if not isinstance(cats, list) or not cats:
            problems.append(f"group {gcode}: no categories")
            continue
        for ci, cat in enumerate(cats):
            if not isinstance(cat, dict):
                problems.append(f"group {gcode} category #{ci + 1}: not a mapping")
                continue
            code = cat.get("code") or f"{gcode}#{ci + 1}"
            for f in REQUIRED_CATEGORY_FIELDS:
                if cat.get(f) in (None, "", []):
                    problems.append(f"{code}: missing field: {f}")
            if "code" in cat and not _CODE_RE.match(str(cat["code"])):
                problems.append(f"{code}: malformed code (expected letters and two digits)")
            if "code" in cat and not str(cat["code"]).startswith(gcode):
                problems.append(f"{code}: code does not start with its group {gcode}")
            if code in seen:
                problems.append(f"{code}: duplicate code (also in group {seen[code]})")
            seen[code] = gcode
            sev = cat.get("severity")
            if sev is not None and (not isinstance(sev, int) or isinstance(sev, bool)
                                    or not 1 <= sev <= 5):
                problems.append(f"{code}: bad severity {sev!r} (an integer 1-5)")
            if gcode == "DV" and not cat.get("replaces_2011"):
                problems.append(f"{code}: missing field: replaces_2011 (QĐ 47-QĐ/TW counterpart)")
    for g in EXPECTED_GROUPS:
        if g not in group_codes:
            problems.append(f"missing group {g}")
    if len(set(group_codes)) != len(group_codes):
        problems.append("duplicate group code")
    problems.extend(_validate_crosswalk(raw.get("crosswalk"), seen, set(group_codes)))
    for ei, ed in enumerate(raw.get("previous_editions") or []):
        if not isinstance(ed, dict) or not ed.get("version"):
            problems.append(f"previous edition #{ei + 1}: missing version")
            continue
        if str(ed["version"]) == str(raw.get("version")):
            problems.append(f"previous edition {ed['version']!r} is this edition")
        for old, new in (ed.get("mapping") or {}).items():
            targets = new if isinstance(new, list) else [new]
            for t in targets:
                if t not in seen:
                    problems.append(f"previous edition {ed['version']!r}: {old} maps to "
                                    f"unknown code {t!r}")
    for di, d in enumerate(raw.get("deadlines") or []):
        if not isinstance(d, dict) or not d.get("name") or not d.get("citation"):
            problems.append(f"deadline #{di + 1}: missing name or citation")
        elif d.get("days") is not None and (not isinstance(d["days"], int) or d["days"] <= 0):
            problems.append(f"deadline {d['name']!r}: bad days {d['days']!r}")
    return problems


def _validate_crosswalk(cw: object, codes: dict[str, str], groups: set[str]) -> list[str]:
    if not isinstance(cw, dict):
        return ["missing field: crosswalk"]
    problems: list[str] = []

    def check_code(code: object, where: str) -> None:
        if code not in codes:
            problems.append(f"crosswalk {where}: unknown code {code!r}")

    def check_group(group: object, where: str) -> None:
        if group not in groups:
            problems.append(f"crosswalk {where}: unknown group {group!r}")

    for i, imp in enumerate(cw.get("implies") or []):
        check_code(imp.get("target"), f"implies #{i + 1} target")
        for c in imp.get("from_codes") or []:
            check_code(c, f"implies #{i + 1} from_codes")
        for g in imp.get("from_groups") or []:
            check_group(g, f"implies #{i + 1} from_groups")
    party = cw.get("party_only") or {}
    for g in party.get("groups") or []:
        check_group(g, "party_only groups")
    for c in party.get("except") or []:
        check_code(c, "party_only except")
    if not party.get("cues"):
        problems.append("crosswalk party_only: missing field: cues")
    for src, dst in (party.get("counterparts") or {}).items():
        check_code(src, "party_only counterparts")
        check_code(dst, "party_only counterparts")
    for g in cw.get("exclusive_groups") or []:
        check_group(g, "exclusive_groups")
    return problems


def _fingerprint(raw: dict) -> str:
    """Hash of what a model depends on: codes in order, their groups, and the crosswalk."""
    basis = {
        "version": raw.get("version"),
        "codes": [
            (g["code"], c["code"]) for g in raw["groups"] for c in g["categories"]
        ],
        "crosswalk": raw.get("crosswalk"),
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _word_regex(phrases: list[str]) -> re.Pattern | None:
    if not phrases:
        return None
    alts = sorted({re.escape(p) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)")


def parse_taxonomy(raw: dict) -> Taxonomy:
    problems = validate_taxonomy(raw)
    if problems:
        raise TaxonomyError(problems)
    categories: dict[str, Category] = {}
    groups: list[Group] = []
    for g in raw["groups"]:
        codes = []
        for c in g["categories"]:
            categories[c["code"]] = Category(
                code=c["code"],
                group=g["code"],
                title=c["title"],
                description=c["description"],
                citation=c["citation"],
                severity=int(c["severity"]),
                keywords=tuple(c.get("keywords") or ()),
                confidence=c.get("confidence", ""),
                replaces_2011=c.get("replaces_2011"),
            )
            codes.append(c["code"])
        groups.append(Group(g["code"], g["name"], g.get("source", ""), tuple(codes)))
    by_group = {g.code: set(g.codes) for g in groups}
    cw = raw["crosswalk"]
    implies = []
    for imp in cw.get("implies") or []:
        sources = set(imp.get("from_codes") or [])
        for gname in imp.get("from_groups") or []:
            sources |= by_group[gname]
        implies.append(Implication(imp["target"], frozenset(sources), imp.get("note", "")))
    party = cw.get("party_only") or {}
    party_codes: set[str] = set()
    for gname in party.get("groups") or []:
        party_codes |= by_group[gname]
    party_codes -= set(party.get("except") or [])
    cues = [c.lower() for c in party.get("cues") or []]
    ambiguous = {c.lower() for c in party.get("ambiguous_without_diacritics") or []}
    cues_ascii = [strip_diacritics(c) for c in cues if c not in ambiguous]
    exclusive: set[str] = set()
    for gname in cw.get("exclusive_groups") or []:
        exclusive |= by_group[gname]
    crosswalk = Crosswalk(
        implies=tuple(implies),
        party_only=frozenset(party_codes),
        party_cues=tuple(cues),
        party_cues_ascii=tuple(cues_ascii),
        party_counterparts=dict(party.get("counterparts") or {}),
        exclusive=frozenset(exclusive),
    )
    deadlines = tuple(
        Deadline(
            name=d["name"],
            kind=d.get("kind", ""),
            days=d.get("days"),
            working_days=d.get("working_days"),
            citation=d["citation"],
            note=d.get("note", ""),
        )
        for d in raw.get("deadlines") or []
    )
    return Taxonomy(
        version=str(raw["version"]),
        groups=tuple(groups),
        categories=categories,
        deadlines=deadlines,
        crosswalk=crosswalk,
        fingerprint=_fingerprint(raw),
        mappings={str(ed["version"]): {old: tuple(new if isinstance(new, list) else [new])
                                       for old, new in (ed.get("mapping") or {}).items()}
                  for ed in raw.get("previous_editions") or []},
        _party_re=_word_regex(cues),
        _party_ascii_re=_word_regex(cues_ascii),
    )


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load and validate a taxonomy file; raise TaxonomyError listing every problem."""
    path = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - safe loader
    except FileNotFoundError:
        raise TaxonomyError([f"file not found: {path}"]) from None
    except yaml.YAMLError as exc:
        raise TaxonomyError([f"not valid YAML: {exc}"]) from None
    return parse_taxonomy(raw)
