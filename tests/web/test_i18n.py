"""The English catalog covers every message of the web UI, with the same placeholders (no database needed)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from starlette.requests import Request

import govshare.web
from govshare.web.i18n import LOCALE_DIR, Translator, language_of, po_path

WEB = Path(govshare.web.__file__).parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _extracted() -> set[str]:
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(WEB), METHODS):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_message_has_an_english_translation_with_the_same_placeholders():
    catalog = read_po(po_path("en").open("rb"), locale="en")
    translated = {m.id: m.string for m in catalog if m.id}
    extracted = _extracted()
    missing = sorted(m for m in extracted if not translated.get(m))
    assert not missing, f"untranslated (run pybabel update, then translate): {missing}"
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, f"fuzzy translations are not used: {fuzzy}"
    for msgid in extracted:
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(translated[msgid])), msgid


def test_the_template_catalog_is_up_to_date():
    pot = read_po((LOCALE_DIR / "messages.pot").open("rb"))
    in_pot = {m.id for m in pot if m.id}
    assert _extracted() == in_pot, "messages.pot is stale: run the pybabel extract line in docs/web.md"


def _request(query: str = "", cookie: str = "") -> Request:
    headers = [(b"cookie", cookie.encode())] if cookie else []
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query.encode(), "headers": headers})


def test_language_is_query_then_cookie_then_chinese():
    assert language_of(_request()) == "zh"
    assert language_of(_request(cookie="lang=en")) == "en"
    assert language_of(_request("lang=zh-CN", cookie="lang=en")) == "zh"
    assert language_of(_request("lang=fr", cookie="lang=en-GB")) == "en"
    assert language_of(_request("lang=fr")) == "zh"


def test_translator():
    en, zh = Translator("en"), Translator("zh")
    assert en.gettext("首页") == "Dashboard" and zh.gettext("首页") == "首页"
    assert en.gettext("共 %(n)s 个", n=3) == "3 in total"
    assert en.pick("中文", "English") == "English" and zh.pick("中文", "English") == "中文"
    assert en.pick("中文", None) == "中文"


def test_every_catalog_and_sharing_label_is_a_message():
    """The services label their value lists in Chinese; web/vocab.py lists those labels for translation."""
    from govshare.web.vocab import VOCAB_MESSAGES, all_service_labels

    assert all_service_labels() <= set(VOCAB_MESSAGES)
