"""A provider's conflicts-of-interest lead in a real browser: import a staff list, approve a
withholding request and see the entry leave the public register; axe on every /manage page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from interests.extensions import db
from interests.models import Interest, OutboxEmail, Professional
from interests.services import outbox
from tests import factories
from tests.browser.conftest import LiveServer, assert_accessible
from tests.conftest import task_consumer

STAFF_CSV = (
    "Given name,Family name,Regulator,Registration number,Email,Engagement type,Role,Department,"
    "Start date,End date,Decision maker\r\n"
    "Nadia,Hussain,GMC,2345678,nadia@example.org,employee,Consultant urologist,Urology,2024-04-01,,yes\r\n"
    "Owen,Price,NMC,98B7654C,,bank,Staff nurse,Theatres,01/09/2023,,no\r\n"
)


def _world() -> dict[str, Any]:
    provider = factories.make_provider(name="Riverside Hospital NHS Trust", slug="riverside")
    admin = factories.make_account("provider_admin", providers=[provider], email="lead@riverside.example")
    surgeon = factories.make_professional(given_name="Amira", family_name="Okafor")
    factories.make_engagement(surgeon, provider, role="Consultant urogynaecologist")
    version = factories.make_interest(
        surgeon, other_party="Medivance Surgical Ltd", description="Paid advisory board"
    )
    factories.make_interest(
        surgeon,
        other_party="Orthoflex Devices plc",
        description="Shares worth over £5,000",
        interest_type="shareholdings",
    )
    declaration = factories.make_declaration(
        surgeon, provider, [version], declared_on=date.today() - timedelta(days=5)
    )
    return {
        "admin": admin.email,
        "interest": version.interest_id,
        "professional": surgeon.id,
        "declaration": declaration.id,
        "item": declaration.items[0].id,
    }


def _sign_in(page: Any, live_server: LiveServer, email: str) -> None:
    page.goto(live_server / "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/manage"))


def test_lead_imports_staff_and_withholding_removes_entry_from_register(
    live_server: LiveServer, page: Any, tmp_path: Path
) -> None:
    world = live_server.populate(_world)
    # The entry is published before anyone asks to withhold it.
    page.goto(live_server / "/providers/riverside")
    assert "Medivance Surgical Ltd" in page.locator("main").inner_text()

    _sign_in(page, live_server, world["admin"])
    page.goto(live_server / "/manage/riverside/import")
    path = tmp_path / "staff.csv"
    path.write_text(STAFF_CSV, encoding="utf-8")
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_url(re.compile(r"/manage/riverside/imports/\d+"))
    summary = page.locator("#import-summary").inner_text()
    assert re.search(r"Engagements added\s+2", summary)
    assert re.search(r"Asked to confirm they work here\s+1 person, by email", summary)
    page.get_by_role("link", name="See your staff list").click()
    staff = page.locator("#staff").inner_text()
    assert "Nadia Hussain" in staff and "Owen Price" in staff

    # The professional asks for the entry to be withheld (their own service, as /declare does).
    def ask() -> int:
        from interests.models import Account
        from interests.services import declaring as declarations

        interest = db.session.get(Interest, world["interest"])
        professional = db.session.get(Professional, world["professional"])
        account = factories.make_account("professional", professional=professional)
        requests = declarations.request_withholding(
            interest,
            [interest.professional.engagements[0].provider_id],
            "Credible threats to my family",
            actor=account,
            on=date.today(),
        )
        assert isinstance(account, Account)
        return requests[0].id

    request_id = live_server.populate(ask)
    page.goto(live_server / "/manage/riverside/withholding")
    page.get_by_role("link", name=re.compile("Amira Okafor: Medivance")).click()
    page.get_by_label("Withhold the entry").check()
    page.get_by_label("Reason for your decision").fill("A credible risk of harm, confirmed by the police")
    review = date.today() + timedelta(days=180)
    page.get_by_label("Day").fill(str(review.day))
    page.get_by_label("Month").fill(str(review.month))
    page.get_by_label("Year").fill(str(review.year))
    page.get_by_role("button", name="Save decision").click()
    page.wait_for_url(re.compile(r"/manage/riverside/withholding$"))
    assert "Entry withheld from the register" in page.locator("main").inner_text()
    assert f"/withholding/{request_id}" in page.get_by_role(
        "link", name=re.compile("Amira Okafor")
    ).get_attribute("href")

    page.goto(live_server / "/providers/riverside")
    register = page.locator("main").inner_text()
    assert "Medivance Surgical Ltd" not in register
    assert "1 entry is withheld" in register
    page.goto(live_server / "/providers/riverside/register.json")
    assert "Medivance" not in page.content()
    page.goto(live_server / "/search?q=Medivance")
    assert "Medivance Surgical Ltd" not in page.locator("main").inner_text()


def test_every_manage_page_is_accessible(live_server: LiveServer, page: Any, tmp_path: Path) -> None:
    world = live_server.populate(_world)

    def more() -> dict[str, Any]:
        from interests.models import Provider

        provider = db.session.scalar(select(Provider).where(Provider.slug == "riverside"))
        version = db.session.get(Interest, world["interest"]).current
        request = factories.make_withholding_request(version, provider)
        question = factories.make_patient_question(provider)
        # Emails the mail server refused: one failed for good (with "Try again"), one being retried.
        for attempts in (outbox.MAX_ATTEMPTS, 1):
            email = outbox.send_email(
                kind="reminder",
                to="amira.okafor@riverside.example",
                subject=f"Reminder to declare ({attempts} attempts)",
                body="Please declare",
                provider_id=provider.id,
                professional_id=world["professional"],
            )
            email.attempts, email.last_error = attempts, "{'x': (550, b'5.1.1 no such mailbox')}"
        return {"request": request.id, "question": question.id}

    extra = live_server.populate(more)
    _sign_in(page, live_server, world["admin"])
    paths = [
        "/manage",
        "/manage/riverside",
        "/manage/riverside/staff",
        "/manage/riverside/staff?status=declared",
        "/manage/riverside/engagements/new",
        "/manage/riverside/engagements/1",
        "/manage/riverside/engagements/1/end",
        "/manage/riverside/import",
        "/manage/riverside/declarations",
        f"/manage/riverside/declarations/{world['declaration']}",
        f"/manage/riverside/entries/{world['item']}/action",
        "/manage/riverside/withholding",
        f"/manage/riverside/withholding/{extra['request']}",
        "/manage/riverside/publication",
        "/manage/riverside/questions",
        f"/manage/riverside/questions/{extra['question']}",
        "/manage/riverside/emails-not-delivered",
        "/providers/riverside/ask",
    ]
    for path in paths:
        response = page.goto(live_server / path)
        assert response.status == 200, path
        assert_accessible(page)

    # Pages showing errors.
    page.goto(live_server / "/manage/riverside/engagements/new")
    page.get_by_role("button", name="Add to staff list").click()
    page.locator(".nhsuk-error-summary").wait_for()
    assert_accessible(page)
    page.goto(live_server / f"/manage/riverside/withholding/{extra['request']}")
    page.get_by_role("button", name="Save decision").click()
    page.locator(".nhsuk-error-summary").wait_for()
    assert_accessible(page)
    path = tmp_path / "bad.csv"
    path.write_text(STAFF_CSV.replace("GMC", "GMX"), encoding="utf-8")
    page.goto(live_server / "/manage/riverside/import")
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="Check and import").click()
    page.locator("#problems").wait_for()
    assert_accessible(page)
    path.write_text(STAFF_CSV, encoding="utf-8")
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_url(re.compile(r"/imports/\d+"))
    assert_accessible(page)

    # Try again on the email failed for good: the page with its banner.
    page.goto(live_server / "/manage/riverside/emails-not-delivered")
    page.get_by_role("button", name="Try again").click()
    page.locator(".nhsuk-notification-banner").wait_for()
    assert "again within a minute" in page.locator(".nhsuk-notification-banner").inner_text()
    assert_accessible(page)

    # The outbox, and an invitation link used in the browser.
    page.goto(live_server / "/manage/outbox")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Declare your interests to Riverside")).first.click()
    page.wait_for_url(re.compile(r"/manage/outbox/\d+$"))  # axe must see the email, not the old page
    assert_accessible(page)
    link = re.search(r"http://\S+/invitations/\S+", page.locator("#email-body").inner_text())
    assert link is not None
    page.context.clear_cookies()
    page.goto(link.group(0).replace("http://localhost", live_server.url))
    assert_accessible(page)
    page.get_by_label("Create a password").fill("a long enough password")
    page.get_by_label("Type the password again").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/declare"))

    def emails() -> int:
        return len(db.session.scalars(select(OutboxEmail)).all())

    assert live_server.populate(emails) >= 1


def test_big_staff_list_shows_progress_then_the_result(
    live_server: LiveServer, page: Any, tmp_path: Path
) -> None:
    world = live_server.populate(_world)
    live_server.app.config["IMPORT_IN_BACKGROUND_FROM_BYTES"] = 20_000  # about 250 lines

    def waiting_job() -> int:
        from interests.models import Provider, StaffImportJob

        provider = db.session.scalar(select(Provider).where(Provider.slug == "riverside"))
        job = StaffImportJob(
            provider_id=provider.id, filename="everyone.csv", file_sha256="0" * 64, expected_lines=40_000
        )
        db.session.add(job)
        db.session.flush()
        return job.id

    # A job waiting for the worker: its page shows the step and a progress bar, and polls.
    job_id = live_server.populate(waiting_job)
    _sign_in(page, live_server, world["admin"])
    page.goto(live_server / f"/manage/riverside/import/jobs/{job_id}")
    assert page.get_by_role("heading", level=1).inner_text().endswith("Importing everyone.csv")
    assert page.get_by_label("Waiting to start").get_attribute("value") == "0"
    assert page.locator("#import-refresh").is_hidden()  # the page refreshes itself
    assert_accessible(page)

    # The import ends (here: it failed) and the page moves on by itself to say what happened.
    def fail() -> None:
        from interests.models import StaffImportJob

        db.session.get_one(StaffImportJob, job_id).status = "failed"

    live_server.populate(fail)
    page.locator("#import-stopped").wait_for()
    assert "Nothing was saved" in page.locator("#import-stopped").inner_text()
    assert_accessible(page)

    # A real big file: uploaded, checked and saved in the background, then the result.
    lines = [STAFF_CSV.rstrip("\r\n")]
    lines += [
        f"Person{n},Tester{n},GMC,{3000000 + n},,bank,Staff grade doctor,Medicine,2024-04-01,,no"
        for n in range(600)
    ]
    path = tmp_path / "everyone.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    page.goto(live_server / "/manage/riverside/import")
    page.set_input_files("#file", str(path))
    with task_consumer(live_server.app):  # a worker takes the import from the queue
        page.get_by_role("button", name="Check and import").click()
        page.wait_for_url(re.compile(r"/manage/riverside/imports/\d+"), timeout=60_000)
    assert any(re.search(r"/manage/riverside/import/jobs/\d+$", url) for url in visited)
    summary = page.locator("#import-summary").inner_text()
    assert re.search(r"Lines in the file\s+602", summary)
    assert re.search(r"Engagements added\s+602", summary)
    assert_accessible(page)
