"""The 31 provinces, in the order of table 1 of the 2023 report on prisoner-support associations.

Source: ``shared/reference/000_1ced9d26c8c52436.txt`` (table 1). The source text was
extracted with Arabic letter forms (ي, ك) and one misspelling (کهگلویه); the names below
use the standard Persian letters and spelling. Codes are Sedā's own stable slugs.
"""

from __future__ import annotations

import msgspec


class ProvinceRow(msgspec.Struct, frozen=True):
    code: str
    name_fa: str
    name_en: str


PROVINCES: tuple[ProvinceRow, ...] = (
    ProvinceRow("east-azerbaijan", "آذربایجان شرقی", "East Azerbaijan"),
    ProvinceRow("west-azerbaijan", "آذربایجان غربی", "West Azerbaijan"),
    ProvinceRow("ardabil", "اردبیل", "Ardabil"),
    ProvinceRow("isfahan", "اصفهان", "Isfahan"),
    ProvinceRow("alborz", "البرز", "Alborz"),
    ProvinceRow("ilam", "ایلام", "Ilam"),
    ProvinceRow("bushehr", "بوشهر", "Bushehr"),
    ProvinceRow("tehran", "تهران", "Tehran"),
    ProvinceRow("chaharmahal-bakhtiari", "چهارمحال و بختیاری", "Chaharmahal and Bakhtiari"),
    ProvinceRow("south-khorasan", "خراسان جنوبی", "South Khorasan"),
    ProvinceRow("razavi-khorasan", "خراسان رضوی", "Razavi Khorasan"),
    ProvinceRow("north-khorasan", "خراسان شمالی", "North Khorasan"),
    ProvinceRow("khuzestan", "خوزستان", "Khuzestan"),
    ProvinceRow("zanjan", "زنجان", "Zanjan"),
    ProvinceRow("semnan", "سمنان", "Semnan"),
    ProvinceRow("sistan-baluchestan", "سیستان و بلوچستان", "Sistan and Baluchestan"),
    ProvinceRow("fars", "فارس", "Fars"),
    ProvinceRow("qazvin", "قزوین", "Qazvin"),
    ProvinceRow("qom", "قم", "Qom"),
    ProvinceRow("kurdistan", "کردستان", "Kurdistan"),
    ProvinceRow("kerman", "کرمان", "Kerman"),
    ProvinceRow("kermanshah", "کرمانشاه", "Kermanshah"),
    ProvinceRow("kohgiluyeh-boyer-ahmad", "کهگیلویه و بویراحمد", "Kohgiluyeh and Boyer-Ahmad"),
    ProvinceRow("golestan", "گلستان", "Golestan"),
    ProvinceRow("gilan", "گیلان", "Gilan"),
    ProvinceRow("lorestan", "لرستان", "Lorestan"),
    ProvinceRow("mazandaran", "مازندران", "Mazandaran"),
    ProvinceRow("markazi", "مرکزی", "Markazi"),
    ProvinceRow("hormozgan", "هرمزگان", "Hormozgan"),
    ProvinceRow("hamadan", "همدان", "Hamadan"),
    ProvinceRow("yazd", "یزد", "Yazd"),
)
