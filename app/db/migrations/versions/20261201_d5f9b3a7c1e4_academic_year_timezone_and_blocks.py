"""academic year time zone; blocks re-anchored

``academic_years.timezone`` keeps an imported file's IANA zone (spec: ``timezone``), so the
stored schedule's reports and exports count real elapsed hours like the file did. Blocks of
years stored before ACGME rules revision 2 are rebuilt with its tail rule: a clipped window of
fewer than 7 days joins block 13 (no 1-day block 14 in a 365-day year).

Revision ID: d5f9b3a7c1e4
Revises: c4e8a2f6b0d3
Create Date: 2026-12-01 23:55:00.000000
"""

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op


revision: str = "d5f9b3a7c1e4"
down_revision: str | None = "c4e8a2f6b0d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BLOCK_DAYS, MIN_BLOCK_DAYS = 28, 7  # as of this revision (a migration never imports app code)

years = sa.table(
    "academic_years",
    sa.column("id", sa.Integer),
    sa.column("start_date", sa.Date),
    sa.column("end_date", sa.Date),
)
blocks = sa.table(
    "blocks",
    sa.column("year_id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("start_date", sa.Date),
    sa.column("end_date", sa.Date),
)


def _bounds(start: date, end: date) -> list[tuple[int, date, date]]:
    """28-day blocks from ``start``; a tail shorter than a week joins the block before it."""
    out: list[tuple[int, date, date]] = []
    first, number = start, 1
    while first <= end:
        last = min(first + timedelta(days=BLOCK_DAYS - 1), end)
        out.append((number, first, last))
        first, number = last + timedelta(days=1), number + 1
    if len(out) > 1 and (out[-1][2] - out[-1][1]).days + 1 < MIN_BLOCK_DAYS:
        (number, first, _), (_, _, last) = out[-2], out[-1]
        out[-2:] = [(number, first, last)]
    return out


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite's batch mode would rebuild the table and drop its cache triggers.
    op.add_column("academic_years", sa.Column("timezone", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    for year_id, start, end in connection.execute(
        sa.select(years.c.id, years.c.start_date, years.c.end_date)
    ):
        connection.execute(blocks.delete().where(blocks.c.year_id == year_id))
        rows = [
            {"year_id": year_id, "number": n, "start_date": first, "end_date": last}
            for n, first, last in _bounds(start, end)
        ]
        if rows:
            connection.execute(blocks.insert(), rows)


def downgrade() -> None:
    with op.batch_alter_table("academic_years") as batch_op:
        batch_op.drop_column("timezone")
