"""Duplicate detection on real Vietnamese variants: the same case is linked, a different
case of the same kind is not."""

import pytest

from triage.dedup import DuplicateIndex, case_signature, similarity
from triage.normalize import normalize_text
from triage.textutil import strip_diacritics

PETITION = (
    "Kính gửi Ủy ban MTTQ xã Tân Phước. Tôi là Lê Thị Hân, trú tại ấp Tân Hòa. Ông Nguyễn Văn "
    "Hùng, Chủ tịch UBND xã Tân Phước, đã cắt tiền hỗ trợ lũ lụt của 37 hộ trong ấp, mỗi hộ "
    "chỉ nhận 1.200.000 đồng nhưng phải ký nhận 2.000.000 đồng. Ai không ký thì bị gạch tên. "
    "Việc này xảy ra ngày 15/10/2026 tại hội trường ấp, nhiều người chứng kiến.")
OTHER_COMMUNE = PETITION.replace("Tân Phước", "Phú Thành").replace("Tân Hòa", "Phú Hòa").replace(
    "Nguyễn Văn Hùng", "Trần Văn Sơn").replace("Lê Thị Hân", "Võ Thị Mai").replace(
    "15/10/2026", "3/11/2026")


def _index_with(*texts):
    index = DuplicateIndex()
    out = []
    for i, t in enumerate(texts):
        out.append(index.match_and_add(f"i{i}", normalize_text(t)))
    return out


@pytest.mark.parametrize("variant", [
    PETITION,                                         # exact re-submission
    PETITION.replace(". ", ".\n\n").replace(",", " ,"),  # formatting
    strip_diacritics(PETITION),                       # typed without accents
])
def test_resubmissions_are_linked(variant):
    (_, c0, _), (match, c1, size) = _index_with(PETITION, variant)
    assert match is not None and match.item_id == "i0"
    assert c1 == c0 and size == 2


def test_same_template_in_another_commune_is_not_a_duplicate():
    (_, c0, _), (match, c1, _) = _index_with(PETITION, OTHER_COMMUNE)
    assert match is None and c1 != c0


def test_different_accused_person_counts_against():
    a = case_signature(normalize_text(PETITION))
    b = case_signature(normalize_text(PETITION.replace("Nguyễn Văn Hùng", "Phạm Quốc Bảo")))
    same, _ = similarity(a, case_signature(normalize_text(PETITION)))
    other, reasons = similarity(a, b)
    assert same == 1.0 and other < same and "khác người bị phản ánh" in reasons


def test_signature_reads_case_specifics():
    sig = case_signature(normalize_text(PETITION + " Xe biển số 67A-123.45 chở hàng."))
    assert "nguyễn văn hùng" in sig.accused
    assert "xa tan phuoc" in sig.communes and "ap tan hoa" in sig.villages
    assert 2_000_000 in sig.amounts and "15/10" in sig.dates and "67a12345" in sig.plates


def test_links_are_stable_across_processes():
    """Band keys must not depend on the process (no salted hash()): two signatures of the
    same text built independently give the same keys."""
    import subprocess
    import sys
    code = ("from triage.dedup import case_signature;"
            f"print(sorted(case_signature({PETITION!r}).keys()))")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)}
    assert len(runs) == 1
