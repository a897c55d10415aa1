"""Concepts: the words citizens use for one thing in a complaint about a cadre.

One citizen writes "sổ đỏ", another "giấy chứng nhận quyền sử dụng đất", a hotline operator
"GCN QSDĐ"; one says "lót tay", another "phong bì", a third "tiền bồi dưỡng". A retelling
of a case by another person shares the case, not the words. The duplicate search adds one
*concept term* for every concept a text names (`concept_terms`) to its content words, so
that two retellings meet on it where their syllables differ.

The lexicon is written from the language of administrative Vietnamese and of everyday
speech, group by group (land, money, conduct, services, the environment), not from the
labelled duplicates. Each variant is matched as whole syllables: in the text with its marks
when it was typed with them ("sổ đỏ" but not "số đó" or "sơ đồ"), without them otherwise,
where some variants are left out because they are ordinary words without their marks
("phong bì" stays, "khống" would be "không").
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from triage.textutil import strip_diacritics

# concept -> variants, lower-case, with their marks. A variant ending in "*" is matched in
# text typed with marks only: without them it is an ordinary word or another phrase.
CONCEPTS: dict[str, tuple[str, ...]] = {
    # land and housing
    "land_certificate": (
        "sổ đỏ", "sổ hồng", "bìa đỏ", "bìa hồng", "giấy đỏ", "giấy chứng nhận quyền sử dụng đất",
        "giấy chứng nhận qsdđ", "gcn qsdđ", "gcnqsdđ", "gcn qsd đất", "giấy chủ quyền",
        "giấy tờ đất", "cấp giấy đất", "sổ đất"),
    "land_recovery": (
        "thu hồi đất", "giải tỏa", "giải toả", "giải phóng mặt bằng", "gpmb", "cưỡng chế thu hồi",
        "kiểm đếm", "bị thu hồi"),
    "compensation": (
        "bồi thường", "đền bù", "đền bồi", "tiền đền", "phương án bồi thường", "giá bồi thường",
        "đơn giá đền bù"),
    "resettlement": ("tái định cư", "tđc", "khu tái định cư", "lô tái định cư", "đất tái định cư"),
    "encroachment": (
        "lấn chiếm", "lấn đất", "chiếm đất", "lấn ranh", "lấn sang", "chiếm dụng", "lấn lòng đường",
        "lấn vỉa hè", "chiếm vỉa hè", "rào chiếm", "lấn kênh", "lấn sông"),
    "illegal_building": (
        "xây dựng trái phép", "xây trái phép", "xây không phép", "xây dựng không phép",
        "xây sai phép", "xây dựng sai phép", "xây dựng trái phép trên đất", "cơi nới",
        "không có giấy phép xây dựng", "xây lấn", "xây dựng trên đất nông nghiệp"),
    "public_land": (
        "đất công", "đất công ích", "quỹ đất công ích", "đất 5%", "đất năm phần trăm",
        "đất nông nghiệp công ích", "đất do xã quản lý", "đất hành lang", "đất bãi bồi"),
    "land_allocation": (
        "giao đất", "cấp đất", "chia đất", "giao đất trái thẩm quyền", "bán đất công",
        "cho thuê đất công", "phân lô", "phân lô bán nền", "chia lô"),
    # money that changes hands
    "bribe": (
        "hối lộ", "lót tay", "phong bì", "phong bao", "tiền bồi dưỡng", "bồi dưỡng*", "tiền cà phê",
        "tiền cafe", "tiền cafê", "tiền trà nước", "tiền uống nước", "chung chi", "chi tiền ngoài",
        "tiền ngoài", "đưa tiền", "nhận tiền", "đòi tiền", "vòi tiền", "vòi vĩnh", "xin tiền",
        "ăn tiền", "làm luật", "tiền luật", "tiền lót", "tiền bôi trơn", "bôi trơn",
        "tiền chạy", "đưa phong bì", "nhận phong bì", "tiền lo", "lo lót", "đút lót", "đút tiền",
        "nhận hối lộ", "đưa hối lộ"),
    "skimming": (
        "ăn chặn", "cắt xén", "bớt xén", "ăn bớt", "xén bớt", "trừ bớt", "cắt bớt", "giữ lại tiền",
        "ăn chênh lệch", "ăn chênh", "ăn hoa hồng", "hoa hồng", "trích lại", "lại quả",
        "kickback", "chia chác", "chia phần trăm", "phần trăm"),
    "embezzlement": (
        "tham ô", "biển thủ", "chiếm đoạt", "rút ruột", "tham nhũng", "chiếm dụng tiền",
        "sử dụng sai mục đích", "chi sai", "chi khống", "rút tiền quỹ", "lấy tiền quỹ",
        "thụt két", "ôm tiền", "bỏ túi", "đút túi", "xà xẻo"),
    "levy": (
        "thu tiền", "bắt đóng", "đóng góp", "thu phí", "lạm thu", "thu sai", "thu thêm",
        "quyên góp", "vận động đóng góp", "bắt nộp", "nộp tiền", "thu quỹ", "quỹ phụ huynh",
        "tiền xây dựng trường", "thu ngoài quy định", "khoản thu"),
    "public_funds": (
        "tiền hỗ trợ", "trợ cấp", "cứu trợ", "tiền trợ cấp", "gói hỗ trợ", "tiền chính sách",
        "hỗ trợ thiên tai", "tiền cứu trợ", "hàng cứu trợ", "quà cứu trợ", "kinh phí hỗ trợ",
        "tiền hỗ trợ lũ", "trợ cấp xã hội", "bảo trợ xã hội", "chế độ chính sách"),
    "poor_household": (
        "hộ nghèo", "cận nghèo", "hộ cận nghèo", "sổ nghèo", "danh sách hộ nghèo",
        "bình xét hộ nghèo", "diện nghèo", "thoát nghèo"),
    "gifts": (
        "quà biếu", "quà tết", "biếu xén", "quà cáp", "biếu quà", "nhận quà", "tặng quà",
        "phong bì tết", "lễ tết", "đi tết"),
    # conduct
    "harassment": (
        "hạch sách", "gây khó khăn", "gây khó dễ", "làm khó", "nhũng nhiễu", "làm lơ",
        "om hồ sơ", "ngâm hồ sơ", "giữ hồ sơ", "đè hồ sơ", "không chịu ký", "không ký",
        "không giải quyết", "hẹn lên hẹn xuống", "hẹn tới hẹn lui", "đi lại nhiều lần",
        "bắt đi lại", "bắt bổ sung", "trả hồ sơ", "làm khó dễ", "cố tình kéo dài"),
    "rudeness": (
        "quát tháo", "to tiếng", "chửi bới", "chửi mắng", "lăng mạ", "xúc phạm", "hách dịch",
        "cửa quyền", "hống hách", "coi thường", "thái độ", "quát nạt", "nạt nộ", "chửi",
        "mắng chửi", "văng tục", "nói tục", "hỗn láo"),
    "assault": (
        "đánh người", "hành hung", "đánh đập", "đấm*", "tát*", "xô đẩy", "đánh dân", "gây thương tích",
        "đánh bị thương"),
    "threat": (
        "đe dọa", "đe doạ", "dọa nạt", "doạ nạt", "hăm dọa", "hăm doạ", "uy hiếp", "khủng bố",
        "trả thù", "trù dập", "trả đũa", "trù úm", "dằn mặt", "gây áp lực", "ép rút đơn",
        "bắt rút đơn", "rút đơn"),
    "cover_up": (
        "bao che", "bảo kê", "dung túng", "làm ngơ", "nhắm mắt làm ngơ", "tiếp tay", "chống lưng",
        "ô dù", "bỏ qua", "không xử lý", "xử lý qua loa", "ém nhẹm", "ỉm đi", "lấp liếm",
        "bưng bít", "che giấu", "che đậy"),
    "nepotism": (
        "người nhà", "người thân", "họ hàng", "thân quen", "con ông cháu cha", "cài cắm",
        "con cháu", "em ruột", "anh ruột", "chị ruột", "cháu ruột", "con rể", "con dâu",
        "bà con của", "sân sau", "lợi ích nhóm", "ưu ái", "thiên vị"),
    "job_buying": (
        "chạy việc", "chạy biên chế", "chạy chức", "mua chức", "chạy chức chạy quyền",
        "mua quan bán tước", "chạy công chức", "chạy vào biên chế", "xin việc", "chạy suất",
        "tuyển dụng", "thi tuyển", "xét tuyển", "tuyển người", "vào biên chế", "hợp đồng lao động",
        "bổ nhiệm", "quy hoạch cán bộ", "đề bạt"),
    "drinking": (
        "nhậu*", "nhậu nhẹt", "uống rượu", "say xỉn", "say rượu", "rượu bia", "bia rượu",
        "nồng độ cồn", "ăn nhậu", "bàn nhậu", "say bí tỉ", "quán nhậu", "say mèm"),
    "gambling": (
        "đánh bạc", "cờ bạc", "đánh bài", "cá độ", "lô đề", "ghi đề", "số đề", "xóc đĩa",
        "sát phạt", "tổ chức đánh bạc", "đá gà", "chơi bài", "binh xập xám", "tiến lên ăn tiền"),
    "feast": (
        "đám cưới", "đám hỏi", "cưới hỏi", "tiệc cưới", "ăn hỏi", "tiệc tùng", "mừng thọ",
        "tân gia", "đám giỗ", "đám tang", "linh đình", "phô trương", "mâm cỗ", "cỗ bàn",
        "tổ chức tiệc", "mời cả xã", "nhận phong bì mừng"),
    "public_vehicle": (
        "xe công", "xe cơ quan", "xe biển xanh", "xe công vụ", "xe biển 80", "xe của xã",
        "xe của huyện", "xe của ủy ban", "xe ủy ban", "dùng xe công", "xe chuyên dùng"),
    "affair": (
        "ngoại tình", "bồ bịch", "vợ bé", "bồ nhí", "quan hệ bất chính", "nuôi bồ",
        "sống như vợ chồng", "có con riêng", "quan hệ nam nữ", "cặp bồ", "có bồ"),
    "absence": (
        "bỏ việc riêng", "đi làm muộn", "đi trễ về sớm", "vắng mặt", "bỏ trụ sở",
        "không có mặt", "giờ hành chính", "trong giờ làm việc", "trong giờ làm", "bỏ vị trí",
        "đi làm việc riêng", "ngồi quán cà phê"),
    "false_report": (
        "báo cáo sai", "báo cáo láo", "làm đẹp số liệu", "số liệu ảo", "thành tích ảo",
        "khai man", "giả mạo", "làm giả", "giả chữ ký", "giấy tờ giả", "hồ sơ giả",
        "bằng giả", "chứng chỉ giả", "khai sai", "xác nhận sai", "ký khống*", "lập khống*",
        "kê khống*", "hồ sơ khống*", "danh sách khống*", "người ảo", "ghi sai"),
    "fake_degree": ("bằng giả", "bằng cấp giả", "mua bằng", "học hộ", "thi hộ", "bằng tại chức"),
    "asset_declaration": (
        "kê khai tài sản", "tài sản bất minh", "giàu lên nhanh", "giàu bất thường",
        "nhà lầu", "biệt thự", "xe sang", "đứng tên", "nhờ người đứng tên", "tài sản lớn",
        "không rõ nguồn gốc"),
    # public works and services
    "poor_construction": (
        "kém chất lượng", "rút ruột công trình", "xuống cấp", "nứt nẻ", "nứt", "bong tróc",
        "sụt lún", "hư hỏng", "làm ẩu", "cẩu thả", "bớt vật liệu", "thiếu xi măng", "ít xi măng",
        "sai thiết kế", "không đúng thiết kế", "mỏng hơn", "mới làm đã hỏng", "chưa nghiệm thu"),
    "road": (
        "đường bê tông", "bê tông hóa", "bê tông hoá", "làm đường", "đường làng", "đường ngõ",
        "đường liên xã", "đường liên thôn", "đường nông thôn", "trải nhựa", "đường đất",
        "con đường", "tuyến đường"),
    "waste_of_assets": (
        "lãng phí", "bỏ hoang", "để hoang", "bỏ không*", "đắp chiếu", "phí phạm", "bỏ phí",
        "không sử dụng", "không đưa vào sử dụng", "cỏ mọc", "hoang phế", "bỏ xó", "trùm mền"),
    "bidding": (
        "đấu thầu", "chỉ định thầu", "thông thầu", "quân xanh", "gói thầu", "nhà thầu",
        "trúng thầu", "chia thầu", "dàn xếp thầu", "sân sau"),
    "school": (
        "nhà trường", "hiệu trưởng", "giáo viên", "học sinh", "phụ huynh", "dạy thêm",
        "học thêm", "ép học thêm", "điểm trường"),
    "health": (
        "trạm y tế", "bệnh viện", "bảo hiểm y tế", "bhyt", "thuốc men", "khám chữa bệnh",
        "bác sĩ", "y sĩ", "tiêm chủng", "vắc xin", "vaccine"),
    # the environment
    "sand_mining": (
        "khai thác cát", "hút cát", "cát tặc", "khai thác trái phép", "khai thác khoáng sản",
        "múc đất", "khai thác đất", "đào đất", "xe ben", "xe tải chở đất", "bãi cát", "sà lan"),
    "forest": (
        "phá rừng", "chặt phá rừng", "lâm tặc", "khai thác gỗ", "chặt cây", "lấn rừng",
        "đất rừng", "rừng phòng hộ", "gỗ lậu", "chặt gỗ", "rừng tự nhiên", "kiểm lâm"),
    "pollution": (
        "ô nhiễm", "xả thải", "nước thải", "bốc mùi", "hôi thối", "khói bụi", "mùi hôi",
        "chất thải", "rác thải", "đổ trộm", "xả ra sông", "xả ra kênh", "nước đen", "cá chết"),
    "flood": (
        "lũ lụt", "mưa lũ", "bão lũ", "thiên tai", "ngập lụt", "sạt lở", "lũ quét", "cơn bão",
        "sau bão", "bị lũ", "nước lũ"),
    # meetings and the party
    "party_admission": (
        "kết nạp đảng", "kết nạp", "vào đảng", "hồ sơ đảng viên", "lý lịch", "sinh hoạt đảng",
        "đảng phí", "chi bộ"),
    "vote_rigging": (
        "bầu cử", "phiếu bầu", "gian lận", "sửa phiếu", "bỏ phiếu", "lấy phiếu tín nhiệm",
        "kiểm phiếu", "bầu trưởng thôn"),
}


CONCEPT_PREFIX = "≈"


_WORD = re.compile(r"\w+")
# the words of a text and the marks that end a phrase, which no variant crosses ("quy ra
# tiền. Đến tháng 5" is not "tiền đền"); a hyphen, a slash or quotes do not ("vắc-xin",
# "“chạy” biên chế")
_WORD_OR_STOP = re.compile(r"\w+|[.,;:!?()\[\]\n]")


def _variant_words(variant: str, accented: bool) -> tuple[str, ...] | None:
    """The words a variant is matched as (without marks for a text typed without them), or
    None where it is not matched at all (a "*" variant in such a text)."""
    if variant.endswith("*"):
        if not accented:
            return None
        variant = variant[:-1]
    return tuple(_WORD.findall(variant if accented else strip_diacritics(variant)))


@lru_cache(maxsize=2)
def _lexicon(accented: bool) -> dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]]:
    """First word of a variant -> (its words, the concepts it stands for), longest first, so
    that where a longer variant fits ("nhận phong bì") it is read rather than a shorter."""
    of: dict[tuple[str, ...], list[str]] = {}
    for concept, variants in CONCEPTS.items():
        for v in variants:
            words = _variant_words(v, accented)
            if words:
                of.setdefault(words, []).append(CONCEPT_PREFIX + concept)
    first: dict[str, list] = {}
    for words, concepts in of.items():
        first.setdefault(words[0], []).append((words, tuple(concepts)))
    return {w: tuple(sorted(vs, key=lambda x: -len(x[0]))) for w, vs in first.items()}


def concept_terms(lower: str, plain: str, *, accented: bool) -> list[str]:
    """The concept terms (``≈bribe``) a text names, once per mention, as whole words. A text
    typed with marks is read with them (``lower``: lower-cased, marks kept), so that "số
    đó" is not "sổ đỏ"; one typed without them is read without (``plain``)."""
    lexicon = _lexicon(accented)
    words = _WORD_OR_STOP.findall(lower if accented else plain)
    found: list[str] = []
    i, n = 0, len(words)
    while i < n:
        for variant, concepts in lexicon.get(words[i], ()):
            k = len(variant)
            if tuple(words[i:i + k]) == variant:
                found.extend(concepts)
                i += k
                break
        else:
            i += 1
    return found


def concept_idf(vocabulary: dict[str, int], idf) -> dict[str, float]:
    """IDF of each concept term, read off a fitted diacritics-free syllable 1-3-gram
    vectorizer (scikit-learn's smoothed IDF, ``min_df=2``): a concept is in every document
    that has one of its variants, so its document frequency is at most the sum of theirs
    (a variant longer than three syllables counts as its rarest three). Returns
    ``{"≈concept": idf}``; a concept none of whose variants was seen gets the largest IDF."""
    if not len(idf):
        return {}
    top = float(max(idf))
    n_docs = 3.0 * math.exp(top - 1.0) - 1.0  # the rarest kept n-gram is in 2 documents

    def df(gram: str) -> float:
        j = vocabulary.get(gram)
        return 0.0 if j is None else (1.0 + n_docs) * math.exp(1.0 - float(idf[j])) - 1.0

    out = {}
    for concept, variants in CONCEPTS.items():
        total = 0.0
        # every variant as its words without marks ("*" ones too: the vocabulary has none)
        bare = {" ".join(_variant_words(v.rstrip("*"), False)) for v in variants}
        # "nhận phong bì" is in every document "phong bì" is in: count the shorter only
        within = {v for v in bare if any(o != v and f" {o} " in f" {v} " for o in bare)}
        for v in bare - within:
            syl = v.split()
            if len(syl) <= 3:
                total += df(" ".join(syl))
            else:
                total += min(df(" ".join(syl[i:i + 3])) for i in range(len(syl) - 2))
        total = min(max(total, 1.0), n_docs)
        out[CONCEPT_PREFIX + concept] = min(top, math.log((1.0 + n_docs) / (1.0 + total)) + 1.0)
    return out
