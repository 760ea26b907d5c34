"""Identity logic: the only code that writes organizations, systems, credentials, users and logins.

Every function takes the acting :class:`Principal` and a ``session``; it checks the right, makes the
change and appends the audit record in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from govshare.db import utcnow
from govshare.errors import Problem, conflict, forbidden, invalid, not_found, unauthenticated
from govshare.identity.models import ApiCredential, AuthToken, Organization, System, User, UserRole
from govshare.identity.permissions import scope_to_org, visible_or_404
from govshare.identity.principal import OrgKind, Principal, Role
from govshare.identity.schemas import (
    CredentialRead,
    IssuedCredential,
    OrganizationCreate,
    OrganizationUpdate,
    SystemCreate,
    SystemUpdate,
    UserCreate,
    UserRead,
    UserUpdate,
)
from govshare.runtime import audit_of, runtime_of
from govshare.standards.identifiers import IdentifierError, validate_uscc
from govshare.standards.regions import is_valid_region

API_KEY_PREFIX = "gsk_"
_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
#: Verified against when the username is unknown, so a login takes as long either way (no user probing).
_DUMMY_HASH = _hasher.hash("govshare-no-such-user")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ---- organizations --------------------------------------------------------------------------------
def _check_uscc(value: str) -> str:
    try:
        return validate_uscc(value)
    except IdentifierError as exc:
        raise invalid("uscc", exc.code, exc.message_zh, exc.message_en) from None


def _check_region(value: str) -> str:
    if not is_valid_region(value):
        raise invalid(
            "region_code",
            "region_code_invalid",
            f"行政区划代码无效: {value}",
            f"not a valid GB/T 2260 region code: {value}",
        )
    return value


def create_organization(session: Session, *, actor: Principal, data: OrganizationCreate) -> Organization:
    if not actor.is_platform_admin:
        raise forbidden("只有平台管理员可以登记单位", "only platform administrators register organizations")
    uscc = _check_uscc(data.uscc)
    _check_region(data.region_code)
    if data.parent_id is not None and session.get(Organization, data.parent_id) is None:
        raise not_found("organization", "单位", field="parent_id")
    if data.kind == OrgKind.platform_operator:
        existing = session.scalar(select(Organization.id).where(Organization.kind == OrgKind.platform_operator))
        if existing:
            raise conflict(
                "platform_operator_exists", "平台运营单位已存在", "a platform operator already exists", field="kind"
            )
    for column, value, field_name in (
        (Organization.uscc, uscc, "uscc"),
        (Organization.name, data.name, "name"),
        (Organization.short_code, data.short_code, "short_code"),
    ):
        if value is not None and session.scalar(select(Organization.id).where(column == value)):
            raise conflict(
                f"organization_{field_name}_taken",
                f"单位的{field_name}已被使用: {value}",
                f"organization {field_name} already registered: {value}",
                field=field_name,
            )
    org = Organization(
        name=data.name,
        uscc=uscc,
        level=data.level.value,
        region_code=data.region_code,
        kind=data.kind.value,
        parent_id=data.parent_id,
        short_code=data.short_code,
    )
    session.add(org)
    session.flush()
    audit_of(session).record(
        session,
        actor=actor,
        action="identity.organization.create",
        object_type="organization",
        object_id=org.id,
        object_org_id=org.id,
        detail={"name": org.name, "uscc": org.uscc},
    )
    return org


def update_organization(session: Session, *, actor: Principal, org_id: str, data: OrganizationUpdate) -> Organization:
    if not actor.is_platform_admin:
        raise forbidden("只有平台管理员可以修改单位", "only platform administrators change organizations")
    org = session.get(Organization, org_id)
    if org is None:
        raise not_found("organization", "单位")
    changes = data.model_dump(exclude_unset=True)
    if "region_code" in changes and changes["region_code"] is not None:
        _check_region(changes["region_code"])
    if changes.get("parent_id") is not None:
        if changes["parent_id"] == org.id or session.get(Organization, changes["parent_id"]) is None:
            raise invalid("parent_id", "parent_invalid", "上级单位无效", "invalid parent organization")
    if changes.get("name") and changes["name"] != org.name:
        if session.scalar(select(Organization.id).where(Organization.name == changes["name"])):
            raise conflict("organization_name_taken", "单位名称已被使用", "organization name taken", field="name")
    for key, value in changes.items():
        if value is not None or key == "parent_id":
            setattr(org, key, value.value if hasattr(value, "value") else value)
    session.flush()
    audit_of(session).record(
        session,
        actor=actor,
        action="identity.organization.update",
        object_type="organization",
        object_id=org.id,
        object_org_id=org.id,
        detail={"changes": {k: str(v) for k, v in changes.items()}},
    )
    return org


def list_organizations(session: Session, *, actor: Principal) -> list[Organization]:
    """The directory of departments is visible to all staff and systems (names and codes are public)."""
    return list(session.scalars(select(Organization).order_by(Organization.name)))


def get_organization(session: Session, *, actor: Principal, org_id: str) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise not_found("organization", "单位")
    return org


def platform_operator(session: Session) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.kind == OrgKind.platform_operator))


# ---- systems --------------------------------------------------------------------------------------
def create_system(session: Session, *, actor: Principal, data: SystemCreate) -> System:
    if session.get(Organization, data.org_id) is None:
        raise not_found("organization", "单位", field="org_id")
    actor.require_org(data.org_id, Role.org_admin)
    if session.scalar(select(System.id).where(System.org_id == data.org_id, System.code == data.code)):
        raise conflict(
            "system_code_taken", f"本单位已有系统代码 {data.code}", f"system code taken: {data.code}", field="code"
        )
    system = System(org_id=data.org_id, name=data.name, code=data.code, description=data.description)
    session.add(system)
    session.flush()
    audit_of(session).record(
        session,
        actor=actor,
        action="identity.system.create",
        object_type="system",
        object_id=system.id,
        object_org_id=system.org_id,
        detail={"code": system.code},
    )
    return system


def list_systems(session: Session, *, actor: Principal) -> list[System]:
    return list(session.scalars(scope_to_org(select(System), System.org_id, actor).order_by(System.code)))


def get_system(session: Session, *, actor: Principal, system_id: str) -> System:
    system = session.get(System, system_id)
    return visible_or_404(system, system.org_id if system else None, actor, "system", "应用系统")


def update_system(session: Session, *, actor: Principal, system_id: str, data: SystemUpdate) -> System:
    system = get_system(session, actor=actor, system_id=system_id)
    actor.require_org(system.org_id, Role.org_admin)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for key, value in changes.items():
        setattr(system, key, value)
    session.flush()
    audit_of(session).record(
        session,
        actor=actor,
        action="identity.system.update",
        object_type="system",
        object_id=system.id,
        object_org_id=system.org_id,
        detail={"changes": changes},
    )
    return system


# ---- API credentials ------------------------------------------------------------------------------
def _new_credential(system: System, label: str, expires_at: datetime | None) -> tuple[ApiCredential, str]:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    cred = ApiCredential(
        key_id=key_id, system_id=system.id, secret_hash=_sha256(secret), label=label, expires_at=expires_at
    )
    return cred, f"{API_KEY_PREFIX}{key_id}.{secret}"


def _issued(cred: ApiCredential, api_key: str) -> IssuedCredential:
    return IssuedCredential(**CredentialRead.model_validate(cred).model_dump(), api_key=api_key)


def issue_credential(
    session: Session, *, actor: Principal, system_id: str, label: str = "", expires_at: datetime | None = None
) -> IssuedCredential:
    system = get_system(session, actor=actor, system_id=system_id)
    actor.require_org(system.org_id, Role.org_admin)
    if expires_at is not None and expires_at <= utcnow():
        raise invalid("expires_at", "expires_in_past", "过期时间必须晚于现在", "expiry must be in the future")
    cred, api_key = _new_credential(system, label, expires_at)
    session.add(cred)
    session.flush()
    audit_of(session).record(
        session,
        actor=actor,
        action="identity.credential.issue",
        object_type="credential",
        object_id=cred.key_id,
        object_org_id=system.org_id,
        detail={"system_id": system.id},
    )
    return _issued(cred, api_key)


def _credential_of(session: Session, actor: Principal, system_id: str, key_id: str) -> tuple[System, ApiCredential]:
    system = get_system(session, actor=actor, system_id=system_id)
    actor.require_org(system.org_id, Role.org_admin)
    cred = session.scalar(
        select(ApiCredential).where(ApiCredential.key_id == key_id, ApiCredential.system_id == system.id)
    )
    if cred is None:
        raise not_found("credential", "凭证", key_id)
    return system, cred


def rotate_credential(
    session: Session, *, actor: Principal, system_id: str, key_id: str, grace_seconds: int = 0, label: str = ""
) -> IssuedCredential:
    """Issue a successor key; the old one stops at once or after ``grace_seconds``."""
    system, old = _credential_of(session, actor, system_id, key_id)
    now = utcnow()
    if old.revoked_at is not None or (old.expires_at is not None and old.expires_at <= now):
        raise conflict("credential_inactive", "凭证已失效,不能轮换", "credential is no longer active")
    new, api_key = _new_credential(system, label or old.label, None)
    session.add(new)
    old.replaced_by = new.key_id
    if grace_seconds == 0:
        old.revoked_at = now
    else:
        cutoff = now + timedelta(seconds=grace_seconds)
        old.expires_at = min(old.expires_at, cutoff) if old.expires_at else cutoff
    session.flush()
    audit_of(session).record(
        session,
        actor=actor,
        action="identity.credential.rotate",
        object_type="credential",
        object_id=old.key_id,
        object_org_id=system.org_id,
        detail={"successor": new.key_id, "grace_seconds": grace_seconds},
    )
    return _issued(new, api_key)


def revoke_credential(session: Session, *, actor: Principal, system_id: str, key_id: str) -> ApiCredential:
    system, cred = _credential_of(session, actor, system_id, key_id)
    if cred.revoked_at is None:
        cred.revoked_at = utcnow()
        session.flush()
        audit_of(session).record(
            session,
            actor=actor,
            action="identity.credential.revoke",
            object_type="credential",
            object_id=cred.key_id,
            object_org_id=system.org_id,
        )
    return cred


def list_credentials(session: Session, *, actor: Principal, system_id: str) -> list[ApiCredential]:
    system = get_system(session, actor=actor, system_id=system_id)
    actor.require_org(system.org_id, Role.org_admin, Role.auditor)
    return list(
        session.scalars(
            select(ApiCredential).where(ApiCredential.system_id == system.id).order_by(ApiCredential.created_at)
        )
    )


#: Columns of an API-key look-up; ``principal_from_key_row`` reads them in this order.
_KEY_COLUMNS = (
    ApiCredential.secret_hash,
    ApiCredential.revoked_at,
    ApiCredential.expires_at,
    System.id,
    System.name,
    System.active,
    Organization.id,
    Organization.active,
    Organization.kind,
)


def api_key_statement(*extra: Any) -> Select:
    """The API-key look-up (bound parameter ``key_id``), with ``extra`` columns appended after the key's own —
    the gateway adds the policy epoch and the binding version to make its whole check one round trip. Build
    it once at import: constructing a statement costs more than running the cached compiled form."""
    return (
        select(*_KEY_COLUMNS, *extra)
        .join(System, System.id == ApiCredential.system_id)
        .join(Organization, Organization.id == System.org_id)
        .where(ApiCredential.key_id == bindparam("key_id"))
    )


_KEY_LOOKUP = api_key_statement()


def split_api_key(api_key: str) -> tuple[str, str]:
    """``gsk_{key_id}.{secret}`` → (key_id, secret)."""
    if not api_key.startswith(API_KEY_PREFIX) or "." not in api_key:
        raise unauthenticated("API 密钥格式无效", "malformed API key")
    key_id, _, secret = api_key[len(API_KEY_PREFIX) :].partition(".")
    return key_id, secret


def principal_from_key_row(row: Any, secret: str) -> Principal:
    """Check a row of :func:`api_key_statement` against the presented secret; the system it names."""
    if row is None or not hmac.compare_digest(row[0], _sha256(secret)):
        raise unauthenticated("API 密钥无效", "invalid API key")
    _, revoked_at, expires_at, system_id, system_name, system_active, org_id, org_active, org_kind = row[:9]
    if revoked_at is not None or (expires_at is not None and expires_at <= utcnow()):
        raise unauthenticated("API 密钥已吊销或过期", "API key revoked or expired")
    if not system_active or not org_active:
        raise unauthenticated("应用系统或单位已停用", "system or organization disabled")
    return Principal(
        kind="system",
        id=system_id,
        org_id=org_id,
        name=system_name,
        org_is_operator=org_kind == OrgKind.platform_operator,
    )


def authenticate_api_key(session: Session, api_key: str) -> Principal:
    """Resolve ``gsk_{key_id}.{secret}`` to its system. One indexed lookup; no cache, so revocation is immediate."""
    key_id, secret = split_api_key(api_key)
    # Columns, not entities: this runs on every call, and ORM identity-map work would dominate it.
    row = session.connection().execute(_KEY_LOOKUP, {"key_id": key_id}).first()
    return principal_from_key_row(row, secret)


# ---- users ----------------------------------------------------------------------------------------
def user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        org_id=user.org_id,
        username=user.username,
        display_name=user.display_name,
        active=user.active,
        roles=[r.role for r in user.roles],
        locked_until=user.locked_until,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
    )


def _check_roles(session: Session, actor: Principal, org_id: str, roles: list[Role]) -> None:
    if Role.platform_admin in roles:
        org = session.get(Organization, org_id)
        if org is None or org.kind != OrgKind.platform_operator:
            raise invalid(
                "roles",
                "role_not_allowed",
                "平台管理员只能属于平台运营单位(数据局)",
                "platform_admin is only for the platform operator's staff",
            )
        if not actor.is_platform_admin:
            raise forbidden("只有平台管理员可以授予平台管理员角色", "only platform admins grant platform_admin")


def create_user(session: Session, *, actor: Principal, data: UserCreate) -> User:
    if session.get(Organization, data.org_id) is None:
        raise not_found("organization", "单位", field="org_id")
    actor.require_org(data.org_id, Role.org_admin)
    _check_roles(session, actor, data.org_id, data.roles)
    if session.scalar(select(User.id).where(User.username == data.username)):
        raise conflict(
            "username_taken", f"用户名已被使用: {data.username}", f"username taken: {data.username}", field="username"
        )
    user = User(
        org_id=data.org_id,
        username=data.username,
        display_name=data.display_name,
        password_hash=_hasher.hash(data.password),
    )
    user.roles = [UserRole(role=r.value) for r in sorted(set(data.roles))]
    session.add(user)
    session.flush()
    audit_of(session).record(
        session,
        actor=actor,
        action="identity.user.create",
        object_type="user",
        object_id=user.id,
        object_org_id=user.org_id,
        detail={"username": user.username, "roles": [r.value for r in data.roles]},
    )
    return user


def list_users(session: Session, *, actor: Principal) -> list[User]:
    if not actor.is_platform_admin:
        actor.require(Role.org_admin, Role.auditor)
    return list(session.scalars(scope_to_org(select(User), User.org_id, actor).order_by(User.username)))


def get_user(session: Session, *, actor: Principal, user_id: str) -> User:
    user = session.get(User, user_id)
    user = visible_or_404(user, user.org_id if user else None, actor, "user", "用户")
    if actor.id != user.id and not actor.is_platform_admin:
        actor.require(Role.org_admin, Role.auditor)
    return user


def update_user(session: Session, *, actor: Principal, user_id: str, data: UserUpdate) -> User:
    user = get_user(session, actor=actor, user_id=user_id)
    actor.require_org(user.org_id, Role.org_admin)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if data.roles is not None:
        _check_roles(session, actor, user.org_id, data.roles)
        if (
            user.id == actor.id
            and Role.org_admin in actor.roles
            and Role.org_admin not in data.roles
            and not actor.is_platform_admin
        ):
            raise invalid(
                "roles", "cannot_drop_own_admin", "不能撤销自己的管理员角色", "you cannot remove your own admin role"
            )
        user.roles = [UserRole(role=r.value) for r in sorted(set(data.roles))]
        changes["roles"] = [r.value for r in data.roles]
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.active is not None:
        user.active = data.active
        if not data.active:
            _revoke_tokens(session, user.id)
    session.flush()
    audit_of(session).record(
        session,
        actor=actor,
        action="identity.user.update",
        object_type="user",
        object_id=user.id,
        object_org_id=user.org_id,
        detail={"changes": changes},
    )
    return user


def unlock_user(session: Session, *, actor: Principal, user_id: str) -> User:
    user = get_user(session, actor=actor, user_id=user_id)
    actor.require_org(user.org_id, Role.org_admin)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    audit_of(session).record(
        session,
        actor=actor,
        action="identity.user.unlock",
        object_type="user",
        object_id=user.id,
        object_org_id=user.org_id,
    )
    return user


def change_password(session: Session, *, actor: Principal, old_password: str, new_password: str) -> None:
    user = session.get(User, actor.id) if actor.is_user else None
    if user is None:
        raise forbidden("只有工作人员可以修改密码", "only staff users have passwords")
    try:
        _hasher.verify(user.password_hash, old_password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise invalid("old_password", "password_wrong", "原密码不正确", "old password is wrong") from None
    user.password_hash = _hasher.hash(new_password)
    _revoke_tokens(session, user.id)
    audit_of(session).record(
        session,
        actor=actor,
        action="identity.user.password_change",
        object_type="user",
        object_id=user.id,
        object_org_id=user.org_id,
    )


def _revoke_tokens(session: Session, user_id: str) -> None:
    now = utcnow()
    for token in session.scalars(select(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))):
        token.revoked_at = now


# ---- login ----------------------------------------------------------------------------------------
@dataclass(slots=True)
class LoginResult:
    """Outcome of a login attempt. Failures are committed (counter, lockout, audit) before the error is raised,
    so a router raises :attr:`problem` only after its write session has committed."""

    user: User | None = None
    token: str | None = None
    csrf_token: str | None = None
    expires_at: datetime | None = None
    problem: Problem | None = None


def principal_for_user(user: User) -> Principal:
    return Principal(
        kind="user",
        id=user.id,
        org_id=user.org_id,
        name=user.display_name,
        roles=frozenset(Role(r.role) for r in user.roles),
        org_is_operator=user.organization.kind == OrgKind.platform_operator,
    )


def login(
    session: Session, *, username: str, password: str, kind: str = "session", client: str | None = None
) -> LoginResult:
    settings = runtime_of(session).settings
    audit = audit_of(session)
    anonymous = Principal(kind="public", id=f"login:{username}"[:64], org_id=None, name=username)
    user = session.scalar(select(User).where(User.username == username))
    now = utcnow()
    bad = Problem(401, "login_failed", "用户名或密码错误", "wrong username or password")
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        audit.record(
            session,
            actor=anonymous,
            action="identity.login",
            outcome="denied",
            detail={"reason": "unknown_user", "client": client},
        )
        return LoginResult(problem=bad)
    actor = principal_for_user(user)
    if not user.active or not user.organization.active:
        audit.record(
            session,
            actor=actor,
            action="identity.login",
            outcome="denied",
            object_type="user",
            object_id=user.id,
            object_org_id=user.org_id,
            detail={"reason": "inactive", "client": client},
        )
        return LoginResult(problem=Problem(403, "account_disabled", "账号已停用", "account disabled"))
    if user.locked_until is not None and user.locked_until > now:
        audit.record(
            session,
            actor=actor,
            action="identity.login",
            outcome="denied",
            object_type="user",
            object_id=user.id,
            object_org_id=user.org_id,
            detail={"reason": "locked", "client": client},
        )
        return LoginResult(
            problem=Problem(
                423,
                "account_locked",
                f"登录失败次数过多,账号已锁定至 {user.locked_until:%Y-%m-%d %H:%M} (UTC)",
                f"too many failed logins; account locked until {user.locked_until:%Y-%m-%d %H:%M} UTC",
                extra={"locked_until": user.locked_until.isoformat()},
            )
        )
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_logins += 1
        detail = {"reason": "bad_password", "failures": user.failed_logins, "client": client}
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
            user.failed_logins = 0
            detail["locked_until"] = user.locked_until.isoformat()
        audit.record(
            session,
            actor=actor,
            action="identity.login",
            outcome="denied",
            object_type="user",
            object_id=user.id,
            object_org_id=user.org_id,
            detail=detail,
        )
        return LoginResult(user=user, problem=bad)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24) if kind == "session" else None
    expires = now + timedelta(hours=settings.session_hours)
    session.add(AuthToken(token_hash=_sha256(token), user_id=user.id, kind=kind, csrf_token=csrf, expires_at=expires))
    audit.record(
        session,
        actor=actor,
        action="identity.login",
        object_type="user",
        object_id=user.id,
        object_org_id=user.org_id,
        detail={"kind": kind, "client": client},
    )
    return LoginResult(user=user, token=token, csrf_token=csrf, expires_at=expires)


@dataclass(frozen=True, slots=True)
class TokenAuth:
    principal: Principal
    kind: str
    csrf_token: str | None


def authenticate_token(session: Session, token: str, *, kind: str | None = None) -> TokenAuth:
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == _sha256(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow() or (kind and row.kind != kind):
        raise unauthenticated("登录已失效,请重新登录", "session expired or invalid; please log in again")
    user = session.get(User, row.user_id)
    if user is None or not user.active or not user.organization.active:
        raise unauthenticated("账号已停用", "account disabled")
    return TokenAuth(principal_for_user(user), row.kind, row.csrf_token)


def logout(session: Session, *, actor: Principal, token: str) -> None:
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == _sha256(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        audit_of(session).record(
            session,
            actor=actor,
            action="identity.logout",
            object_type="user",
            object_id=row.user_id,
            object_org_id=actor.org_id,
        )
