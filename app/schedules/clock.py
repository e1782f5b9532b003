"""Local wall-clock times of a program on one real time axis (spec: ``timezone``).

Schedule times are local and carry no offset. Without a time zone a duration is the wall-clock
difference. With one, durations are real elapsed time: the night clocks fall back, 00:00-08:00
lasts 9 h; a local time in the spring gap does not exist (bad input); a repeated local time (the
autumn hour) is its first occurrence. Local -> real is then strictly increasing, so ordering and
overlap can be judged on local times while every length is measured on the real axis.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_SECONDS = 86_400
_SECOND = timedelta(seconds=1)


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ValueError when unknown."""
    if not name or name.startswith(("/", ".")) or ".." in name:
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone {name!r} (expected an IANA name such as 'America/New_York')"
        ) from None


def exists(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether the local wall-clock time ``moment`` happens in ``zone`` (not in a spring gap)."""
    local = moment.replace(tzinfo=zone, fold=0)
    back = local.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return back == moment.replace(fold=0)


class Clock:
    """Real elapsed seconds from the local midnight that starts ``origin``."""

    __slots__ = ("_midnights", "_origin", "_origin_ts", "zone")

    def __init__(self, origin: date, zone: ZoneInfo | None = None) -> None:
        self.zone = zone
        self._origin = datetime.combine(origin, time())
        self._origin_ts = self._timestamp(self._origin) if zone is not None else 0
        self._midnights: list[int] = []

    def _timestamp(self, moment: datetime) -> int:
        return round(moment.replace(tzinfo=self.zone, fold=0).timestamp())

    def seconds(self, moment: datetime) -> int:
        """Real seconds from the origin to the local time ``moment`` (negative before it)."""
        if self.zone is None:
            return (moment - self._origin) // _SECOND
        return self._timestamp(moment) - self._origin_ts

    def seconds_of(self, moments: list[datetime]) -> list[int]:
        """:meth:`seconds` of many moments at once."""
        if self.zone is None:
            origin, second = self._origin, _SECOND
            return [(m - origin) // second for m in moments]
        return [self.seconds(m) for m in moments]

    def midnights(self, n_days: int) -> list[int]:
        """Real seconds of the local midnights starting days 0..n_days (n_days + 1 values)."""
        if self.zone is None:
            return list(range(0, (n_days + 1) * DAY_SECONDS, DAY_SECONDS))
        if len(self._midnights) != n_days + 1:
            self._midnights = [
                self.seconds(self._origin + timedelta(days=d)) for d in range(n_days + 1)
            ]
        return self._midnights

    def day_of(self, seconds: int, midnights: list[int]) -> int:
        """Index of the local day holding the real instant ``seconds`` (may be out of range)."""
        if self.zone is None:
            return seconds // DAY_SECONDS
        if seconds < 0 or seconds >= midnights[-1]:  # outside: plain days are close enough
            return seconds // DAY_SECONDS if seconds < 0 else len(midnights) - 1
        return bisect_right(midnights, seconds) - 1
