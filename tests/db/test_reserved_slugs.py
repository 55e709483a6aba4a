"""A provider's slug can never be a word the service uses for one of its own pages
(/manage/outbox, /inspect/export.csv, /providers/<slug>/print ...)."""

from __future__ import annotations

import random
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Map

from interests.demo import generate
from interests.extensions import db
from interests.models import InvalidRecord, Provider
from interests.provider_slugs import reserved_slugs
from tests import factories


def _clashing_words(url_map: Map) -> set[str]:
    """Words that, used as a slug, would send a slug address to a different page (or no page).

    Worked out independently of `reserved_slugs`: every fixed word anywhere in the URL map is
    tried as the slug of every address that takes one.
    """
    adapter = url_map.bind("localhost")
    candidates = {
        segment.lower()
        for rule in url_map.iter_rules()
        for segment in rule.rule.strip("/").split("/")
        if segment and "<" not in segment
    }
    clashing: set[str] = set()
    for rule in url_map.iter_rules():
        if "slug" not in rule.arguments:
            continue
        others = {name: 1 for name in rule.arguments if name != "slug"}
        method = sorted((rule.methods or {"GET"}) - {"HEAD", "OPTIONS"})[0]
        for word in candidates:
            path = adapter.build(rule.endpoint, {"slug": word, **others}, method=method)
            try:
                endpoint, values = adapter.match(path, method=method)
            except Exception:  # noqa: BLE001 - 404, 405 or a redirect: the address is not the provider's page
                clashing.add(word)
                continue
            if endpoint != rule.endpoint or values.get("slug") != word:
                clashing.add(word)
    return clashing


def test_reserved_slugs_cover_every_word_that_would_clash_with_a_page(app: Flask) -> None:
    reserved = reserved_slugs(app.url_map)
    assert {"outbox", "print", "export.csv", "providers", "register.csv"} <= reserved
    clashing = _clashing_words(app.url_map)
    assert "outbox" in clashing  # /manage/outbox is the outbox, not a provider called "outbox"
    assert clashing <= reserved


def test_a_fixed_page_added_later_is_reserved_without_listing_it(app: Flask) -> None:
    assert "settings" not in reserved_slugs(app.url_map)
    app.add_url_rule("/manage/settings", "manage_settings_for_test", lambda: "settings")
    assert "settings" in reserved_slugs(app.url_map)
    assert "settings" in _clashing_words(app.url_map)
    assert "search" not in reserved_slugs(app.url_map)
    app.add_url_rule("/api/v1/providers/search", "api_provider_search_for_test", lambda: "search")
    assert "search" in reserved_slugs(app.url_map)  # beside /api/v1/providers/<slug>/register


def test_every_reserved_word_is_refused_as_a_provider_slug(app_ctx: Flask) -> None:
    reserved = sorted(reserved_slugs(app_ctx.url_map))
    assert reserved
    for word in reserved:
        for slug in (word, word.upper()):
            with pytest.raises(InvalidRecord, match=f'web address name cannot be "{slug}"'):
                factories.make_provider(slug=slug)
            db.session.rollback()
    assert db.session.scalars(select(Provider.slug)).all() == []


def test_a_provider_cannot_be_renamed_to_a_reserved_slug(app_ctx: Flask) -> None:
    provider = factories.make_provider(slug="riverside")
    db.session.commit()
    provider.slug = "outbox"
    with pytest.raises(InvalidRecord, match="the service uses that word for one of its own pages"):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(Provider.slug)) == "riverside"


@pytest.mark.parametrize("slug", ["riverside", "outbox-lane-surgery", "print-street-pharmacy", "st-marys"])
def test_a_normal_slug_is_accepted(app_ctx: Flask, slug: str) -> None:
    factories.make_provider(slug=slug)
    db.session.commit()
    assert db.session.scalar(select(Provider.slug)) == slug


def test_demo_seed_never_makes_a_reserved_slug(app_ctx: Flask) -> None:
    # The seed inserts rows in bulk (no flush hook), so its slugs are checked here instead.
    rows = next(generate(random.Random(7), providers=400, professionals=1, today=date(2026, 11, 23)))[1]
    reserved = reserved_slugs(app_ctx.url_map)
    assert len(rows) == 400
    assert not {row["slug"] for row in rows} & reserved
    for row in rows[:50]:
        Provider(**{k: v for k, v in row.items() if k != "id"}).check()
