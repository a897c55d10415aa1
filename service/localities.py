"""Official administrative codes after the 2025 reorganization (34 provinces, 3,321
communes and wards, no district level), from the `vietnam-provinces` package.

A locality is stored as ``PP`` (a province) or ``PP.WWWWW`` (a commune or ward of it), so
a key scoped to a province sees its whole subtree by prefix.
"""

from __future__ import annotations

from functools import lru_cache

from service.errors import ValidationFailed


class InvalidLocality(ValidationFailed):
    code, title = "invalid_locality", "Unknown locality code"


@lru_cache(maxsize=1)
def _tables() -> tuple[set[str], dict[str, str]]:
    import vietnam_provinces as vp

    provinces = {f"{int(p.code.value):02d}" for p in vp.Province.iter_all()}
    wards = {f"{int(w.code.value):05d}": f"{int(w.province_code.value):02d}"
             for w in vp.Ward.iter_all()}
    return provinces, wards


def normalize_locality(code: str | None) -> str | None:
    """'01' → '01'; '00070' or '01.00070' → '01.00070'; anything else is refused."""
    if code is None:
        return None
    provinces, wards = _tables()
    code = code.strip()
    if code in provinces:
        return code
    ward = code.split(".")[-1]
    if ward in wards and (("." not in code) or code.split(".")[0] == wards[ward]):
        return f"{wards[ward]}.{ward}"
    raise InvalidLocality(f"{code!r} is not a province (2 digits) or commune/ward (5 digits) code "
                          "of the 2025 administrative map")


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    import vietnam_provinces as vp

    names = {f"{int(p.code.value):02d}": p.name for p in vp.Province.iter_all()}
    names.update({f"{int(w.province_code.value):02d}.{int(w.code.value):05d}": w.name
                  for w in vp.Ward.iter_all()})
    return names


def locality_name(code: str | None, *, with_province: bool = False) -> str | None:
    """The official name of a stored locality code, for people to read: '01' → 'Thành phố
    Hà Nội', '01.00070' → 'Phường Hoàn Kiếm' (with ``with_province``: 'Phường Hoàn Kiếm,
    Thành phố Hà Nội'); None when unknown."""
    if code and with_province and "." in code:
        ward, province = _names().get(code), _names().get(code.split(".")[0])
        return f"{ward}, {province}" if ward and province else ward
    return _names().get(code) if code else None
