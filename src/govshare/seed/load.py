"""Write the demo city into the store through the identity service (never around it).

Everything goes through :mod:`govshare.identity.service`, so rights are checked and every creation is
audited like any other. The caller owns the transaction: this module flushes through the service but
never commits or rolls back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govshare.identity.principal import OrgKind
from govshare.seed.city import DEMO_PASSWORD, City

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from govshare.identity.principal import Principal


def load_city(session: Session, city: City, *, actor: Principal) -> dict[str, Any]:
    """Create the departments, their systems (one API credential each) and staff of ``city``.

    ``actor`` is normally :data:`govshare.identity.principal.PLATFORM`. The platform operator (数据局) is
    created first, so that later steps which look it up find it. Returns a summary for ``make demo``::

        {"city": ..., "region_code": ..., "password": DEMO_PASSWORD,
         "organizations": [{"id", "name", "short_code", "uscc", "kind"}],
         "systems": [{"id", "org", "name", "code", "key_id", "api_key"}],   # api_key: shown once
         "users": [{"id", "org", "username", "display_name", "roles"}]}
    """
    # Imported here: the identity service pulls in the database layer, the rest of the seed package must not.
    from govshare.identity import service
    from govshare.identity.schemas import OrganizationCreate, SystemCreate, UserCreate

    summary: dict[str, Any] = {
        "city": city.name,
        "region_code": city.region_code,
        "seed": city.seed,
        "password": DEMO_PASSWORD,
        "organizations": [],
        "systems": [],
        "users": [],
    }
    operator_first = sorted(city.departments, key=lambda d: d.kind != OrgKind.platform_operator)
    for dept in operator_first:
        org = service.create_organization(
            session,
            actor=actor,
            data=OrganizationCreate(
                name=dept.name,
                uscc=dept.uscc,
                level=dept.level,
                region_code=dept.region_code,
                kind=dept.kind,
                short_code=dept.short_code,
            ),
        )
        summary["organizations"].append(
            {"id": org.id, "name": dept.name, "short_code": dept.short_code, "uscc": dept.uscc, "kind": str(dept.kind)}
        )
        for spec in dept.systems:
            system = service.create_system(
                session,
                actor=actor,
                data=SystemCreate(org_id=org.id, name=spec.name, code=spec.code, description=spec.description),
            )
            credential = service.issue_credential(session, actor=actor, system_id=system.id, label="demo")
            summary["systems"].append(
                {
                    "id": system.id,
                    "org": dept.short_code,
                    "name": spec.name,
                    "code": spec.code,
                    "key_id": credential.key_id,
                    "api_key": credential.api_key,
                }
            )
        for staff in dept.staff:
            user = service.create_user(
                session,
                actor=actor,
                data=UserCreate(
                    org_id=org.id,
                    username=staff.username,
                    display_name=staff.display_name,
                    password=staff.password,
                    roles=list(staff.roles),
                ),
            )
            summary["users"].append(
                {
                    "id": user.id,
                    "org": dept.short_code,
                    "username": staff.username,
                    "display_name": staff.display_name,
                    "roles": [str(r) for r in staff.roles],
                }
            )
    return summary
