"""The public pages in Chromium: axe finds no WCAG 2.2 AA problems, and search works by keyboard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, assert_accessible
from tests.public_data import Register, build_and_index


@pytest.fixture
def data(live_server: LiveServer) -> Register:
    return live_server.populate(build_and_index)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=wiliam+davey",
        "/search?q=medivance",
        "/search?q=qqqxxxzzz",
        "/providers",
        "/providers/st-elsewhere",
        "/providers/st-elsewhere?type=gifts",
        "/professionals/{william}",
        "/understanding",
        "/providers/st-elsewhere/print",
    ],
)
def test_public_page_has_no_accessibility_violations(
    live_server: LiveServer, page: Any, data: Register, path: str
) -> None:
    response = page.goto(live_server / path.format(william=data.william))
    assert response.status == 200
    assert_accessible(page)


def test_patient_searches_from_start_page_and_opens_a_professional(
    live_server: LiveServer, page: Any, data: Register
) -> None:
    page.goto(live_server / "/")
    page.get_by_label("Search by name, hospital or company").fill("Bill Davis")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=Bill+Davis")
    page.get_by_role("link", name="Dr William Davies").click()
    assert page.get_by_role("heading", level=1).inner_text().endswith("Dr William Davies")
    assert page.get_by_text("Medivance Surgical Ltd").first.is_visible()


def _register_and_its_download() -> Register:
    from interests.services import national_data as national

    built = build_and_index()
    national.publish()
    return built


def test_the_download_page_has_no_accessibility_violations(live_server: LiveServer, page: Any) -> None:
    live_server.populate(_register_and_its_download)
    response = page.goto(live_server / "/data")
    assert response.status == 200
    assert page.locator("#latest-files").count() == 1
    assert_accessible(page)
