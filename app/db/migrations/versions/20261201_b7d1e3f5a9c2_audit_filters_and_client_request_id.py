"""audit filters and client request id

``audit_events.filters`` holds a list read's filters (``person_id=2``) instead of putting the
person id in ``resource_id``; ``client_request_id`` keeps the client's ``X-Request-ID`` beside
the server-generated ``request_id``.

Revision ID: b7d1e3f5a9c2
Revises: a3c5e7f9b1d2
Create Date: 2026-12-01 22:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "b7d1e3f5a9c2"
down_revision: str | None = "a3c5e7f9b1d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.add_column(sa.Column("filters", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("client_request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_column("client_request_id")
        batch_op.drop_column("filters")
