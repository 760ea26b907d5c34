"""Shapes of the exchange API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

_IDENT = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"


class SqlBinding(BaseModel):
    """The provider's own database, read through a table or view (提供方数据库, 只读)."""

    kind: Literal["sql"]
    url: str = Field(min_length=8, max_length=500, description="SQLAlchemy URL of a read-only account (secret)")
    table: str = Field(pattern=_IDENT)
    schema_name: str | None = Field(default=None, pattern=_IDENT)
    columns: dict[str, Annotated[str, Field(pattern=_IDENT)]] = Field(description="data item machine name → column")
    updated_at_column: str | None = Field(default=None, pattern=_IDENT)
    verified_at_column: str | None = Field(default=None, pattern=_IDENT)
    timeout_s: float = Field(default=3.0, ge=0.1, le=30)


class HttpBinding(BaseModel):
    """The provider's HTTP API: one GET per key (提供方接口)."""

    kind: Literal["http"]
    url_template: str = Field(pattern=r"^https?://.+\{key\}", max_length=500)
    fields: dict[str, Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        description="data item machine name → JMESPath into the answer"
    )
    auth_header: str | None = Field(default=None, max_length=64)
    auth_value: str | None = Field(default=None, max_length=2000, description="secret")
    updated_at_path: str | None = Field(default=None, max_length=200)
    verified_at_path: str | None = Field(default=None, max_length=200)
    timeout_s: float = Field(default=3.0, ge=0.1, le=30)


BindingCreate = Annotated[SqlBinding | HttpBinding, Field(discriminator="kind")]


class BindingRead(BaseModel):
    resource_code: str
    provider_org_id: str
    kind: str
    config: dict[str, Any]
    has_secret: bool
    version: int
    updated_at: datetime


class QueryRequest(BaseModel):
    """A real-time query (实时查询): up to 100 key values of one resource."""

    keys: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=100, description="values of the key item, e.g. ID numbers"
    )
    key_item: str | None = Field(default=None, max_length=64, description="which key item; default: the first")
    items: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=200, description="data items wanted (machine names); default: all granted"
    )
    purpose_category: str = Field(min_length=2, max_length=32, description="用途类别, e.g. public_service")
    purpose: str = Field(min_length=2, max_length=256, description="用途 (the business at hand)")
    case_ref: str | None = Field(default=None, max_length=64, description="办件编号 for case-bound grants")
    on_behalf_of: str | None = Field(default=None, max_length=128, description="经办人 (else X-On-Behalf-Of)")
    signature_alg: Literal["EdDSA", "SM2-SM3"] = "EdDSA"


class AllowedResource(BaseModel):
    """What a system may ask of one resource (like X-Road's allowedMethods)."""

    code: str
    name: str
    provider_org_id: str
    key_items: list[str]
    items_clear: list[str]
    items_masked: list[str]
    purpose_categories: list[str]
    case_required: bool
    valid_until: datetime
    daily_calls: int | None
    daily_records: int | None
    query_url: str
