"""One page of a list that is paginated in SQL."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from interests.extensions import db


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def first_number(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_number(self) -> int:
        return min(self.total, self.page * self.per_page)


def page_of(
    statement: Select[*tuple[Any, ...]],
    page: int,
    per_page: int,
    *,
    each: Callable[[Any], Any] | None = None,
) -> Page:
    """One page of an ordered statement's results, counted by the database. A page past the last
    is the last page. `each` turns a row into an item (otherwise items are the first column's)."""
    total = int(db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0)
    page = min(max(page, 1), max(1, math.ceil(total / per_page)))
    window = statement.limit(per_page).offset((page - 1) * per_page)
    if each is None:
        items = list(db.session.scalars(window))
    else:
        items = [each(row) for row in db.session.execute(window)]
    return Page(items=items, total=total, page=page, per_page=per_page)
