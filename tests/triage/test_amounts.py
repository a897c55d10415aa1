"""Sums of money written in figures, in words and in slang come to the same number."""

import pytest

from triage.amounts import amounts, amounts_meet
from triage.dedup import case_signature
from triage.textutil import strip_diacritics


def _plain(text: str) -> set[int]:
    return amounts(strip_diacritics(text.lower()))


@pytest.mark.parametrize("text, expected", [
    # a petition and the hotline call about the same payment
    ("mỗi hộ được hỗ trợ 3.000.000 đồng nhưng chỉ nhận 1.500.000 đồng", {3_000_000, 1_500_000}),
    ("trên nói hỗ trợ ba triệu mà xuống tới dân còn có một triệu rưỡi", {3_000_000, 1_500_000}),
    ("ong pho chu tich xuong tung nha bat nop nam tram nghin", {500_000}),
    ("có người tới mỗi xe bánh mì lấy hai trăm nghìn", {200_000}),
    ("thuế khoán tăng lên 2 triệu 4 một tháng, trước chỉ 900 ngàn", {2_400_000, 900_000}),
    ("nghe nói xã mua cái xe bán tải hơn một tỷ", {1_000_000_000}),
    ("dự toán 1,05 tỷ đồng, quyết toán 1 tỷ 200 triệu", {1_050_000_000, 1_200_000_000}),
    ("đưa 5 củ mới cho qua, có đứa phải chung 500k", {5_000_000, 500_000}),
    ("phí bồi dưỡng 2tr4, tiền ăn 35.000 đồng/ngày", {2_400_000, 35_000}),
    ("hai mươi lăm triệu, một trăm linh năm triệu, ba trăm năm mươi nghìn",
     {25_000_000, 105_000_000, 350_000}),
    ("nửa tỷ", {500_000_000}),
])
def test_sums_in_figures_words_and_slang(text, expected):
    assert _plain(text) == expected


@pytest.mark.parametrize("text", [
    "thiệt hại mấy chục triệu", "hàng trăm triệu đồng không rõ đi đâu", "toàn dự án tiền tỷ",
    "năm 2026 có 126 hộ được hỗ trợ", "nhà tôi có ba người, ở thôn 5",
    # "tỏi" and "củ" (slang for a billion, a million) are "tôi", "tới" and "cũ" unaccented
    "Tháng 6/2026 tôi có đơn tố cáo", "xe đời 2015 cũ rồi", "thang 6/2026 toi co don",
])
def test_vague_sums_and_plain_counts_give_nothing(text):
    assert _plain(text) == set()


def test_slang_units_that_are_also_words_need_a_sum_of_their_own():
    assert _plain("nghe đồn dự án đội vốn 3 tỏi") == {3_000_000_000}
    assert _plain("dua 5 cu moi cho qua") == {5_000_000}
    assert _plain("may ong tai xe khac dua 2 toi 5 trieu") == {5_000_000}
    # after a label's colon the figure is a sum; after a date's slash or a time's colon not
    assert _plain("So tien: 5 cu, dua tai nha") == {5_000_000}
    assert _plain("ngay 5/6 toi len xa hoi") == set()
    assert _plain("hop luc 8:30 toi 10 gio") == set()


def test_a_count_after_the_unit_is_not_a_fraction():
    assert _plain("nộp 5 triệu 2 lần") == {5_000_000}
    assert _plain("mỗi hộ 2 triệu năm 2025") == {2_000_000}


def test_rounded_retelling_meets_the_exact_sum_but_not_another_sum():
    assert amounts_meet({1_050_000_000}, {1_000_000_000})
    assert amounts_meet({900_000_000, 5_000_000}, {880_000_000})
    assert not amounts_meet({500_000}, {200_000})
    assert not amounts_meet({118_000_000}, {100_000_000})


def test_the_signature_reads_spelled_sums():
    formal = case_signature("Ông Đặng Văn Quyết thu của mỗi hộ 500.000 đồng gọi là đóng góp làm cầu.")
    spoken = case_signature("ong pho chu tich xa, ong Quyet do, xuong tung nha bat nop nam tram nghin")
    assert formal.amounts == spoken.amounts == {500_000}
