"""Form handling: posted fields → the service's Pydantic schema → the service; errors back next to fields.

A page validates with the same schemas the API uses (``SystemCreate``, ``UserCreate`` …), so the rules are
one set. Pydantic's messages are English only, so the common error types get a translated message here;
a service's :class:`~govshare.errors.Problem` brings its own Chinese and English wording and the field at
fault.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from govshare.errors import Problem
from govshare.web.i18n import N_, Translator

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from govshare.runtime import Runtime

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

_PYDANTIC_MESSAGES = {
    "missing": N_("此项为必填项"),
    "string_too_short": N_("至少需要 %(min_length)s 个字符"),
    "string_too_long": N_("最多 %(max_length)s 个字符"),
    "string_pattern_mismatch": N_("格式不正确"),
    "enum": N_("请选择有效的选项"),
    "literal_error": N_("请选择有效的选项"),
    "greater_than_equal": N_("不能小于 %(ge)s"),
    "less_than_equal": N_("不能大于 %(le)s"),
    "int_parsing": N_("请输入整数"),
    "datetime_from_date_parsing": N_("日期格式不正确"),
    "datetime_parsing": N_("日期格式不正确"),
}
_FALLBACK = N_("输入无效")


@dataclass
class FormErrors:
    """Errors of one form: per field, plus those that belong to no field (shown above the form)."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add_problem(self, problem: Problem, t: Translator, known_fields: set[str] | None = None) -> None:
        message = t.pick(problem.message_zh, problem.message_en)
        if problem.field and (known_fields is None or problem.field in known_fields):
            self.fields.setdefault(problem.field, message)
        else:
            self.general.append(message)

    def add_validation(self, exc: ValidationError, t: Translator) -> None:
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
            name = loc[0] if loc else ""
            message = error_message(err, t)
            if name:
                self.fields.setdefault(name, message)
            else:
                self.general.append(message)


def error_message(err: Any, t: Translator) -> str:
    """One of Pydantic's errors (a dict of ``ValidationError.errors()``) in the page's language."""
    template = _PYDANTIC_MESSAGES.get(err.get("type", ""), _FALLBACK)
    ctx = {k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, int | str)}
    try:
        return t.gettext(template) % ctx if ctx else t.gettext(template)
    except (KeyError, ValueError):
        return t.gettext(_FALLBACK)


def text_fields(form: FormData, *names: str) -> dict[str, str]:
    """The named text fields, stripped; a missing field is an empty string (so it can be shown again)."""
    values: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        values[name] = value.strip() if isinstance(value, str) else ""
    return values


def optional(values: dict[str, Any], *names: str) -> dict[str, Any]:
    """Empty optional inputs mean "not given": left out, so the schema's default applies, as in the API
    where the key would be absent."""
    return {k: v for k, v in values.items() if not (k in names and v == "")}


def validate(schema: type[M], data: dict[str, Any], errors: FormErrors, t: Translator) -> M | None:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        errors.add_validation(exc, t)
        return None


def not_found(exc: Problem) -> bool:
    return exc.status == 404


def refused_or_not_found(exc: Problem) -> bool:
    return exc.status in (403, 404)


def write(
    runtime: Runtime,
    errors: FormErrors,
    t: Translator,
    fields: set[str] | None,
    call: Callable[[Session], T],
    *,
    answered_by_page: Callable[[Problem], bool] = not_found,
) -> T | None:
    """Run one service call in its own write transaction. A :class:`Problem` rolls it back; those that
    ``answered_by_page`` picks propagate (the object is out of reach: the 404/403 page answers), the others land
    in ``errors`` beside ``fields``."""
    try:
        with runtime.db.write() as session:
            return call(session)
    except Problem as exc:
        if answered_by_page(exc):
            raise
        errors.add_problem(exc, t, fields)
        return None


#: As :func:`write`, but a refusal (403) is the page's answer rather than a message beside the form.
write_or_refuse = partial(write, answered_by_page=refused_or_not_found)
