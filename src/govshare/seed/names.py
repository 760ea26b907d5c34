"""Chinese personal names (姓名) for synthetic people: weighted surnames, given-name characters by era.

Surname weights are per mille of the population, rounded from the Ministry of Public Security's 2020
surname ranking (百家姓排名); the top hundred cover about 85 % of people. Given-name characters follow
naming fashions of three generations, so a person born in 1950 is more likely 建国 or 秀英 and one born in
2010 more likely 子轩 or 梓涵. The lists are hand-made: no maintained package ships name frequencies.
"""

from __future__ import annotations

import random

# fmt: off
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 71.2), ("李", 70.0), ("张", 67.4), ("刘", 51.0), ("陈", 46.1), ("杨", 32.2), ("黄", 24.5),
    ("赵", 22.9), ("吴", 20.5), ("周", 20.3), ("徐", 16.7), ("孙", 15.4), ("马", 14.4), ("朱", 13.4),
    ("胡", 13.1), ("郭", 11.8), ("何", 11.7), ("林", 11.6), ("高", 11.6), ("罗", 10.5), ("郑", 9.3),
    ("梁", 9.1), ("谢", 8.1), ("宋", 7.6), ("唐", 7.5), ("许", 7.0), ("韩", 6.9), ("邓", 6.8), ("冯", 6.8),
    ("曹", 6.4), ("彭", 6.4), ("曾", 6.2), ("肖", 6.1), ("田", 6.0), ("董", 5.7), ("潘", 5.6), ("袁", 5.6),
    ("蔡", 5.3), ("蒋", 5.3), ("余", 5.2), ("于", 5.1), ("杜", 5.0), ("叶", 4.9), ("程", 4.9), ("魏", 4.7),
    ("苏", 4.7), ("吕", 4.7), ("丁", 4.5), ("任", 4.5), ("卢", 4.3), ("姚", 4.3), ("沈", 4.2), ("钟", 4.1),
    ("姜", 4.0), ("崔", 3.9), ("谭", 3.8), ("陆", 3.7), ("范", 3.5), ("汪", 3.5), ("廖", 3.4), ("石", 3.4),
    ("金", 3.3), ("韦", 3.3), ("贾", 3.3), ("夏", 3.2), ("付", 3.1), ("方", 3.1), ("邹", 2.9), ("熊", 2.9),
    ("白", 2.9), ("孟", 2.8), ("秦", 2.8), ("邱", 2.8), ("侯", 2.7), ("江", 2.7), ("尹", 2.7), ("薛", 2.6),
    ("闫", 2.6), ("段", 2.5), ("雷", 2.5), ("龙", 2.4), ("黎", 2.4), ("史", 2.4), ("陶", 2.3), ("贺", 2.3),
    ("毛", 2.2), ("郝", 2.2), ("顾", 2.2), ("龚", 2.1), ("邵", 2.1), ("万", 2.0), ("覃", 2.0), ("武", 2.0),
    ("钱", 2.0), ("戴", 1.9), ("严", 1.9), ("莫", 1.8), ("孔", 1.8), ("向", 1.8), ("常", 1.8), ("汤", 1.7),
    # compound surnames (复姓) are rare but must appear
    ("欧阳", 0.5), ("司马", 0.1), ("诸葛", 0.1), ("上官", 0.1), ("慕容", 0.05),
)
# fmt: on

#: Eras by birth year: before 1970, 1970–1989, from 1990.
ERA_BOUNDS = (1970, 1990)

#: GIVEN_CHARS[gender][era]: characters that given names are built from; gender 0 = 男, 1 = 女.
GIVEN_CHARS: tuple[tuple[str, str, str], tuple[str, str, str]] = (
    (
        "建国华明军平伟志强德福文忠庆林海山荣生成发春根祥宝金永兴卫红东胜利光保富贵新",
        "伟强磊军勇杰涛斌超明刚平辉鹏华飞波健俊峰亮宁龙林东海晓志剑锋建文宇浩凯毅",
        "浩宇轩子涵博文俊杰泽睿铭晨阳皓然一诺梓宸奕航思远鑫鹏磊天佑嘉逸昊翔煜瑞",
    ),
    (
        "秀英兰芳珍桂凤玉梅华淑琴翠花丽霞红云素莲敏娟芬美萍秋菊月香琼",
        "丽静敏燕艳娟霞芳娜丹玲萍红玉兰梅琳洁雪婷慧颖晶琴晓莉倩云佳春",
        "欣怡梓涵萱诗雨佳琪思悦可馨一诺晨语嘉妍婷雅静若梦彤瑶依芸紫",
    ),
)

#: Share of one-character given names (单名) per era; it peaked with people born in the 1980s.
SINGLE_CHAR_SHARE = (0.30, 0.35, 0.12)


def era_of(birth_year: int) -> int:
    """0, 1 or 2: the naming era of a birth year."""
    return sum(birth_year >= bound for bound in ERA_BOUNDS)


def weighted_table(items: tuple[tuple[str, float], ...], size: int) -> list[str]:
    """A list of ``size`` entries where each item fills slots in proportion to its weight.

    Picking ``table[int(random() * size)]`` is a weighted draw with one random number and no search,
    which is what the million-row generators need. Every item gets at least one slot; rounding is
    settled on the heaviest item, so the result is deterministic.
    """
    total = sum(w for _, w in items)
    counts = [max(1, round(w / total * size)) for _, w in items]
    counts[max(range(len(items)), key=lambda i: items[i][1])] += size - sum(counts)
    table: list[str] = []
    for (item, _), count in zip(items, counts, strict=True):
        table.extend([item] * count)
    return table


_SURNAME_TABLE = weighted_table(SURNAMES, 10_000)


def random_name(rng: random.Random, gender: int, birth_year: int) -> str:
    """One full name (姓名) for ``gender`` (0 男, 1 女) born in ``birth_year``."""
    era = era_of(birth_year)
    chars = GIVEN_CHARS[gender][era]
    surname = _SURNAME_TABLE[int(rng.random() * len(_SURNAME_TABLE))]
    if rng.random() < SINGLE_CHAR_SHARE[era]:
        return surname + rng.choice(chars)
    return surname + rng.choice(chars) + rng.choice(chars)
