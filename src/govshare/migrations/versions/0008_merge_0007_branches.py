"""merge: the four 0007 branches (catalog search index, feed subscriptions, library tombstones, citizen sign-in)

They were written side by side from 0006 and touch different tables; this revision joins them so the chain has
one head again.

Revision ID: 0008
Revises: 0007c, 0007f, 0007l, 0007w
Create Date: 2026-11-26 00:10:00
"""

from __future__ import annotations

revision = "0008"
down_revision = ("0007c", "0007f", "0007l", "0007w")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
