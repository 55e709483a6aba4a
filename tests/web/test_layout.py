"""The layout every page shares, the error pages, and how NHS.UK components escape text."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bs4 import BeautifulSoup
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from jinja2 import ChainableUndefined

from interests.extensions import db
from interests.frontend import configure_jinja
from tests.factories import make_account, sign_in


def page(response: object) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")  # type: ignore[attr-defined]


def normalise(text: str) -> str:
    return " ".join(text.split())


def test_start_page_header_shows_service_name_linking_to_start(client: FlaskClient) -> None:
    soup = page(client.get("/"))
    link = soup.select_one("header.nhsuk-header a.nhsuk-header__service-logo")
    assert link is not None
    assert link["href"] == "/"
    name = link.select_one(".nhsuk-header__service-name")
    assert normalise(name.get_text()) == "Register of declared interests"


def test_start_page_title_is_the_service_name(client: FlaskClient) -> None:
    soup = page(client.get("/"))
    assert normalise(soup.title.get_text()) == "Register of declared interests"
    assert soup.html["lang"] == "en-GB"


def test_about_page_title_is_page_then_service_name(client: FlaskClient) -> None:
    soup = page(client.get("/about"))
    assert normalise(soup.title.get_text()) == "About this register - Register of declared interests"


def test_start_page_has_skip_link_to_main_content(client: FlaskClient) -> None:
    soup = page(client.get("/"))
    skip = soup.select_one("a.nhsuk-skip-link")
    assert skip is not None
    assert skip["href"] == "#maincontent"
    assert normalise(skip.get_text()) == "Skip to main content"
    assert soup.select_one("main#maincontent") is not None


def test_start_page_footer_links_to_about_accessibility_and_privacy(client: FlaskClient) -> None:
    soup = page(client.get("/"))
    links = {normalise(a.get_text()): a["href"] for a in soup.select("footer a")}
    assert links == {
        "About this register": "/about",
        "Accessibility statement": "/accessibility",
        "Privacy notice": "/privacy",
        "Download the whole register": "/data",
    }


def test_footer_pages_each_have_their_heading(client: FlaskClient) -> None:
    for path, heading in [
        ("/about", "About this register"),
        ("/accessibility", "Accessibility statement for Register of declared interests"),
        ("/privacy", "Privacy notice"),
    ]:
        response = client.get(path)
        assert response.status_code == 200
        assert normalise(page(response).h1.get_text()) == heading


def test_start_page_search_box_is_labelled_and_sends_q_to_search(client: FlaskClient) -> None:
    soup = page(client.get("/"))
    assert normalise(soup.h1.get_text()) == "Find out about healthcare professionals' declared interests"
    field = soup.select_one("main input[name=q]")
    assert field is not None
    label = soup.select_one(f"label[for={field['id']}]")
    assert label is not None
    assert normalise(label.get_text()) == "Search by name, hospital or company"
    form = field.find_parent("form")
    assert form["action"] == "/search"
    assert form["method"] == "get"


def test_start_page_explains_a_declared_interest_is_not_wrongdoing(client: FlaskClient) -> None:
    text = normalise(page(client.get("/")).main.get_text())
    assert "Having a declared interest is not wrongdoing" in text
    assert "First Do No Harm" in text


def test_anonymous_header_offers_sign_in(client: FlaskClient) -> None:
    soup = page(client.get("/"))
    account = soup.select_one("nav.nhsuk-header__account")
    assert {normalise(a.get_text()): a["href"] for a in account.select("a")} == {"Sign in": "/sign-in"}
    assert account.select("form") == []


def test_signed_in_header_shows_email_and_sign_out_form_with_csrf(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        account = make_account("inspector", email="inspector@example.org")
        db.session.commit()
        email = account.email
    sign_in(client, email)

    soup = page(client.get("/"))
    account_nav = soup.select_one("nav.nhsuk-header__account")
    assert email in normalise(account_nav.get_text())
    assert "Sign in" not in normalise(account_nav.get_text())
    form = account_nav.select_one("form")
    assert form["action"] == "/sign-out"
    assert form["method"] == "post"
    assert form.select_one("input[type=hidden][name=csrf_token]")["value"]
    assert normalise(form.button.get_text()) == "Sign out"


def test_page_loads_only_files_from_this_site_and_a_nonced_module(client: FlaskClient) -> None:
    response = client.get("/")
    soup = page(response)
    stylesheets = [link["href"] for link in soup.select("link[rel=stylesheet]")]
    assert len(stylesheets) == 2
    assert all(re.fullmatch(r"/static/[\w/.-]+\.css(\?v=\w+)?", href) for href in stylesheets)
    module = soup.select_one("script[type=module]")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert module["nonce"] == nonce
    assert "initAll()" in module.get_text()
    assert all(script.get("nonce") == nonce for script in soup.select("script:not([src])"))
    assert soup.select("[style]") == []


def test_unknown_page_is_an_nhs_page_not_found_with_status_404(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    soup = page(response)
    assert normalise(soup.h1.get_text()) == "Page not found"
    assert normalise(soup.title.get_text()) == "Page not found - Register of declared interests"
    assert soup.select_one("header.nhsuk-header") is not None
    assert soup.select_one("footer.nhsuk-footer") is not None


def test_flashed_message_is_shown_in_a_notification_banner(app: Flask, client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "You have signed out")]
    banner = page(client.get("/")).select_one(".nhsuk-notification-banner")
    assert banner is not None
    assert "You have signed out" in normalise(banner.get_text())


def test_nhs_component_escapes_script_in_text(app: Flask) -> None:
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "nhsuk/components/inset-text/macro.jinja" import insetText %}'
            '{% from "nhsuk/components/button/macro.jinja" import button %}'
            "{{ insetText({'text': text}) }}{{ button({'text': text}) }}",
            text="<script>alert(1)</script>",
        )
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2


def test_jinja_env_is_rebuilt_when_touched_before_configure() -> None:
    """If something creates app.jinja_env early, configure_jinja still applies its options."""
    app = Flask(__name__)
    app.config["SERVICE_NAME"] = "Test service"
    app.jinja_env.globals["kept"] = "from before"
    assert app.jinja_env.autoescape("x.jinja") is False  # Flask's default

    configure_jinja(app)

    env = app.jinja_env
    assert env.autoescape is True
    assert env.undefined is ChainableUndefined
    assert env.globals["kept"] == "from before"
    assert env.globals["service_name"] == "Test service"
    assert env.get_template("nhsuk/template.jinja") is not None


def test_app_jinja_env_autoescapes_every_template_and_has_filters(app: Flask) -> None:
    env = app.jinja_env
    assert env.autoescape is True
    assert env.undefined is ChainableUndefined
    with app.test_request_context("/"):
        html = render_template_string(
            "{{ when | govuk_datetime }} {{ 125050 | money }} {{ service_name }}",
            when=datetime(2025, 4, 1, 13, 5, tzinfo=UTC),
        )
    assert html == "1 April 2025 at 2:05pm £1,250.50 Register of declared interests"
