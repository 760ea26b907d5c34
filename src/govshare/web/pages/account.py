"""我的账号 (my account): who am I (department, roles) and changing the own password."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from govshare.deps import ReadSession, RuntimeDep
from govshare.errors import Problem
from govshare.identity import service as identity
from govshare.identity.principal import Principal
from govshare.identity.schemas import PasswordChange
from govshare.web.forms import FormErrors, validate
from govshare.web.labels import ROLE_LABELS
from govshare.web.pages.common import html_router, page, t_of
from govshare.web.render import redirect
from govshare.web.session import Form, Staff, clear_session_cookies

router = html_router()


def _account_page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    return page(
        request,
        principal,
        session,
        "console/account.html",
        active="account",
        title=t.gettext("我的账号"),
        status_code=status_code,
        page_url="/console/account",
        role_labels=ROLE_LABELS,
        errors=errors,
    )


@router.get("/console/account")
def account(request: Request, principal: Staff, session: ReadSession) -> Response:
    return _account_page(request, principal, session)


@router.post("/console/account/password")
def change_password(
    request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    errors = FormErrors()
    old, new, again = (
        form.get(k) if isinstance(form.get(k), str) else "" for k in ("old_password", "new_password", "confirm")
    )
    data = validate(PasswordChange, {"old_password": old, "new_password": new}, errors, t)
    if data is not None and new != again:
        errors.fields["confirm"] = t.gettext("两次输入的新密码不一致")
    if data is not None and not errors:
        try:
            with runtime.db.write() as s:
                identity.change_password(
                    s, actor=principal, old_password=data.old_password, new_password=data.new_password
                )
        except Problem as exc:
            errors.add_problem(exc, t, {"old_password", "new_password"})
    if errors:
        return _account_page(request, principal, session, errors=errors, status_code=422)
    # Changing the password ends every session of the user, this one included.
    response = redirect("/console/login?done=password_changed", request)
    clear_session_cookies(response)
    return response
