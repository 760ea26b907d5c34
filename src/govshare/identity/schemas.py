"""Pydantic shapes of the identity API (XCreate / XUpdate / XRead)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from govshare.identity.principal import OrgKind, OrgLevel, Role


class OrganizationCreate(BaseModel):
    name: str = Field(min_length=2, max_length=128, description="单位名称")
    uscc: str = Field(min_length=1, max_length=40, description="统一社会信用代码 (GB 32100-2015)")
    level: OrgLevel = Field(description="行政层级")
    region_code: str = Field(min_length=1, max_length=12, description="行政区划代码 (GB/T 2260)")
    kind: OrgKind = OrgKind.ordinary
    parent_id: str | None = None
    short_code: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_-]{1,31}$")


class OrganizationUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=2, max_length=128)
    level: OrgLevel | None = None
    region_code: str | None = None
    parent_id: str | None = None
    active: bool | None = None


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    short_code: str | None
    uscc: str
    level: str
    region_code: str
    parent_id: str | None
    kind: str
    active: bool
    created_at: datetime


class SystemCreate(BaseModel):
    org_id: str
    name: str = Field(min_length=2, max_length=128)
    code: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,63}$", description="系统代码 (ASCII)")
    description: str = Field(default="", max_length=2000)


class SystemUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=2, max_length=128)
    description: str | None = Field(default=None, max_length=2000)
    active: bool | None = None


class SystemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    org_id: str
    name: str
    code: str
    description: str
    active: bool
    created_at: datetime


class CredentialCreate(BaseModel):
    label: str = Field(default="", max_length=128)
    expires_at: datetime | None = None


class CredentialRotate(BaseModel):
    #: How long the old key keeps working after rotation, so callers can switch without downtime.
    grace_seconds: int = Field(default=0, ge=0, le=30 * 24 * 3600)
    label: str = Field(default="", max_length=128)


class CredentialRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    key_id: str
    system_id: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    replaced_by: str | None


class IssuedCredential(CredentialRead):
    #: The whole key, shown once: ``gsk_{key_id}.{secret}``.
    api_key: str


class UserCreate(BaseModel):
    org_id: str
    username: str = Field(pattern=r"^[a-zA-Z][a-zA-Z0-9_.-]{2,63}$")
    display_name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=256)
    roles: list[Role] = Field(default_factory=list)


class UserUpdate(BaseModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=64)
    roles: list[Role] | None = None
    active: bool | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    org_id: str
    username: str
    display_name: str
    active: bool
    roles: list[str]
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=8, max_length=256)


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class MeRead(BaseModel):
    kind: str
    id: str
    name: str
    org_id: str | None
    org_name: str | None = None
    roles: list[str]
    csrf_token: str | None = None
