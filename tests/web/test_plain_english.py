"""Plain English on every page a patient reads, measured with a maintained readability library.

The goal (issue 15): every public page scores a Flesch reading ease of at least 60 and a
Flesch-Kincaid grade of 9 or less, measured by textstat over the page's main text. The pages
are rendered with the small published register the other public-page tests use
(tests/public_data.py).

What "main text" is - the same rule for every page:

* It is the prose a patient reads inside ``<main>``: headings, paragraphs, items of prose
  lists, form labels and hints, inset and warning text, and the explanations in description
  lists that we write (such as the categories on "Understanding this register").
* It is not data: tables, summary lists, the ``nhsuk-list`` lists of records (search results,
  organisations, people and their entries), the contents of ``<details>`` (earlier
  declarations), form controls and their options, breadcrumbs, pagination, and the values
  from records that the templates mark ``app-data`` (a provider's or a professional's name,
  role and registration, a contact's name, email address and phone, a date, a web address).
  Names, companies and table cells are not sentences: a readability formula would only be
  measuring how long people's names are.
* Each block (a heading, a paragraph, a list item, a label or hint) counts as at least one
  sentence: a block that does not end with ``.``, ``?`` or ``!`` ends with a full stop (in
  place of a closing colon). A heading or a list item is read as a unit, and readability
  tools treat it so; without this a bulleted list would count as one long sentence.

The formulas are averages made for samples of 100 words or more (Flesch's own method): on a
page of 20 words, two long words decide the score. So a page with at least 100 words of main
text is measured on its own, and the pages with less (search, results, a register, a
professional, errors: a few sentences around the data) are measured together, as one sample
of the words that frame the data. Which pages are which is fixed below and checked, so a page
that grows moves to the pages measured alone.

A failure prints the page, both scores and the hardest sentences (the longest, and the ones
with the most syllables per word), so whoever writes the next version knows what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import textstat
from bs4 import BeautifulSoup
from flask import Flask, render_template

from interests.extensions import db
from interests.services import national_data as national
from tests.conftest import make_app, stop_background_work
from tests.public_data import Register, build_and_index

MIN_READING_EASE = 60.0
MAX_GRADE = 9.0
SAMPLE_WORDS = 100

# Data, not prose: removed before measuring (see the module docstring).
DATA = ", ".join(
    [
        "table",
        ".nhsuk-summary-list",
        "ul.nhsuk-list",
        "ol.nhsuk-list",
        "details",
        "input",
        "select",
        "textarea",
        "button",
        "nav",
        ".nhsuk-breadcrumb",
        ".nhsuk-pagination",
        ".app-data",
    ]
)
# The blocks of prose that are left.
BLOCKS = ", ".join(
    [
        "h1, h2, h3, h4, h5, h6, p, li, dt, dd, label, legend",
        ".nhsuk-hint, .nhsuk-inset-text, .nhsuk-warning-callout",
    ]
)

# Every public page a patient reads: its name, its address, and the status it answers.
LONG_PAGES: dict[str, Callable[[Register], str]] = {
    "start": lambda d: "/",
    "understanding": lambda d: "/understanding",
    "about": lambda d: "/about",
    "accessibility": lambda d: "/accessibility",
    "privacy": lambda d: "/privacy",
    "download the whole register": lambda d: "/data",
}
SHORT_PAGES: dict[str, Callable[[Register], str]] = {
    "search": lambda d: "/search",
    "search results": lambda d: "/search?q=Davies",
    "search by company": lambda d: "/search?q=Medivance",
    "search, no results": lambda d: "/search?q=Zzyzxq",
    "organisations A to Z": lambda d: "/providers",
    "a register": lambda d: f"/providers/{d.provider_slug}",
    "a printable register": lambda d: f"/providers/{d.provider_slug}/print",
    "a professional": lambda d: f"/professionals/{d.william}",
    "page not found": lambda d: "/no-such-page",
    "email alerts": lambda d: "/alerts",
    "email alerts for a register": lambda d: f"/alerts?provider={d.provider_slug}",
    "email alerts, check your email": lambda d: "/alerts/check-your-email",
    "email alerts, a link that does not work": lambda d: "/alerts/confirm/not-a-token",
    "email alerts, already stopped": lambda d: "/alerts/unsubscribe/not-a-token",
}
STATUS = {
    "page not found": 404,
    "email alerts, a link that does not work": 404,
    "email alerts, already stopped": 404,
}
# Two more, rendered apart in the fixture: search before there is an index (503), and the
# server error page (500; no public route fails on purpose, so its template is rendered).
SHORT = [*SHORT_PAGES, "search not available", "server error"]
SHORT_TOGETHER = "short pages together"


def main_text(html: bytes) -> str:
    """The page's main text, one block a line, each ending as a sentence."""
    main = BeautifulSoup(html, "html.parser").select_one("main")
    assert main is not None
    for element in main.select(DATA):
        element.decompose()
    blocks = main.select(BLOCKS)
    ids = {id(block) for block in blocks}
    lines = []
    for block in blocks:
        # A block inside another (a <p> inside an inset text) is read once, with the outer one.
        if any(id(parent) in ids for parent in block.parents):
            continue
        text = " ".join(block.get_text(" ").split())
        if text:
            lines.append(text if text[-1] in ".?!" else text.removesuffix(":") + ".")
    return "\n".join(lines)


def words(text: str) -> int:
    return int(textstat.lexicon_count(text))


def hardest_sentences(text: str, count: int = 3) -> list[str]:
    sentences = {s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if len(s.split()) > 2}

    def syllables_per_word(s: str) -> float:
        return float(textstat.syllable_count(s)) / max(1, words(s))

    longest = sorted(sentences, key=lambda s: (-len(s.split()), s))[:count]
    densest = sorted(sentences - set(longest), key=lambda s: (-syllables_per_word(s), s))[:count]
    return [f"  {len(s.split())} words: {s}" for s in longest] + [
        f"  {syllables_per_word(s):.2f} syllables a word: {s}" for s in densest
    ]


@pytest.fixture(scope="module")
def texts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Every page's main text, rendered once over the published register."""
    path: Path = tmp_path_factory.mktemp("plain")
    app: Flask = make_app(f"sqlite:///{path / 'plain.sqlite3'}", path)
    client = app.test_client()
    out = {}
    with app.app_context():
        db.create_all()
        response = client.get("/search?q=Davies")
        assert response.status_code == 503  # no search index yet
        out["search not available"] = main_text(response.data)
        data = build_and_index()
        national.publish()  # so /data shows its files
    with app.test_request_context("/"):
        out["server error"] = main_text(render_template("errors/500.html").encode())
    for name, url_for_page in {**LONG_PAGES, **SHORT_PAGES}.items():
        url = url_for_page(data)
        response = client.get(url)
        assert response.status_code == STATUS.get(name, 200), (name, url)
        out[name] = main_text(response.data)
    yield out
    stop_background_work(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_long_pages_are_samples_on_their_own_and_short_pages_are_not(texts: dict[str, str]) -> None:
    counts = {name: words(text) for name, text in texts.items()}
    assert all(counts[name] >= SAMPLE_WORDS for name in LONG_PAGES), counts
    assert all(5 <= counts[name] < SAMPLE_WORDS for name in SHORT), counts


@pytest.mark.parametrize("sample", [*LONG_PAGES, SHORT_TOGETHER])
def test_public_pages_are_plain_english(texts: dict[str, str], sample: str) -> None:
    pages = SHORT if sample == SHORT_TOGETHER else [sample]
    text = "\n".join(texts[page] for page in pages)
    ease = textstat.flesch_reading_ease(text)
    grade = textstat.flesch_kincaid_grade(text)
    hardest = "\n".join(hardest_sentences(text))
    named = sample if sample in LONG_PAGES else f"{sample} ({', '.join(pages)})"
    assert ease >= MIN_READING_EASE and grade <= MAX_GRADE, (
        f"{named} is not plain English: Flesch reading ease {ease:.1f} (needs at "
        f"least {MIN_READING_EASE:.0f}), Flesch-Kincaid grade {grade:.1f} (needs {MAX_GRADE:.0f} or "
        f"less), over {words(text)} words.\nHardest sentences:\n{hardest}"
    )
