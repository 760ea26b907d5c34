"""Identity routes: thin — parse, call the service, shape the answer."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from govshare.deps import CSRF_COOKIE, SESSION_COOKIE, CurrentPrincipal, ReadSession, RuntimeDep, WriteSession
from govshare.identity import service
from govshare.identity.models import Organization
from govshare.identity.schemas import (
    CredentialCreate,
    CredentialRead,
    CredentialRotate,
    IssuedCredential,
    LoginRequest,
    MeRead,
    OrganizationCreate,
    OrganizationRead,
    OrganizationUpdate,
    PasswordChange,
    SystemCreate,
    SystemRead,
    SystemUpdate,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["identity 身份"])


# ---- authentication -------------------------------------------------------------------------------
@router.post("/auth/login", response_model=MeRead, summary="Console login (sets session and CSRF cookies) 登录")
def login(
    body: LoginRequest, request: Request, response: Response, session: WriteSession, runtime: RuntimeDep
) -> MeRead:
    client = request.client.host if request.client else None
    result = service.login(session, username=body.username, password=body.password, kind="session", client=client)
    if result.problem:
        session.commit()  # keep the failure count, lockout and audit record
        raise result.problem
    assert result.user and result.token and result.expires_at
    secure = runtime.settings.cookie_secure
    max_age = int(runtime.settings.session_hours * 3600)
    response.set_cookie(
        SESSION_COOKIE, result.token, httponly=True, samesite="lax", secure=secure, max_age=max_age, path="/"
    )
    # Readable by the page's script so htmx can echo it in X-CSRF-Token; useless to another site.
    response.set_cookie(
        CSRF_COOKIE,
        result.csrf_token or "",
        httponly=False,
        samesite="strict",
        secure=secure,
        max_age=max_age,
        path="/",
    )
    principal = service.principal_for_user(result.user)
    return MeRead(
        kind="user",
        id=principal.id,
        name=principal.name,
        org_id=principal.org_id,
        org_name=result.user.organization.name,
        roles=sorted(principal.roles),
        csrf_token=result.csrf_token,
    )


@router.post("/auth/token", response_model=TokenRead, summary="API bearer token for a staff user 获取令牌")
def token(body: LoginRequest, request: Request, session: WriteSession) -> TokenRead:
    client = request.client.host if request.client else None
    result = service.login(session, username=body.username, password=body.password, kind="bearer", client=client)
    if result.problem:
        session.commit()
        raise result.problem
    assert result.token and result.expires_at
    return TokenRead(access_token=result.token, expires_at=result.expires_at)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Log out 退出")
def logout(request: Request, response: Response, principal: CurrentPrincipal, session: WriteSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()
    if token:
        service.logout(session, actor=principal, token=token)
    out = Response(status_code=status.HTTP_204_NO_CONTENT)
    out.delete_cookie(SESSION_COOKIE, path="/")
    out.delete_cookie(CSRF_COOKIE, path="/")
    return out


@router.get("/auth/me", response_model=MeRead, summary="Who am I 当前身份")
def me(principal: CurrentPrincipal, session: ReadSession) -> MeRead:
    org = session.get(Organization, principal.org_id) if principal.org_id else None
    return MeRead(
        kind=principal.kind,
        id=principal.id,
        name=principal.name,
        org_id=principal.org_id,
        org_name=org.name if org else None,
        roles=sorted(principal.roles),
    )


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT, summary="Change own password 修改密码")
def change_password(body: PasswordChange, principal: CurrentPrincipal, session: WriteSession) -> Response:
    service.change_password(session, actor=principal, old_password=body.old_password, new_password=body.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---- organizations --------------------------------------------------------------------------------
@router.get("/organizations", response_model=list[OrganizationRead], summary="Directory of departments 单位目录")
def list_organizations(principal: CurrentPrincipal, session: ReadSession) -> list[Organization]:
    return service.list_organizations(session, actor=principal)


@router.post("/organizations", response_model=OrganizationRead, status_code=201, summary="Register 登记单位")
def create_organization(body: OrganizationCreate, principal: CurrentPrincipal, session: WriteSession):
    return service.create_organization(session, actor=principal, data=body)


@router.get("/organizations/{org_id}", response_model=OrganizationRead)
def get_organization(org_id: str, principal: CurrentPrincipal, session: ReadSession):
    return service.get_organization(session, actor=principal, org_id=org_id)


@router.patch("/organizations/{org_id}", response_model=OrganizationRead)
def update_organization(org_id: str, body: OrganizationUpdate, principal: CurrentPrincipal, session: WriteSession):
    return service.update_organization(session, actor=principal, org_id=org_id, data=body)


# ---- systems and credentials ----------------------------------------------------------------------
@router.get("/systems", response_model=list[SystemRead], summary="Systems of my organization 应用系统")
def list_systems(principal: CurrentPrincipal, session: ReadSession):
    return service.list_systems(session, actor=principal)


@router.post("/systems", response_model=SystemRead, status_code=201)
def create_system(body: SystemCreate, principal: CurrentPrincipal, session: WriteSession):
    return service.create_system(session, actor=principal, data=body)


@router.get("/systems/{system_id}", response_model=SystemRead)
def get_system(system_id: str, principal: CurrentPrincipal, session: ReadSession):
    return service.get_system(session, actor=principal, system_id=system_id)


@router.patch("/systems/{system_id}", response_model=SystemRead)
def update_system(system_id: str, body: SystemUpdate, principal: CurrentPrincipal, session: WriteSession):
    return service.update_system(session, actor=principal, system_id=system_id, data=body)


@router.get("/systems/{system_id}/credentials", response_model=list[CredentialRead])
def list_credentials(system_id: str, principal: CurrentPrincipal, session: ReadSession):
    return service.list_credentials(session, actor=principal, system_id=system_id)


@router.post(
    "/systems/{system_id}/credentials",
    response_model=IssuedCredential,
    status_code=201,
    summary="Issue an API key (shown once) 签发密钥",
)
def issue_credential(system_id: str, body: CredentialCreate, principal: CurrentPrincipal, session: WriteSession):
    return service.issue_credential(
        session, actor=principal, system_id=system_id, label=body.label, expires_at=body.expires_at
    )


@router.post(
    "/systems/{system_id}/credentials/{key_id}/rotate",
    response_model=IssuedCredential,
    status_code=201,
    summary="Rotate an API key 轮换密钥",
)
def rotate_credential(
    system_id: str, key_id: str, body: CredentialRotate, principal: CurrentPrincipal, session: WriteSession
):
    return service.rotate_credential(
        session, actor=principal, system_id=system_id, key_id=key_id, grace_seconds=body.grace_seconds, label=body.label
    )


@router.post(
    "/systems/{system_id}/credentials/{key_id}/revoke",
    response_model=CredentialRead,
    summary="Revoke an API key at once 吊销密钥",
)
def revoke_credential(system_id: str, key_id: str, principal: CurrentPrincipal, session: WriteSession):
    return service.revoke_credential(session, actor=principal, system_id=system_id, key_id=key_id)


# ---- users ----------------------------------------------------------------------------------------
@router.get("/users", response_model=list[UserRead], summary="Staff of my organization 用户")
def list_users(principal: CurrentPrincipal, session: ReadSession) -> list[UserRead]:
    return [service.user_read(u) for u in service.list_users(session, actor=principal)]


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, principal: CurrentPrincipal, session: WriteSession) -> UserRead:
    return service.user_read(service.create_user(session, actor=principal, data=body))


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(user_id: str, principal: CurrentPrincipal, session: ReadSession) -> UserRead:
    return service.user_read(service.get_user(session, actor=principal, user_id=user_id))


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(user_id: str, body: UserUpdate, principal: CurrentPrincipal, session: WriteSession) -> UserRead:
    return service.user_read(service.update_user(session, actor=principal, user_id=user_id, data=body))


@router.post("/users/{user_id}/unlock", response_model=UserRead)
def unlock_user(user_id: str, principal: CurrentPrincipal, session: WriteSession) -> UserRead:
    return service.user_read(service.unlock_user(session, actor=principal, user_id=user_id))
