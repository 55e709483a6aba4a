"""How pages are rendered: the Jinja environment, NHS.UK frontend macros, and plain-English filters.

The NHS.UK component macros (nhsuk-frontend-jinja) are `.jinja` files. Flask autoescapes only
`.html`-like names, so under its default the macros' `text` parameters would render raw HTML:
here autoescaping is on for every template, whatever its extension.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from flask import Flask, url_for
from jinja2 import BytecodeCache, ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader
from jinja2.bccache import Bucket

from interests import nhsuk_macros
from interests.clock import UK_TIME as UK_TIME
from interests.pagination import pagination_for  # dates are shown on UK clocks

_PENNY = Decimal("0.01")


class _ProcessBytecodeCache(BytecodeCache):
    """Compiled templates shared by every app in the process (the NHS.UK macros take ~1 s to
    compile; tests build many apps). Keys include the template's source checksum."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE_CACHE = _ProcessBytecodeCache()


def configure_jinja(app: Flask) -> None:
    """Set up templates for `app`: call from create_app before the first request."""
    template_folder = Path(app.root_path, app.template_folder or "templates")
    app.jinja_environment = nhsuk_macros.Environment  # NHS.UK macros' outputs remembered
    app.jinja_options = {
        **app.jinja_options,
        # Every template, including the `.jinja` NHS.UK macros (stack-notes pitfall 1).
        "autoescape": True,
        "bytecode_cache": _BYTECODE_CACHE,
        # The macros read nested parameters that callers leave out (params.button.classes...).
        "undefined": ChainableUndefined,
        "loader": ChoiceLoader(
            [
                FileSystemLoader(str(template_folder)),
                # Templates live in nhsuk_frontend_jinja/templates/nhsuk/...: "nhsuk/template.jinja".
                PackageLoader("nhsuk_frontend_jinja", "templates"),
            ]
        ),
    }
    # Flask creates the environment once, on first use of app.jinja_env, from jinja_options.
    # If something has touched it already, keep its globals and filters and build it afresh.
    existing = app.__dict__.pop("jinja_env", None)
    env = app.jinja_env
    if existing is not None:
        for name, value in existing.globals.items():
            env.globals.setdefault(name, value)
        for name, value in existing.filters.items():
            env.filters.setdefault(name, value)
        for name, value in existing.tests.items():
            env.tests.setdefault(name, value)

    env.globals["service_name"] = app.config["SERVICE_NAME"]
    env.globals["static_url"] = _static_url_for(app)
    env.globals["pagination_for"] = pagination_for
    env.filters["govuk_date"] = govuk_date
    env.filters["govuk_datetime"] = govuk_datetime
    env.filters["money"] = money
    env.filters["money_pounds"] = money_pounds
    env.filters["pluralise"] = pluralise


def _static_url_for(app: Flask) -> Callable[[str], str]:
    """A `static_url(path)` that adds ?v=<content hash> so browsers fetch a file again when it changes."""
    static_folder = Path(app.static_folder or "static")
    # (path, mtime_ns, size) -> short hash: the file is read again only when it changes.
    cache: dict[tuple[str, int, int], str] = {}

    def static_url(path: str) -> str:
        try:
            stat = (static_folder / path).stat()
        except OSError:
            # Not built yet (scripts/build_assets.py): the link still points at the right place.
            return url_for("static", filename=path)
        key = (path, stat.st_mtime_ns, stat.st_size)
        version = cache.get(key)
        if version is None:
            version = hashlib.sha256((static_folder / path).read_bytes()).hexdigest()[:10]
            cache[key] = version
        return url_for("static", filename=path, v=version)

    return static_url


def govuk_date(value: date | datetime | None) -> str:
    """A date as people write it: "1 April 2025". None gives "".

    A timezone-aware datetime is first converted to UK time, so a late-evening UTC time in
    summer shows the UK date.
    """
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UK_TIME)
    return f"{value.day} {value:%B %Y}"


def govuk_datetime(value: datetime | None) -> str:
    """A moment in UK time: "1 April 2025 at 2:05pm" (GOV.UK style: 12-hour clock, lowercase am/pm).

    Naive datetimes are taken to be UTC (the database stores UTC); the result is in
    Europe/London time, so GMT in winter and BST in summer. Midday is "12pm", midnight "12am".
    None gives "".
    """
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(UK_TIME)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{govuk_date(local)} at {hour}:{local.minute:02d}{suffix}"


def money(pence: int | None) -> str:
    """An amount given in whole pence (int), in pounds: 125000 -> "£1,250", 125050 -> "£1,250.50".

    Pence are shown only when there are some. Negative amounts get a minus sign: "-£5".
    None gives "". For amounts already in pounds (Decimal), use `money_pounds`.
    """
    if pence is None:
        return ""
    if isinstance(pence, bool) or not isinstance(pence, int):
        raise TypeError(f"money() takes whole pence as an int, not {type(pence).__name__}")
    return _format_pounds(Decimal(pence) / 100)


def money_pounds(pounds: Decimal | int | None) -> str:
    """An amount given in pounds (Decimal, or int whole pounds): Decimal("1250.5") -> "£1,250.50".

    Rounded half-up to the penny; pence are shown only when there are some. None gives "".
    Floats are refused: they cannot hold most amounts of money exactly.
    """
    if pounds is None:
        return ""
    if isinstance(pounds, bool) or not isinstance(pounds, Decimal | int):
        raise TypeError(f"money_pounds() takes a Decimal, not {type(pounds).__name__}")
    return _format_pounds(Decimal(pounds))


def _format_pounds(pounds: Decimal) -> str:
    pounds = pounds.quantize(_PENNY, rounding=ROUND_HALF_UP)
    sign = "-" if pounds < 0 else ""
    pounds = abs(pounds)
    if pounds == pounds.to_integral_value():
        return f"{sign}£{int(pounds):,}"
    return f"{sign}£{pounds:,.2f}"


def pluralise(count: int, singular: str, plural: str) -> str:
    """The count with the right word: pluralise(1, "entry", "entries") -> "1 entry"; 0 -> "0 entries".

    Large counts get thousands separators: "1,250 entries".
    """
    return f"{count:,} {singular if count == 1 else plural}"
