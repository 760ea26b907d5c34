"""Jinja2 rendering: one environment, per-request language, and the headers every HTML answer carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from babel.numbers import format_decimal
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup
from starlette.requests import Request

from govshare import __version__
from govshare.web.i18n import LANG_COOKIE, LANG_PARAM, LANGUAGES, Translator, language_of, parse_lang, translations
from govshare.web.labels import action_text

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

#: Times are stored in UTC and shown in 北京时间 (China has one zone and no daylight saving).
CST = timezone(timedelta(hours=8), "CST")

#: Only our own scripts run (no inline script, no eval); ECharts and htmx set element styles from script,
#: which CSP allows, and their few inline style attributes need 'unsafe-inline' for styles only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@pass_context
def _gettext(ctx, message: str) -> str:  # noqa: ANN001
    return translations(ctx["lang"]).gettext(message)


@pass_context
def _ngettext(ctx, singular: str, plural: str, n: int) -> str:  # noqa: ANN001
    return translations(ctx["lang"]).ngettext(singular, plural, n)


def _to_cst(value: datetime | int | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int):  # audit timestamps: microseconds since the epoch
        value = datetime.fromtimestamp(value / 1_000_000, tz=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CST)


def format_datetime(value: datetime | int | None, seconds: bool = True) -> str:
    local = _to_cst(value)
    if local is None:
        return ""
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def format_date(value: datetime | int | None) -> str:
    local = _to_cst(value)
    return local.strftime("%Y-%m-%d") if local else ""


@pass_context
def _number(ctx, value: int | float | None) -> str:  # noqa: ANN001
    if value is None:
        return "—"
    return format_decimal(value, locale=LANGUAGES[ctx["lang"]].replace("-", "_"))


@pass_context
def _action_label(ctx, code: str) -> str:  # noqa: ANN001
    return action_text(Translator(ctx["lang"]), code)


def _short_id(value: str | None, keep: int = 12) -> str:
    """Opaque ids are long; the start identifies them in a table (the whole one is in the title)."""
    if not value:
        return ""
    return value if len(value) <= keep + 2 else f"{value[:keep]}…"


def _json_script(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block: ``<``, ``>`` and ``&`` escaped so the data
    can never close the element, whatever it contains."""
    text = orjson.dumps(value).decode()
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _build_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext=_gettext, ngettext=_ngettext, newstyle=True)
    env.filters.update(datetime=format_datetime, date=format_date, number=_number, json_script=_json_script)
    env.filters["short_id"] = _short_id
    env.globals.update(version=__version__, languages=LANGUAGES, action_label=_action_label)
    return env


env = _build_env()


def url_with(request: Request, **params: Any) -> str:
    """The current URL (path and query) with ``params`` replaced; ``None`` removes a parameter."""
    query = {k: v for k, v in request.query_params.items() if k not in params}
    query.update({k: v for k, v in params.items() if v not in (None, "")})
    return request.url.path + (f"?{urlencode(query)}" if query else "")


def safe_next(value: str | None, default: str = "/console") -> str:
    """A local path to go to after login or a language switch; anything else (other hosts, ``//x``,
    ``/\\x``, schemes) falls back to ``default`` so the parameter cannot be used as an open redirect."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or any(ord(c) < 0x20 for c in value):
        return default
    return value


def base_context(request: Request, **extra: Any) -> dict[str, Any]:
    lang = language_of(request)
    t = Translator(lang)
    page_url = extra.pop("page_url", None) or (
        request.url.path + (f"?{request.url.query}" if request.url.query else "") if request.method == "GET" else "/"
    )
    other = "en" if lang == "zh" else "zh"
    ctx: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "t": t,
        "html_lang": t.html_lang,
        "other_lang": other,
        "switch_lang_url": f"/lang/{other}?next={quote(_without_lang(page_url), safe='/')}",
        "page_url": page_url,
        "is_htmx": is_htmx(request),
    }
    ctx.update(extra)
    return ctx


def _without_lang(url: str) -> str:
    path, _, query = url.partition("?")
    if not query:
        return path
    kept = [p for p in query.split("&") if not p.startswith(f"{LANG_PARAM}=")]
    return path + (f"?{'&'.join(kept)}" if kept else "")


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def secure_headers(response: Response, *, private: bool = True) -> Response:
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    if private:
        # Console pages show other people's data and one-time keys: never keep them in a cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def remember_lang(request: Request, response: Response) -> None:
    """``?lang=en`` on any page also switches the cookie, so the next pages stay in that language."""
    asked = parse_lang(request.query_params.get(LANG_PARAM))
    if asked and asked != request.cookies.get(LANG_COOKIE):
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 24 * 3600, samesite="lax", path="/")


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    private: bool = True,
) -> HTMLResponse:
    ctx = base_context(request, **(context or {}))
    html = env.get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    remember_lang(request, response)
    return secure_headers(response, private=private)


def redirect(url: str, request: Request | None = None, *, status_code: int = 303) -> Response:
    """After a successful form post (POST/redirect/GET). An htmx request is told to navigate instead,
    since a 303 would be followed inside the XHR and its page swapped into a fragment."""
    if request is not None and is_htmx(request):
        return secure_headers(Response(status_code=204, headers={"HX-Redirect": url}))
    return secure_headers(RedirectResponse(url, status_code=status_code))
