"""partial years kept with their job; academic year holiday calendars

``generation_jobs.partial_schedule`` keeps the best year so far of a job whose time limit ran
out while placing shifts (a schedule file, never stored as the active schedule: some
team-blocks are unstaffed). ``academic_years.holidays`` keeps the holiday dates of a generated
year (its program's calendar), which the fairness report counts holiday calls on; NULL for an
imported year (the US federal holidays).

Revision ID: e8b2c6d4f0a1
Revises: d5f9b3a7c1e4
Create Date: 2026-12-02 02:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "e8b2c6d4f0a1"
down_revision: str | None = "d5f9b3a7c1e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: SQLite's batch mode would rebuild the tables and drop their cache triggers.
    op.add_column("generation_jobs", sa.Column("partial_schedule", sa.JSON(), nullable=True))
    op.add_column("academic_years", sa.Column("holidays", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN too (SQLite 3.35+), for the same reason.
    op.drop_column("academic_years", "holidays")
    op.drop_column("generation_jobs", "partial_schedule")
