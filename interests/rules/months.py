"""Calendar months: the one piece of month arithmetic every rule uses."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (or earlier, when negative), clamped to the
    month's last day: 31 August less 6 months is 28 February (29 in a leap year), and 29 February
    plus 12 months is 28 February in a year that is not a leap year."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))
