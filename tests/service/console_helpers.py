"""Shared by the console tests: real Vietnamese feedback as citizens write it (invented
people), and signing in through the real login form."""

from __future__ import annotations

import re

BRIBE = ("Kính gửi Ban Dân chủ - Pháp luật MTTQ phường. Cán bộ địa chính phường là ông Lê Văn "
         "Tám đòi 15 triệu đồng mới chịu ký hồ sơ cấp sổ đỏ cho nhà tôi, ai không đưa tiền "
         "thì hồ sơ cứ nằm đó cả năm trời.")
BRIBE_PLAIN = ("can bo dia chinh phuong ong Le Van Tam doi 15 trieu dong moi chiu ky ho so cap so "
               "do cho nha toi, ai ko dua tien thi ho so nam do ca nam troi. mong MTTQ xem xet")
WASTE = ("xã mình mới xây cái nhà văn hóa hơn 3 tỷ mà bỏ hoang ko ai dùng, cửa khóa suốt, cỏ "
         "mọc um tùm, lãng phí tiền dân quá trời luôn ak")
WEDDING = ("Bí thư chi bộ thôn 3 tổ chức đám cưới cho con trai linh đình tới 60 mâm, mời cả "
           "doanh nghiệp trong huyện, nhận phong bì rất nhiều, bà con bức xúc lắm.")
CAR = ("Tôi xin tố cáo Chủ tịch UBND xã dùng xe công biển số 36A-123.45 đưa gia đình đi du "
       "lịch Sầm Sơn dịp lễ 2/9, tôi có ảnh chụp. SĐT của tôi 0912 345 678.")
SUBMITTER = {"name": "Phạm Thị Hồng Nhung", "phone": "0912345678",
             "email": "hongnhung.pham82@example.vn", "address": "số 14 ngõ 52 phố Vọng",
             "cccd": "001182004567"}


def raw_key(headers: dict) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def login_token(html: str) -> str:
    return re.search(r'name="login_token" value="([^"]+)"', html).group(1)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, headers: dict, *, next_path: str = "/console/queue"):
    """Sign in through the form; returns the response to the POST (303 on success)."""
    form = client.get("/console/login")
    assert form.status_code == 200
    return client.post("/console/login", data={"key": raw_key(headers), "next": next_path,
                                               "login_token": login_token(form.text)},
                       follow_redirects=False)
