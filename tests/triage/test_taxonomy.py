import subprocess
import sys

import pytest
import yaml

from triage.errors import TaxonomyError
from triage.taxonomy import DEFAULT_TAXONOMY_PATH, load_taxonomy, parse_taxonomy


def test_all_74_codes_in_seven_groups(taxonomy):
    assert len(taxonomy.codes) == 74
    sizes = {g.code: len(g.codes) for g in taxonomy.groups}
    assert sizes == {"TT": 9, "DD": 9, "TD": 9, "DV": 19, "TN": 15, "LP": 10, "OUT": 3}
    assert all(1 <= c.severity <= 5 for c in taxonomy.categories.values())
    assert len(taxonomy.deadlines) >= 10


def test_every_dv_code_names_its_2011_counterpart(taxonomy):
    dv = [c for c in taxonomy.categories.values() if c.group == "DV"]
    assert len(dv) == 19 and all("47-QĐ/TW" in c.replaces_2011 for c in dv)


def test_crosswalk_tn_implies_dd07_and_lp_implies_dd06(taxonomy):
    assert taxonomy.apply_crosswalk(["TN02"], party_member=False) == ["TN02", "DD07"]
    assert taxonomy.apply_crosswalk(["LP04"], party_member=False) == ["LP04", "DD06"]
    assert taxonomy.apply_crosswalk(["LP07"], party_member=False) == ["LP07"]


def test_crosswalk_dv_needs_party_membership(taxonomy):
    assert taxonomy.apply_crosswalk(["TN01", "DV14"], party_member=False) == ["TN01", "DD07"]
    assert taxonomy.apply_crosswalk(["TN01"], party_member=True) == ["TN01", "DV14", "DD07"]
    assert taxonomy.apply_crosswalk(["DV04"], party_member=False) == ["DV04"]
    assert taxonomy.apply_crosswalk(["DD09"], party_member=True) == ["DD09", "DV18"]


def test_out_of_scope_is_exclusive(taxonomy):
    assert taxonomy.apply_crosswalk(["TN02", "OUT01"], party_member=False) == ["OUT01"]


@pytest.mark.parametrize("text,expected", [
    ("Ông là đảng viên lâu năm", True), ("gửi Ủy ban Kiểm tra Huyện ủy", True),
    ("bi thu chi bo thon 3", True), ("dang vien ma nhu vay", True),
    ("Bí thư xã nhận quà", True), ("chu tich xa bi thu tien", False),
    ("ông phó chủ tịch xã đòi tiền", False),
])
def test_party_membership_cues(taxonomy, text, expected):
    assert taxonomy.shows_party_membership(text) is expected


def _raw():
    return yaml.safe_load(DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize("mutate,message", [
    (lambda r: r["groups"][0]["categories"].append(dict(r["groups"][0]["categories"][0])),
     "duplicate code"),
    (lambda r: r["crosswalk"]["implies"][0].update(target="XX99"), "unknown code 'XX99'"),
    (lambda r: r["groups"][1]["categories"][0].pop("citation"), "DD01: missing field: citation"),
    (lambda r: r["groups"][2]["categories"][3].update(severity=9), "TD04: bad severity 9"),
    (lambda r: r["groups"].pop(), "missing group OUT"),
])
def test_validation_reports_clear_errors(mutate, message):
    raw = _raw()
    mutate(raw)
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(raw)
    assert any(message in p for p in err.value.problems), err.value.problems


def test_fingerprint_changes_with_codes():
    raw = _raw()
    a = parse_taxonomy(raw).fingerprint
    raw["groups"][0]["categories"][0]["code"] = "TT01"
    raw["version"] = "2027-01"
    assert parse_taxonomy(raw).fingerprint != a


def test_taxonomy_check_command(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "triage.cli", "taxonomy", "check"],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "74 codes" in ok.stdout
    raw = _raw()
    raw["groups"][0]["categories"][1]["code"] = "TT01"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "triage.cli", "taxonomy", "check", str(bad)],
                         capture_output=True, text=True)
    assert res.returncode == 1 and "TT01: duplicate code" in res.stderr


def test_load_missing_file_is_a_taxonomy_error(tmp_path):
    with pytest.raises(TaxonomyError, match="file not found"):
        load_taxonomy(tmp_path / "nope.yaml")
