"""Languages of the web UI: zh-CN (default, the source language of every message) and English.

Message ids are the Chinese texts themselves; ``locale/en/LC_MESSAGES/messages.po`` translates them. The
``.po`` file is read at runtime with Babel (compiled to an in-memory ``.mo`` once per process), so editing a
translation needs no build step. ``pybabel extract``/``update`` keep the catalog in step with the code
(see ``docs/web.md``); ``tests/web/test_i18n.py`` fails when a message has no English translation.
"""

from __future__ import annotations

import gettext as _gettext
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LANG = "zh"
#: UI language code → value of ``<html lang>`` and Babel locale.
LANGUAGES: dict[str, str] = {"zh": "zh-CN", "en": "en"}
LANG_COOKIE = "lang"
LANG_PARAM = "lang"


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a message for extraction without translating it (module-level labels, translated at render)."""
    return message


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The catalog of ``lang``. Chinese is the source language, so it needs none."""
    if lang == DEFAULT_LANG or lang not in LANGUAGES:
        return _gettext.NullTranslations()
    with po_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=LANGUAGES[lang], domain=DOMAIN)
    buf = BytesIO()
    write_mo(buf, catalog)  # fuzzy entries are left out, as msgfmt does
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


@dataclass(frozen=True, slots=True)
class Translator:
    """The translation functions of one language, handed to templates and page code."""

    lang: str

    @property
    def html_lang(self) -> str:
        return LANGUAGES[self.lang]

    @property
    def is_zh(self) -> bool:
        return self.lang == "zh"

    def gettext(self, message: str, **variables: object) -> str:
        text = translations(self.lang).gettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, n: int, **variables: object) -> str:
        text = translations(self.lang).ngettext(singular, plural, n)
        return text % {"num": n, **variables}

    def pick(self, zh: str | None, en: str | None) -> str:
        """Choose between a service's own Chinese and English wording (e.g. a Problem's messages)."""
        return (zh or en or "") if self.is_zh else (en or zh or "")


def parse_lang(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower().replace("_", "-")
    if value in LANGUAGES:
        return value
    base = value.split("-", 1)[0]
    return base if base in LANGUAGES else None


def language_of(request: Request) -> str:
    """``?lang=`` first (a link can switch), then the ``lang`` cookie, then Chinese.

    The browser's Accept-Language is deliberately not consulted: the console is a Chinese government
    system and renders Chinese unless the user asks otherwise.
    """
    return (
        parse_lang(request.query_params.get(LANG_PARAM)) or parse_lang(request.cookies.get(LANG_COOKIE)) or DEFAULT_LANG
    )


def translator(lang: str) -> Translator:
    return Translator(lang if lang in LANGUAGES else DEFAULT_LANG)
