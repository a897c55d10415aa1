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


def test_the_fast_segmenter_gives_underthesea_s_own_words():
    """`_word_tokenize` skips underthesea's per-token overhead; on real feedback (seed and
    evaluation texts, raw and normalized, with and without accents) it must give exactly
    what `underthesea.word_tokenize` gives."""
    import json
    from pathlib import Path

    from underthesea import word_tokenize

    from triage.normalize import normalize_text
    from triage.tokenize import _word_tokenize

    fast = _word_tokenize()
    assert fast is not word_tokenize  # the fast path is in use with this underthesea
    data = Path(__file__).resolve().parents[2] / "data"
    texts = []
    for path in sorted((data / "eval").glob("*.jsonl"))[:2] + sorted((data / "dedup").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.open(encoding="utf-8")][:300]
    texts += [normalize_text(t) for t in texts[:200]] + [strip_diacritics(t) for t in texts[:50]]
    texts += ["", "  ", "!!!", "Hoà bình, thuỷ lợi, quí", "ð Ð 0912 345 678 a@b.vn 12/3/2026 :)"]
    assert len(texts) > 500
    assert [fast(t) for t in texts] == [word_tokenize(t) for t in texts]
