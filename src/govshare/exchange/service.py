"""Exchange logic: provider bindings now; the gateway and feeds build on them."""

from __future__ import annotations

import threading
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare.catalog import service as catalog
from govshare.catalog.vocab import ServedBy
from govshare.db import utcnow
from govshare.errors import invalid
from govshare.exchange.adapters import Adapter, HttpAdapter, SqlAdapter
from govshare.exchange.models import ProviderBinding
from govshare.exchange.schemas import AllowedResource, BindingCreate, BindingRead, HttpBinding, SqlBinding
from govshare.identity.principal import PLATFORM, Principal, Role
from govshare.runtime import audit_of, runtime_of

_SECRET_FIELDS = {"sql": "url", "http": "auth_value"}


def _context(code: str) -> bytes:
    # Binds the ciphertext to its resource: a secret copied onto another binding does not decrypt.
    return f"exchange_binding:{code}".encode()


def bind(session: Session, *, actor: Principal, code: str, data: BindingCreate) -> ProviderBinding:
    """Say where a resource's data lives. Only the provider's org_admin / catalog_manager (or the platform)."""
    resource = catalog.get_by_code(session, actor=actor, code=code)
    actor.require_org(resource.provider_org_id, Role.org_admin, Role.catalog_manager)
    items = {i.machine_name for i in resource.items}
    keys = {i.machine_name for i in resource.items if i.is_key}
    mapping = data.columns if isinstance(data, SqlBinding) else data.fields
    field_name = "columns" if isinstance(data, SqlBinding) else "fields"
    unknown = sorted(set(mapping) - items)
    if unknown:
        raise invalid(
            field_name,
            "binding_unknown_items",
            f"资源没有这些信息项: {', '.join(unknown)}",
            f"the resource has no items named: {', '.join(unknown)}",
        )
    if not keys or not keys <= set(mapping):
        raise invalid(field_name, "binding_key_unmapped", "查询键信息项必须映射", "every key item must be mapped")
    if isinstance(data, HttpBinding):
        for item, path in mapping.items():
            try:
                jmespath.compile(path)
            except JMESPathError:
                raise invalid(
                    f"fields.{item}",
                    "binding_bad_path",
                    f"JMESPath 表达式无效: {path}",
                    f"invalid JMESPath expression: {path}",
                ) from None
    config = data.model_dump(exclude={_SECRET_FIELDS[data.kind]})
    secret_value = getattr(data, _SECRET_FIELDS[data.kind])
    keys_store = runtime_of(session).keys
    secret = keys_store.seal_secret(secret_value, context=_context(code)) if secret_value else None

    binding = session.scalar(select(ProviderBinding).where(ProviderBinding.resource_code == code))
    if binding is None:
        binding = ProviderBinding(
            resource_code=code,
            provider_org_id=resource.provider_org_id,
            kind=data.kind,
            config=config,
            secret=secret,
            version=1,
            updated_by=actor.id,
        )
        session.add(binding)
    else:
        binding.kind, binding.config, binding.secret = data.kind, config, secret
        binding.version += 1
        binding.updated_by = actor.id
    session.flush()
    served = ServedBy.provider_database if data.kind == "sql" else ServedBy.provider_api
    # The right was checked above (the provider's org_admin may bind, not only its catalog manager); the catalog
    # records how the resource is served on the platform's authority.
    catalog.set_served_by(
        session, actor=PLATFORM, resource_id=resource.id, served_by=served, ref=f"binding:{binding.id}"
    )
    audit_of(session).record(
        session,
        actor=actor,
        action="exchange.binding.set",
        object_type="resource",
        object_id=code,
        object_org_id=resource.provider_org_id,
        detail={"kind": data.kind, "version": binding.version, "config": config},
    )
    return binding


def binding_read(b: ProviderBinding) -> BindingRead:
    return BindingRead(
        resource_code=b.resource_code,
        provider_org_id=b.provider_org_id,
        kind=b.kind,
        config=b.config,
        has_secret=bool(b.secret),
        version=b.version,
        updated_at=b.updated_at,
    )


def get_binding(session: Session, *, actor: Principal, code: str) -> ProviderBinding:
    resource = catalog.get_by_code(session, actor=actor, code=code)
    actor.require_org(resource.provider_org_id, Role.org_admin, Role.catalog_manager, Role.auditor)
    binding = session.scalar(select(ProviderBinding).where(ProviderBinding.resource_code == code))
    if binding is None:
        from govshare.errors import not_found

        raise not_found("binding", "数据源绑定", code)
    return binding


class AdapterCache:
    """Adapters (with their engines and HTTP clients) live as long as their binding's version."""

    def __init__(self) -> None:
        self._adapters: dict[str, tuple[int, Adapter]] = {}
        self._lock = threading.Lock()

    def cached(self, code: str, version: int) -> Adapter | None:
        """The adapter built for ``version`` of ``code``'s binding, if it is the one cached."""
        hit = self._adapters.get(code)
        return hit[1] if hit is not None and hit[0] == version else None

    def adapter_for(
        self, session: Session, code: str, *, version: int | None
    ) -> tuple[ProviderBinding | None, Adapter] | None:
        """The adapter of ``code``'s binding, or None if it has none. ``version`` is the binding's version as the
        caller read it with its other look-ups (the gateway's check); the row is read only when it changed."""
        if version is None:
            return None
        cached = self._adapters.get(code)
        if cached is not None and cached[0] == version:
            return None, cached[1]
        binding = session.scalar(select(ProviderBinding).where(ProviderBinding.resource_code == code))
        adapter = build_adapter(session, binding)
        with self._lock:
            old = self._adapters.get(code)
            self._adapters[code] = (binding.version, adapter)
        if old is not None and hasattr(old[1], "close"):
            old[1].close()
        return binding, adapter

    def close(self) -> None:
        for _, adapter in self._adapters.values():
            if hasattr(adapter, "close"):
                adapter.close()
        self._adapters.clear()


def build_adapter(session: Session, binding: ProviderBinding) -> Adapter:
    keys_store = runtime_of(session).keys
    secret = keys_store.open_secret(binding.secret, context=_context(binding.resource_code)) if binding.secret else None
    c: dict[str, Any] = binding.config
    if binding.kind == "sql":
        return SqlAdapter(
            url=secret or "",
            table_name=c["table"],
            schema=c.get("schema_name"),
            columns=c["columns"],
            updated_at_column=c.get("updated_at_column"),
            verified_at_column=c.get("verified_at_column"),
            timeout_s=c.get("timeout_s", 3.0),
        )
    return HttpAdapter(
        url_template=c["url_template"],
        fields=c["fields"],
        auth_header=c.get("auth_header"),
        auth_value=secret,
        updated_at_path=c.get("updated_at_path"),
        verified_at_path=c.get("verified_at_path"),
        timeout_s=c.get("timeout_s", 3.0),
    )


def allowed_resources(session: Session, *, actor: Principal) -> list[AllowedResource]:
    """Resources the calling system may query now, through its active grants, and how."""
    if not actor.is_system:
        from govshare.errors import forbidden

        raise forbidden("只有应用系统可以查询可用资源", "only systems list what they may query")
    from govshare.sharing import catalog_port
    from govshare.sharing import service as sharing

    now = utcnow()
    merged: dict[str, AllowedResource] = {}
    for g in sharing.list_grants(session, actor=actor, system_id=actor.id):
        if not sharing.grant_effective(g, now):
            continue
        info = catalog_port.resource_by_code(session, g.resource_code)
        if info is None or not info.listed:
            continue
        entry = merged.get(g.resource_code)
        if entry is None:
            entry = merged[g.resource_code] = AllowedResource(
                code=info.code,
                name=info.name,
                provider_org_id=info.provider_org_id,
                key_items=[i.machine_name for i in info.items if i.is_key],
                items_clear=[],
                items_masked=[],
                purpose_categories=[],
                case_required=g.case_required,
                valid_until=g.valid_until,
                daily_calls=g.daily_calls,
                daily_records=g.daily_records,
                query_url=f"/exchange/v1/resources/{info.code}/query",
            )
        entry.items_clear = sorted(set(entry.items_clear) | set(g.items))
        entry.items_masked = sorted(set(entry.items_masked) | set(g.masked_items))
        entry.purpose_categories = sorted({*entry.purpose_categories, g.purpose_category})
        entry.valid_until = max(entry.valid_until, g.valid_until)
    return sorted(merged.values(), key=lambda r: r.code)
