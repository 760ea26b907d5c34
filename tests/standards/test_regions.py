"""GB/T 2260 region codes."""

from __future__ import annotations

import csv
from importlib import resources

from govshare.standards import regions


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("govshare.standards").joinpath("data", filename).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_table_coverage() -> None:
    codes = {row["code"] for row in _rows("gb2260.csv")}
    provinces = {c for c in codes if c.endswith("0000")}
    prefectures = {c for c in codes if c.endswith("00") and not c.endswith("0000")}
    assert len(provinces) == 34  # 23 省, 5 自治区, 4 直辖市, 2 特别行政区
    assert len(prefectures) == 333  # 293 地级市, 7 地区, 30 自治州, 3 盟
    assert len(codes) - len(provinces) - len(prefectures) > 2800
    assert all(len(c) == 6 and c.isdigit() for c in codes)


def test_names() -> None:
    assert regions.region_name("110000") == "北京市"
    assert regions.region_name("440300") == "深圳市"
    assert regions.region_name("440305") == "南山区"
    assert regions.region_name("710000") == "台湾省"
    assert regions.region_name("123") is None
    assert regions.region_name("999999") is None


def test_province_and_city() -> None:
    assert regions.province_of("440305") == "440000"
    assert regions.city_of("440305") == "440300"
    assert regions.city_of("440300") == "440300"
    assert regions.city_of("440000") is None
    assert regions.city_of("110105") == "110000"  # 直辖市: the municipality is the city
    assert regions.city_of("429004") is None  # 仙桃市: county-level, directly under 湖北省
    assert regions.province_of("990101") is None


def test_is_valid_region() -> None:
    for code in ("110000", "110105", "440300", "440305", "441900", "429004", "500230", "653132"):
        assert regions.is_valid_region(code), code
    # an unlisted county under a known prefecture is accepted (new counties appear every year)
    assert regions.is_valid_region("440399")
    assert regions.is_valid_region("110199")
    for code in ("", "44030", "4403050", "44030a", "999999", "449900", "440000 ", "４４０３０５", None):
        assert not regions.is_valid_region(code), code  # type: ignore[arg-type]


def test_full_name() -> None:
    assert regions.region_full_name("440305") == "广东省深圳市南山区"
    assert regions.region_full_name("110105") == "北京市朝阳区"
    assert regions.region_full_name("441900") == "广东省东莞市"
    assert regions.region_full_name("440399") is None


def test_demo_city_is_fictional_and_valid() -> None:
    demo = {row["code"] for row in _rows("demo_regions.csv")}
    real = {row["code"] for row in _rows("gb2260.csv")}
    assert demo and not demo & real
    for code in demo:
        assert regions.is_valid_region(code) and regions.is_fictional(code)
        assert regions.province_of(code) == "330000"
    assert regions.region_full_name("331902") == "浙江省示范市明湖区"
    assert regions.counties_of("331900") == ["331902", "331903", "331904", "331921", "331981"]
    assert not regions.is_fictional("440305")


def test_counties_of() -> None:
    assert "440305" in regions.counties_of("440300")
    assert "110105" in regions.counties_of("110000")
    assert regions.counties_of("440000") == []
