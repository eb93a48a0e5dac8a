"""Times as the database keeps them (naive UTC, the same on SQLite and PostgreSQL) and as a person reads them."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def local_text(moment: datetime | None) -> str:
    """A stored time in the server's own time zone, to the minute: 2021-03-05 14:07."""
    if moment is None:
        return ""
    return moment.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=UTC).isoformat()
