import pytest

from triage.redact import redact


@pytest.mark.parametrize("phone", [
    "0912 345 678", "0912345678", "098.765.4321", "+84 903-111-222", "(+84) 912345678",
    "84912345678", "024 3825 1234", "0084 912 345 678",
])
def test_phone_numbers(phone):
    r = redact(f"Gọi cho tôi theo số {phone} nhé")
    assert r.text == "Gọi cho tôi theo số <SĐT> nhé"
    assert r.counts == {"phone": 1}


@pytest.mark.parametrize("spoken", [
    "không chín một hai ba bốn năm sáu bảy tám",
    "khong chin tam bay sau nam bon ba hai mot",
])
def test_spelled_out_phone_numbers(spoken):
    assert redact(f"sdt cua toi la {spoken} a").text.endswith("<SĐT> a")


def test_id_numbers_email_account_address():
    text = ("Tôi là Nguyễn Văn An, CCCD số 001085012345, CMND cũ 012345678, email an.nv@gmail.com, "
            "STK 0123456789 Vietcombank, trú tại số 12 ngõ 45 đường Lê Lợi, phường Hà Đông.")
    r = redact(text)
    assert r.text == ("Tôi là Nguyễn Văn An, CCCD số <CCCD>, CMND cũ <CCCD>, email <EMAIL>, "
                      "STK <STK> Vietcombank, trú tại <ĐỊA_CHỈ>, phường Hà Đông.")
    assert r.counts == {"id_number": 2, "email": 1, "account": 1, "address": 1}


def test_bare_twelve_digit_id_number():
    assert redact("so 036190001234 cua ba Lan").text == "so <CCCD> cua ba Lan"


@pytest.mark.parametrize("text", [
    "thu 2.500.000 đồng mỗi hộ, tổng cộng 120.000.000 đ",
    "ngày 12/05/2024 lúc 14h30, xe biển số 30A-123.45",
    "thôn 3 có 15 hộ, lô số 215 tờ bản đồ số 12",
    "Quyết định số 1234/QĐ-UBND ngày 5/6/2023",
])
def test_amounts_dates_plates_and_document_numbers_are_kept(text):
    assert redact(text).text == text


def test_placeholders_survive_a_second_pass():
    once = redact("email a@b.vn, 0912345678").text
    assert redact(once).text == once
