"""The project's one clock: what time it is, and what day it is in the UK.

Everything that needs "now" or "today" asks here, never `date.today()` or `datetime.now()`:
the server's own clock zone is not the UK's, and between midnight and 1am in British Summer
Time a server on UTC would still think it is yesterday. Times are stored in UTC (`now`); dates
people see and rules that count days use the UK date (`today`). Tests pin this clock with
time-machine, which moves the system clock these functions read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UK_TIME = ZoneInfo("Europe/London")


def now() -> datetime:
    """The current moment, in UTC (what the database stores)."""
    return datetime.now(UTC)


def uk_now() -> datetime:
    """The current moment on UK clocks (GMT or BST)."""
    return now().astimezone(UK_TIME)


def today() -> date:
    """Today's date in the UK, whatever the server's clock zone."""
    return uk_now().date()


def in_uk_time(moment: datetime) -> datetime:
    """`moment` on UK clocks; a naive datetime is taken as UTC (as Huey's scheduler passes it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UK_TIME)
