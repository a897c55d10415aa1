"""Concept terms: two citizens who name one thing in different words meet on it."""

import math

from sklearn.feature_extraction.text import TfidfVectorizer

from triage.concepts import CONCEPT_PREFIX, CONCEPTS, concept_idf, concept_terms
from triage.dedup import case_signature, term_cosine
from triage.features import plain_ngrams
from triage.textutil import diacritic_ratio, strip_diacritics


def _concepts(text: str) -> list[str]:
    accented = diacritic_ratio(text) >= 0.03  # as case_signature decides it
    return concept_terms(text.lower(), strip_diacritics(text.lower()), accented=accented)


def test_different_words_for_one_thing_give_one_concept():
    a = _concepts("Muốn được ký sổ đỏ thì phải có phong bì cho cán bộ địa chính.")
    b = _concepts("Làm giấy chứng nhận quyền sử dụng đất mà phải lót tay 3 triệu mới xong.")
    c = _concepts("lam GCN QSDĐ ma phai boi duong cho ong ay moi duoc")
    assert {"≈land_certificate", "≈bribe"} <= set(a)
    assert {"≈land_certificate", "≈bribe"} <= set(b)
    assert "≈land_certificate" in c


def test_marks_decide_when_the_bare_word_is_ambiguous():
    # "số đó" (that number) and "sơ đồ" (a plan) are "so do" without marks, as "sổ đỏ" is
    assert "≈land_certificate" not in _concepts("Số đó là tiền ông ấy nhận, có sơ đồ thửa đất kèm theo.")
    assert _concepts("Xin cấp sổ đỏ cho nhà tôi.") == ["≈land_certificate"]
    assert _concepts("xin cap so do cho nha toi") == ["≈land_certificate"]
    # "lập khống" is read with its marks only: bare, it is "lap khong", "lập không"
    assert "≈false_report" in _concepts("Kế toán xã lập khống danh sách nhận hỗ trợ.")
    assert "≈false_report" not in _concepts("ke toan xa lap khong danh sach nhan ho tro")


def test_counts_each_mention_and_needs_whole_syllables():
    assert _concepts("Ông ấy nhậu suốt, nhậu cả trong giờ làm.").count("≈drinking") == 2
    # "tát" is a slap, "tất cả" is not; without marks both are "tat", so "tát" needs its marks
    assert "≈assault" not in _concepts("Tất cả hồ sơ đều đủ.")
    assert "≈assault" not in _concepts("tat ca ho so deu du")
    assert "≈assault" in _concepts("Ông ấy tát chị Lan trước cổng ủy ban.")
    # a variant is whole syllables: "nứt" is not in "nứtx", "lót tay" not in "lót tayy"
    assert "≈bribe" not in _concepts("lot tayy")
    # a phrase does not run over a full stop or a comma; it does over a hyphen or quotes
    assert "≈compensation" not in _concepts("cong quy ra tien. den thang 5 van chua tra")
    assert "≈health" in _concepts("Cán bộ thú y thu tiền tiêm vắc-xin cho heo.")
    assert "≈job_buying" in _concepts("Anh ấy lên xã để “chạy” biên chế cho con.")


def test_the_lexicon_is_well_formed():
    for concept, variants in CONCEPTS.items():
        assert variants and concept.isidentifier()
        for v in variants:
            assert v == v.lower().strip() and "  " not in v, v


def test_concept_idf_recovers_document_frequencies_from_a_fitted_vectorizer():
    docs = (["ông chủ tịch nhận phong bì"] * 3 + ["cán bộ đòi lót tay"] * 2
            + ["đường làng xuống cấp", "đường làng bị hư hỏng", "trường học xuống cấp"] * 4
            + ["họp dân bàn việc", "họp dân"])
    vec = TfidfVectorizer(analyzer=plain_ngrams, min_df=2, sublinear_tf=True)
    vec.fit([strip_diacritics(d.lower()) for d in docs])
    idf = concept_idf(vec.vocabulary_, vec.idf_)
    n = len(docs)
    # bribe: "phong bì" in 3 documents, "lót tay" in 2 -> df 5; "nhận phong bì" (also 3)
    # is within "phong bì" and not counted again; variants that never occur add nothing
    assert math.isclose(idf[CONCEPT_PREFIX + "bribe"], math.log((1 + n) / (1 + 5)) + 1, rel_tol=1e-4)
    # a concept none of whose variants occurs is as rare as the rarest term
    assert math.isclose(idf[CONCEPT_PREFIX + "affair"], float(max(vec.idf_)), rel_tol=1e-6)
    # "xuống cấp" (8 documents) makes poor construction commoner than bribes
    assert idf[CONCEPT_PREFIX + "poor_construction"] < idf[CONCEPT_PREFIX + "bribe"]


def test_a_retelling_in_other_words_shares_its_concepts():
    a = case_signature("Ông Phan Văn Tâm ăn chặn tiền cứu trợ bão lũ của bà con thôn 3.")
    b = case_signature("Cán bộ Tâm cắt xén trợ cấp thiên tai, dân thôn 3 bức xúc lắm.")
    shared = {t for t in a.terms.keys() & b.terms.keys() if t.startswith(CONCEPT_PREFIX)}
    assert {"≈skimming", "≈public_funds", "≈flood"} <= shared
    assert term_cosine(a.terms, b.terms) > 0.3
