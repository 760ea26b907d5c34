"""sharing workflow: requests, grants, agreements, quotas, objections, demands, notifications

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-25

Independent of the catalog (0002) and library (0003) branches: catalog rows are referenced by plain indexed
``resource_id`` / ``resource_code`` strings, so this branch has foreign keys only to identity tables (0001).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import govshare.db  # noqa: F401  (custom column types)

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sharing_epoch",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_epoch")),
    )
    op.create_table(
        "sharing_setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sharing_setting")),
    )
    op.create_table(
        "sharing_demand",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.String(length=32), nullable=False),
        sa.Column("posted_by", sa.String(length=64), nullable=False),
        sa.Column("posted_by_name", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("purpose_category", sa.String(length=32), nullable=True),
        sa.Column("suspected_org_id", sa.String(length=32), nullable=True),
        sa.Column("suspected_holder", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("routed_org_id", sa.String(length=32), nullable=True),
        sa.Column("routed_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("routed_by", sa.String(length=64), nullable=True),
        sa.Column("route_note", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("resource_code", sa.String(length=32), nullable=True),
        sa.Column("answered_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_sharing_demand_org_id_organization")),
        sa.ForeignKeyConstraint(
            ["routed_org_id"], ["organization.id"], name=op.f("fk_sharing_demand_routed_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["suspected_org_id"], ["organization.id"], name=op.f("fk_sharing_demand_suspected_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_demand")),
        sa.UniqueConstraint("number", name=op.f("uq_sharing_demand_number")),
    )
    with op.batch_alter_table("sharing_demand", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sharing_demand_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_sharing_demand_routed", ["routed_org_id", "status"], unique=False)
        batch_op.create_index("ix_sharing_demand_status", ["status", "created_at"], unique=False)

    op.create_table(
        "sharing_objection",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("consumer_org_id", sa.String(length=32), nullable=False),
        sa.Column("raised_by", sa.String(length=64), nullable=False),
        sa.Column("raised_by_name", sa.String(length=128), nullable=False),
        sa.Column("provider_org_id", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("resource_code", sa.String(length=32), nullable=False),
        sa.Column("resource_name", sa.String(length=200), nullable=False),
        sa.Column("grant_id", sa.String(length=32), nullable=True),
        sa.Column("record_ref", sa.String(length=200), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("due_approximate", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("correction", sa.JSON(), nullable=True),
        sa.Column("answered_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=False),
        sa.Column("escalated_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_org_id"], ["organization.id"], name=op.f("fk_sharing_objection_consumer_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["provider_org_id"], ["organization.id"], name=op.f("fk_sharing_objection_provider_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_objection")),
        sa.UniqueConstraint("number", name=op.f("uq_sharing_objection_number")),
    )
    with op.batch_alter_table("sharing_objection", schema=None) as batch_op:
        batch_op.create_index("ix_sharing_objection_consumer", ["consumer_org_id", "status"], unique=False)
        batch_op.create_index("ix_sharing_objection_provider_status", ["provider_org_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_sharing_objection_resource_code"), ["resource_code"], unique=False)

    op.create_table(
        "sharing_notification",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.String(length=32), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=True),
        sa.Column("object_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_sharing_notification_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_sharing_notification_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_notification")),
    )
    with op.batch_alter_table("sharing_notification", schema=None) as batch_op:
        batch_op.create_index("ix_sharing_notification_org", ["org_id", "created_at"], unique=False)
        batch_op.create_index("ix_sharing_notification_user", ["user_id", "created_at"], unique=False)

    op.create_table(
        "sharing_request",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("consumer_org_id", sa.String(length=32), nullable=False),
        sa.Column("system_id", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_by_name", sa.String(length=128), nullable=False),
        sa.Column("provider_org_id", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("resource_code", sa.String(length=32), nullable=False),
        sa.Column("resource_name", sa.String(length=200), nullable=False),
        sa.Column("resource_version", sa.Integer(), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("purpose_category", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("service_items", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("expected_daily_calls", sa.Integer(), nullable=True),
        sa.Column("expected_daily_records", sa.Integer(), nullable=True),
        sa.Column("case_bound", sa.Boolean(), nullable=False),
        sa.Column("contact_name", sa.String(length=64), nullable=False),
        sa.Column("contact_phone", sa.String(length=32), nullable=False),
        sa.Column("submitted_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reply_working_days", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_approximate", sa.Boolean(), nullable=False),
        sa.Column("clock_paused_on", sa.Date(), nullable=True),
        sa.Column("clock_remaining", sa.Integer(), nullable=True),
        sa.Column("info_request", sa.Text(), nullable=False),
        sa.Column("info_response", sa.Text(), nullable=False),
        sa.Column("escalated_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_by_org_id", sa.String(length=32), nullable=True),
        sa.Column("decision_via", sa.String(length=16), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("reject_category", sa.String(length=32), nullable=True),
        sa.Column("approved_items", sa.JSON(), nullable=True),
        sa.Column("approved_valid_until", sa.Date(), nullable=True),
        sa.Column("narrowed", sa.Boolean(), nullable=False),
        sa.Column("grant_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_org_id"], ["organization.id"], name=op.f("fk_sharing_request_consumer_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["provider_org_id"], ["organization.id"], name=op.f("fk_sharing_request_provider_org_id_organization")
        ),
        sa.ForeignKeyConstraint(["system_id"], ["system.id"], name=op.f("fk_sharing_request_system_id_system")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_request")),
        sa.UniqueConstraint("number", name=op.f("uq_sharing_request_number")),
    )
    with op.batch_alter_table("sharing_request", schema=None) as batch_op:
        batch_op.create_index("ix_sharing_request_consumer_status", ["consumer_org_id", "status"], unique=False)
        batch_op.create_index("ix_sharing_request_provider_status", ["provider_org_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_sharing_request_resource_code"), ["resource_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_sharing_request_resource_id"), ["resource_id"], unique=False)
        batch_op.create_index("ix_sharing_request_status_due", ["status", "due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_sharing_request_system_id"), ["system_id"], unique=False)

    op.create_table(
        "sharing_grant",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("consumer_org_id", sa.String(length=32), nullable=False),
        sa.Column("system_id", sa.String(length=32), nullable=False),
        sa.Column("provider_org_id", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("resource_code", sa.String(length=32), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("masked_items", sa.JSON(), nullable=False),
        sa.Column("purpose_category", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("case_required", sa.Boolean(), nullable=False),
        sa.Column("valid_from", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("daily_calls", sa.Integer(), nullable=True),
        sa.Column("daily_records", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("revoked_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=False),
        sa.Column("created_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_org_id"], ["organization.id"], name=op.f("fk_sharing_grant_consumer_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["provider_org_id"], ["organization.id"], name=op.f("fk_sharing_grant_provider_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["sharing_request.id"], name=op.f("fk_sharing_grant_request_id_sharing_request")
        ),
        sa.ForeignKeyConstraint(["system_id"], ["system.id"], name=op.f("fk_sharing_grant_system_id_system")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_grant")),
        sa.UniqueConstraint("request_id", name=op.f("uq_sharing_grant_request_id")),
    )
    with op.batch_alter_table("sharing_grant", schema=None) as batch_op:
        batch_op.create_index("ix_sharing_grant_consumer", ["consumer_org_id", "status"], unique=False)
        batch_op.create_index("ix_sharing_grant_provider", ["provider_org_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_sharing_grant_resource_id"), ["resource_id"], unique=False)
        batch_op.create_index("ix_sharing_grant_system_resource", ["system_id", "resource_code"], unique=False)

    op.create_table(
        "sharing_notification_read",
        sa.Column("notification_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("read_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["sharing_notification.id"],
            name=op.f("fk_sharing_notification_read_notification_id_sharing_notification"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_sharing_notification_read_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("notification_id", "user_id", name="pk_sharing_notification_read"),
    )
    op.create_table(
        "sharing_request_event",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_name", sa.String(length=128), nullable=False),
        sa.Column("actor_org_id", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["sharing_request.id"],
            name=op.f("fk_sharing_request_event_request_id_sharing_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_request_event")),
    )
    with op.batch_alter_table("sharing_request_event", schema=None) as batch_op:
        batch_op.create_index("ix_sharing_request_event_request", ["request_id", "at"], unique=False)

    op.create_table(
        "sharing_agreement",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("grant_id", sa.String(length=32), nullable=False),
        sa.Column("consumer_org_id", sa.String(length=32), nullable=False),
        sa.Column("provider_org_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("change_note", sa.Text(), nullable=False),
        sa.Column("consumer_confirmed_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("consumer_confirmed_by", sa.String(length=64), nullable=True),
        sa.Column("provider_confirmed_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("provider_confirmed_by", sa.String(length=64), nullable=True),
        sa.Column("terminated_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("terminated_by", sa.String(length=64), nullable=True),
        sa.Column("termination_reason", sa.Text(), nullable=False),
        sa.Column("created_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_org_id"], ["organization.id"], name=op.f("fk_sharing_agreement_consumer_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["sharing_grant.id"], name=op.f("fk_sharing_agreement_grant_id_sharing_grant")
        ),
        sa.ForeignKeyConstraint(
            ["provider_org_id"], ["organization.id"], name=op.f("fk_sharing_agreement_provider_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["sharing_request.id"], name=op.f("fk_sharing_agreement_request_id_sharing_request")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_agreement")),
        sa.UniqueConstraint("number", "version", name="uq_sharing_agreement_number_version"),
    )
    with op.batch_alter_table("sharing_agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sharing_agreement_consumer_org_id"), ["consumer_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sharing_agreement_grant_id"), ["grant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sharing_agreement_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_sharing_agreement_provider_org_id"), ["provider_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sharing_agreement_request_id"), ["request_id"], unique=False)

    op.create_table(
        "sharing_quota_usage",
        sa.Column("grant_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("reserved_calls", sa.BigInteger(), nullable=False),
        sa.Column("reserved_records", sa.BigInteger(), nullable=False),
        sa.Column("used_calls", sa.BigInteger(), nullable=False),
        sa.Column("used_records", sa.BigInteger(), nullable=False),
        sa.Column("refused_calls", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["sharing_grant.id"],
            name=op.f("fk_sharing_quota_usage_grant_id_sharing_grant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("grant_id", "day", name="pk_sharing_quota_usage"),
    )
    # The policy epoch row every gateway process reads before deciding (see sharing/policy.py).
    op.execute("INSERT INTO sharing_epoch (id, value, updated_at) VALUES (1, 0, CURRENT_TIMESTAMP)")


def downgrade() -> None:
    op.drop_table("sharing_quota_usage")
    with op.batch_alter_table("sharing_agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_agreement_request_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_agreement_provider_org_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_agreement_number"))
        batch_op.drop_index(batch_op.f("ix_sharing_agreement_grant_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_agreement_consumer_org_id"))

    op.drop_table("sharing_agreement")
    with op.batch_alter_table("sharing_request_event", schema=None) as batch_op:
        batch_op.drop_index("ix_sharing_request_event_request")

    op.drop_table("sharing_request_event")
    op.drop_table("sharing_notification_read")
    with op.batch_alter_table("sharing_grant", schema=None) as batch_op:
        batch_op.drop_index("ix_sharing_grant_system_resource")
        batch_op.drop_index(batch_op.f("ix_sharing_grant_resource_id"))
        batch_op.drop_index("ix_sharing_grant_provider")
        batch_op.drop_index("ix_sharing_grant_consumer")

    op.drop_table("sharing_grant")
    with op.batch_alter_table("sharing_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_request_system_id"))
        batch_op.drop_index("ix_sharing_request_status_due")
        batch_op.drop_index(batch_op.f("ix_sharing_request_resource_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_request_resource_code"))
        batch_op.drop_index("ix_sharing_request_provider_status")
        batch_op.drop_index("ix_sharing_request_consumer_status")

    op.drop_table("sharing_request")
    with op.batch_alter_table("sharing_notification", schema=None) as batch_op:
        batch_op.drop_index("ix_sharing_notification_user")
        batch_op.drop_index("ix_sharing_notification_org")

    op.drop_table("sharing_notification")
    with op.batch_alter_table("sharing_objection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_objection_resource_code"))
        batch_op.drop_index("ix_sharing_objection_provider_status")
        batch_op.drop_index("ix_sharing_objection_consumer")

    op.drop_table("sharing_objection")
    with op.batch_alter_table("sharing_demand", schema=None) as batch_op:
        batch_op.drop_index("ix_sharing_demand_status")
        batch_op.drop_index("ix_sharing_demand_routed")
        batch_op.drop_index(batch_op.f("ix_sharing_demand_org_id"))

    op.drop_table("sharing_demand")
    op.drop_table("sharing_setting")
    op.drop_table("sharing_epoch")
