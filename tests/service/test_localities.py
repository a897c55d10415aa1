import pytest

from service.errors import ValidationFailed
from service.localities import normalize_locality
from service.security import in_scope


def test_official_codes_of_the_2025_map():
    assert normalize_locality("01") == "01"                 # Thành phố Hà Nội
    assert normalize_locality("00070") == "01.00070"        # Phường Hoàn Kiếm
    assert normalize_locality("01.00070") == "01.00070"
    assert in_scope("01", "01.00070") and not in_scope("79", "01.00070")


@pytest.mark.parametrize("code", ["99", "00000", "79.00070", "1"])
def test_unknown_codes_are_refused(code):
    with pytest.raises(ValidationFailed):
        normalize_locality(code)
