from triage.textutil import strip_diacritics
from triage.tokenize import plain_tokens, segment


def test_segment_joins_multi_syllable_words():
    words = segment("Chủ tịch xã nhận tiền làm sổ đỏ của dân")
    assert "chủ_tịch" in words and "sổ_đỏ" in words


def test_segment_drops_punctuation_and_handles_empty():
    assert segment("!!! ... ???") == []
    assert segment("   ") == []


def test_plain_view_is_the_same_with_or_without_accents():
    accented = "Chủ tịch xã nhận tiền làm sổ đỏ"
    assert plain_tokens(accented) == plain_tokens(strip_diacritics(accented))
    assert plain_tokens("Đảng viên") == ["dang", "vien"]


def test_emoji_and_all_caps():
    assert segment("CÁN BỘ ĐỊA CHÍNH 😡 ĐÒI TIỀN")[:2] != []
    assert "dia" in plain_tokens("CÁN BỘ ĐỊA CHÍNH 😡")
