"""Duplicate detection on real Vietnamese variants: the same case is linked, a different
case of the same kind is not."""

import json

import pytest

from triage.dedup import (
    DEFAULT_THRESHOLD,
    PAIR_FEATURES,
    CaseSignature,
    DuplicateIndex,
    case_signature,
    pair_features,
    similarity,
)
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


# Another citizen retells the case by phone: other words, the official by given name only.
HOTLINE_RETELLING = (
    "Alo, tôi ở ấp Tân Hòa xã Tân Phước muốn báo vụ tiền hỗ trợ lũ lụt. Ông Hùng chủ tịch xã "
    "phát cho mỗi hộ có 1 triệu 2 mà bắt ký nhận 2 triệu, ai không chịu ký thì bị gạch tên "
    "khỏi danh sách hỗ trợ. Cả ấp mấy chục hộ bị vậy, bà con bức xúc lắm.")
# The same kind of act in the same commune, by another official: another case.
OTHER_OFFICIAL = (
    "Kính gửi Ủy ban MTTQ xã Tân Phước. Bà Trần Thị Loan, Phó Chủ tịch UBND xã Tân Phước, khi "
    "chi tiền hỗ trợ hộ nghèo ăn Tết ở ấp Tân Lợi đã giữ lại mỗi hộ 300.000 đồng, nói là "
    "\"tiền làm hồ sơ\". Ai không nộp thì bị đưa ra khỏi danh sách năm sau.")
MEETING_NOTES = (
    "Biên bản tiếp xúc cử tri xã Tân Phước ngày 20/12/2026:\n"
    "1. Cử tri ấp Tân Lợi: đề nghị nạo vét kênh thủy lợi, mùa khô ruộng thiếu nước tưới.\n"
    "2. Cử tri ấp Tân Hòa: tiền hỗ trợ lũ lụt mỗi hộ chỉ nhận 1,2 triệu nhưng phải ký nhận "
    "2 triệu, ai không ký bị ông Hùng chủ tịch xã gạch tên.\n"
    "3. Cử tri ấp Tân Thới: hỏi khi nào làm lại cây cầu khỉ qua rạch Cái Sơn.\n"
    "4. Cử tri ấp Tân Hòa: đề nghị lắp đèn đường đoạn từ chợ về trường tiểu học.")


def test_retelling_by_another_citizen_is_linked():
    """Few shared phrases, but the same official (by given name), place, amount and act."""
    (_, c0, _), (match, c1, _) = _index_with(PETITION, HOTLINE_RETELLING)
    assert match is not None and match.item_id == "i0" and c1 == c0
    assert any(r.startswith("cùng người bị phản ánh") for r in match.reasons)


def test_same_act_by_another_official_in_the_same_commune_is_not_linked():
    (_, c0, _), (match, c1, _) = _index_with(PETITION, OTHER_OFFICIAL)
    assert match is None and c1 != c0


def test_one_line_in_voter_meeting_notes_is_linked_to_the_petition():
    """The notes' other matters do not dilute the one line about the case."""
    (_, c0, _), (match, c1, _) = _index_with(PETITION, MEETING_NOTES)
    assert match is not None and c1 == c0


def test_signature_survives_the_store_round_trip():
    sig = case_signature(normalize_text(PETITION))
    assert sig.terms and abs(sum(v * v for v in sig.terms.values()) - 1.0) < 1e-6
    back = CaseSignature.from_dict(json.loads(json.dumps(sig.to_dict())))
    assert similarity(sig, back)[0] == pytest.approx(1.0)
    assert sorted(back.keys()) == sorted(sig.keys())
    old = sig.to_dict()
    del old["terms"]  # stored before the term vector existed: still readable
    assert CaseSignature.from_dict(old).terms == {}


def test_lowercase_words_that_look_like_a_name_are_not_taken_for_one():
    """'lại thì bị' has the letters of 'Lại Thị Bi' but not its marks."""
    sig = case_signature(normalize_text(
        "chị lớn tuổi hỏi lại thì bị ném tờ khai ra, bảo về học lại đi"))
    assert not sig.names


def test_pipeline_links_the_retelling_and_the_mention_but_not_the_other_official(triager):
    """Through the pipeline, with the model's IDF and code scores as the act."""
    from triage.pipeline import dedup_index_for

    index = dedup_index_for(triager)
    texts = [("p", PETITION), ("other", OTHER_OFFICIAL), ("tel", HOTLINE_RETELLING),
             ("notes", MEETING_NOTES)]
    res = {r.id: r for r in triager.triage_many(texts, dedup=index)}
    assert res["tel"].cluster == res["p"].cluster
    assert res["notes"].cluster == res["p"].cluster
    assert res["other"].cluster != res["p"].cluster and res["other"].duplicate is None


def test_evaluation_halves_keep_each_case_whole():
    """Tuning on the dev half never sees a held-out case, nor a look-alike of one."""
    from training.dedup_eval import read_dedup_set, split_items

    items = read_dedup_set("data/dedup")
    dev, held = split_items(items, "dev"), split_items(items, "held-out")
    assert len(dev) + len(held) == len(items) and dev and held
    half_of_group = {}
    half_of_id = {}
    for name, part in (("dev", dev), ("held", held)):
        for it in part:
            half_of_id[it["id"]] = name
            if it.get("group"):
                assert half_of_group.setdefault(it["group"], name) == name
    for it in items:
        if it.get("kind") == "hard_negative" and it.get("near") in half_of_id:
            assert half_of_id[it["id"]] == half_of_id[it["near"]]


STATUS_QUESTION = (
    "Kính gửi Mặt trận xã Tân Phước, tôi là Lê Thị Hân ở ấp Tân Hòa. Tôi đã gửi đơn phản ánh "
    "ông Nguyễn Văn Hùng, Chủ tịch UBND xã, phát 1.200.000 đồng mà bắt ký nhận 2.000.000 đồng "
    "tiền hỗ trợ lũ lụt. Xin hỏi đơn của tôi đã được chuyển đi đâu, bao giờ có trả lời ạ?")
SAME_OFFICIAL_OTHER_ACT = (
    "Ông Nguyễn Văn Hùng, Chủ tịch UBND xã Tân Phước, tối nào cũng ngồi nhậu ở quán đầu ấp Tân "
    "Hòa tới khuya, say rồi chạy xe về la lối, chửi bới người đi đường. Cán bộ mà vậy thì coi "
    "sao được, đề nghị Mặt trận nhắc nhở.")


def test_two_event_specifics_outweigh_a_different_act_score():
    """A status question about the petition is scored as another kind of act, but the same
    accused and the same amounts say it is the same case."""
    a = case_signature(normalize_text(PETITION), codes=[("TN01", 0.8), ("DD07", 0.6)])
    b = case_signature(normalize_text(STATUS_QUESTION), codes=[("KN02", 0.7), ("OUT01", 0.4)])
    sim, reasons = similarity(a, b)
    assert sim >= DEFAULT_THRESHOLD and "khác hành vi" not in reasons


def test_the_same_official_in_another_act_is_another_case():
    a = case_signature(normalize_text(PETITION), codes=[("TN01", 0.8), ("DD07", 0.6)])
    b = case_signature(normalize_text(SAME_OFFICIAL_OTHER_ACT), codes=[("DD03", 0.8)])
    sim, reasons = similarity(a, b)
    assert sim < DEFAULT_THRESHOLD and "khác hành vi" in reasons
    assert any(r.startswith("cùng người bị phản ánh") for r in reasons)


def test_dashes_and_brackets_inside_a_sentence_do_not_make_a_list():
    text = normalize_text(
        "Kính gửi Ủy ban MTTQ xã Mỹ Hòa. Bà Lâm Thị Kiều, công chức văn hóa - xã hội của xã, "
        "không chi trả trợ cấp tháng 7 và tháng 8) cho 14 cụ ở ấp Mỹ Thuận, nói là chưa có "
        "kinh phí - nhưng ấp bên cạnh vẫn nhận đủ - rồi bắt các cụ ký nhận đủ ba tháng khi "
        "phát tiền tháng 9. Đề nghị Mặt trận làm rõ và trả lại tiền cho các cụ.")
    assert case_signature(text).segments == ()
    assert len(case_signature(MEETING_NOTES).segments) >= 3


def test_a_name_typed_without_marks_meets_the_marked_one():
    """'bà Kieu' in an otherwise accented message is the 'bà Kiều' of the petition."""
    a = case_signature(normalize_text(
        "Bà Kiều, công chức chính sách xã Mỹ Hòa, giữ tiền trợ cấp tuổi già của các cụ."))
    b = case_signature(normalize_text(
        "ba ngoại em ở xã Mỹ Hòa không được nhận tiền trợ cấp, ba Kieu cán bộ xã bảo chưa có "
        "kinh phí"))
    assert a.accented and b.accented
    _, reasons = similarity(a, b)
    assert any(r.startswith("cùng người bị phản ánh") or r == "cùng tên người" for r in reasons)


def test_a_petition_retyped_in_capitals_names_the_same_official():
    caps = case_signature(normalize_text(PETITION.upper()))
    sig = case_signature(normalize_text(PETITION))
    assert "nguyễn văn hùng" in sig.accused
    assert not {n for n in caps.names if n.endswith((" đã", " da"))}  # the run stops at the name
    score, reasons = similarity(sig, caps)
    assert score >= DEFAULT_THRESHOLD and "khác người bị phản ánh" not in reasons


class _Unsure:
    """Trees that make nothing of any pair (a verifier fitted on other writers' retellings)."""

    def predict_proba(self, X):
        import numpy as np

        return np.column_stack([np.full(len(X), 0.6), np.full(len(X), 0.4)])


def test_a_copy_of_the_same_text_is_linked_whatever_the_trees_say():
    from triage.dedup import Verifier

    index = DuplicateIndex(verifier=Verifier(_Unsure(), threshold=0.9))
    first = index.link("a", normalize_text(PETITION))
    again = index.link("b", normalize_text(strip_diacritics(PETITION)))
    other = index.link("c", normalize_text(OTHER_COMMUNE))
    assert again.match is not None and again.match.item_id == "a" and again.cluster == first.cluster
    assert other.match is None  # a template copy about another commune and official is not a copy


@pytest.mark.parametrize("text", [
    "Chủ đầu tư là Công ty CP Đầu tư Hoàng Minh, do con gái ông Phó Giám đốc Sở làm cổ đông.",
    "Chu dau tu la Cong ty CP Dau tu Hoang Minh, do con gai ong Pho Giam doc So lam co dong.",
    "chủ đầu tư là công ty cổ phần đầu tư Hoàng Minh của nhà con gái ông phó giám đốc sở",
])
def test_a_company_is_named_by_its_name_not_its_trade(text):
    # the legal form and trade words ("CP", "Đầu tư", "Xây dựng") come before the name in
    # any case and with or without marks: a copy typed without them names the same company
    assert case_signature(text).orgs == {"hoang minh"}


@pytest.mark.parametrize("text", [
    "Tui bán tạp hóa ở chợ Cái Răng, phường Cái Răng, Cần Thơ.",
    "tui bán tạp hóa chợ Cái Răng CThơ. tháng 1 anh Trí xuống",
    "Tôi bán hàng ở chợ Cái Răng Cần Thơ đã lâu",
])
def test_a_place_after_a_body_is_not_part_of_its_name(text):
    # a province's name or an abbreviation of it ("CThơ") after the market's name
    assert case_signature(text).orgs == {"cai rang"}


def test_a_hamlets_number_tells_two_hamlets_apart():
    two = case_signature("Đường đất từ ấp Trâm Vàng 2 vô tới trường tiểu học, xã Thanh Điền")
    three = case_signature("Đường đất từ ấp Trâm Vàng 3 ra chợ xã Thanh Điền")
    plain = case_signature("duong dat tu ap Tram Vang 2, xa Thanh Dien")
    assert two.villages == plain.villages == {"ap tram vang 2"} and three.villages == {"ap tram vang 3"}
    assert case_signature("ở thôn Yên Bắc 2 hộ bị cắt điện").villages == {"thon yen bac"}
    # a commune, a ward or a province has no number: the figure after it says something else
    assert case_signature("Ở xã Tân Phú 3 năm nay chưa làm đường").communes == {"xa tan phu"}
    assert case_signature("Xã Tân Phú 3 ông cán bộ bị kỷ luật").communes == {"xa tan phu"}


def test_a_given_name_after_ten_is_read_and_the_writers_own_is_not_the_cases():
    caller = case_signature("Em bán quần áo trong chợ Cái Răng. Cán bộ thuế phụ trách chợ tên "
                            "Trí, đầu năm ổng đi từng sạp thu tiền bồi dưỡng.")
    assert "~trí" in caller.names and "~trí" in caller.accused
    writer = case_signature("Tôi tên Dung, bán tạp hóa đầu hẻm. Ông cán bộ xây dựng phường "
                            "tên là Thịnh tới đòi 10 triệu.")
    assert "~thịnh" in writer.names and "~thịnh" in writer.accused
    assert "~dung" in writer.names and "~dung" not in writer.accused
    assert writer.reporters == {"~dung"}  # the writer's own: another citizen has another
    # in a text typed without marks the name after "ten" still reads
    assert "~trí" in case_signature("can bo thue ten Trí thu tien cho Cai Rang").accused


def test_a_day_written_out_meets_the_same_day_in_figures():
    figures = case_signature("Ngày 29/10/2026 anh Tuấn đánh vợ gãy mũi, công an phường tới.")
    words = case_signature("Tối 29 tháng 10 nhà anh Tuấn lại đánh vợ, tôi gọi công an phường.")
    plain = case_signature("hom 29 thang 10 anh Tuan danh vo")
    assert figures.dates == words.dates == plain.dates == {"29/10"}
    # a count of months is not a day
    assert case_signature("Nợ lương 3 tháng 2 năm nay rồi").dates == frozenset()


def test_the_names_of_those_who_report_are_not_the_cases():
    # two citizens report one case, each giving their own name: only the accused is the case's
    first = case_signature("Tôi tên Trần Văn Út, ngụ xã Sông Đốc. Chủ tàu nói tháng nào cũng "
                           "gửi tiền cho ông Quách Minh Đạt, thanh tra Chi cục Thủy sản.")
    assert first.reporters == {"tran van ut", "~ut"}
    assert first.names_plain - first.reporters == {"quach minh dat", "~dat"}
    minutes = case_signature("Cử tri Lý Văn Hên (khóm 11, xã Sông Đốc) phát biểu: tàu cào vào sát "
                             "bờ. Bà Phạm Thị Nguyệt (Ngọc Lặc), điều dưỡng, phản ánh giám đốc "
                             "Hoàng Văn Sỹ mua vật tư giá cao. Ông Trần Văn Tài (thôn Đông Hà): "
                             "kênh bị bồi lắng.")
    assert minutes.reporters == {"ly van hen", "~hen", "pham thi nguyet", "~nguyet", "tran van tai", "~tai"}
    assert minutes.names_plain - minutes.reporters == {"hoang van sy", "~sy"}
    # "chị" and "đảng viên" are not "chi (cục)" and "viện": the name after them is read
    assert {"nguyễn ngọc hân", "trần quốc bảo"} <= case_signature(
        "Hôm qua chị Nguyễn Ngọc Hân gọi lên, nói đảng viên Trần Quốc Bảo dương tính ma túy.").names
    # a name typed on its own, or after the post, is still the case's
    assert "~lâm" in case_signature("Chủ tịch xã Nguyễn Văn Lâm nhận tiền của ông Hùng").accused


def test_a_matter_of_a_list_is_compared_by_its_own_specifics():
    log = case_signature(
        "Sổ trực đường dây nóng ngày 14/11/2026, các cuộc gọi đã nhận:\n"
        "- Ông Đỗ Văn Lợi (phường Hải Châu) phản ánh cống thoát nước đường Hùng Vương bị "
        "nghẹt, mưa là nước tràn vào nhà, đã báo nhiều lần.\n"
        "- Bà Lê Thị Mai (phường Thanh Khê) phản ánh ông Phan Văn Khải, cán bộ địa chính "
        "phường Thanh Khê, đòi 20 triệu mới ký hồ sơ cấp sổ đỏ cho nhà bà.\n"
        "- Ông Võ Minh Tâm (phường Sơn Trà) hỏi thủ tục xin trợ cấp cho người khuyết tật "
        "và thời gian giải quyết hồ sơ.")
    letter = case_signature(
        "Kính gửi Ủy ban MTTQ phường Thanh Khê. Tôi xin phản ánh: từ ngày 3/10 cán bộ địa chính "
        "phường Phan Văn Khải nhiều lần gợi ý gia đình tôi phải chi 20 triệu đồng thì hồ sơ cấp "
        "giấy chứng nhận quyền sử dụng đất mới được ký. Mong Ủy ban làm rõ.")
    assert len(log.segments) == len(log.segment_specifics) == 4  # the heading and three calls
    f = dict(zip(PAIR_FEATURES, pair_features(letter, log)))
    # the other callers, their wards and the log's own date are not this case's
    assert f["name_other"] == f["commune_other"] == f["date_other"] == 0
    assert f["name_full"] == 1 and f["amount_same"] == 1
    # the matter's specifics survive a round trip through the store
    assert CaseSignature.from_dict(log.to_dict()).segment_specifics == log.segment_specifics


def test_the_citys_name_is_not_a_person():
    sig = case_signature("Phản ánh qua ứng dụng Công dân số TP Hồ Chí Minh: Chủ tịch phường "
                         "Trần Văn Nam chưa trả lời đơn.")
    assert sig.names_plain == {"tran van nam", "~nam"}


def test_a_post_after_a_title_is_not_a_given_name():
    sig = case_signature("Chị Nguyễn Thị Hoa nói ông Chủ tịch Lê Văn Tám nhận tiền, bà Bí thư "
                         "cũng biết mà làm ngơ.")
    assert sig.names == {"nguyễn thị hoa", "~hoa", "lê văn tám", "~tám"}


def test_a_name_that_opens_a_sentence_is_read_whole():
    sig = case_signature("Lê Văn Bảy phản ánh. Ông Nguyễn Văn Tư, ấp Bình Thành: thửa đất bị đo "
                         "thiếu. Ông Hùng thì không biết. Chu Văn An là tên trường.")
    assert {"lê văn bảy", "nguyễn văn tư", "chu văn an", "~hùng"} <= sig.names
    assert not {"văn bảy", "văn tư", "ông nguyễn văn tư", "ông hùng", "văn an"} & sig.names
