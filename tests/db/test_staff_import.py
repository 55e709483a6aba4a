"""Importing a staff list from CSV: every bad file and bad row is named, and nothing is saved
until the whole file is clean; the same file twice changes nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import Engagement, Invitation, OutboxEmail, Professional, Provider, StaffImport
from interests.services.staff import importing as staff_import
from tests import factories

HEADER = (
    "Given name,Family name,Regulator,Registration number,Email,Engagement type,Role,Department,"
    "Start date,End date,Decision maker"
)
GOOD = [
    "Amira,Okafor,GMC,1234567,amira@example.org,employee,Consultant,Gynaecology,2024-04-01,,yes",
    "Ben,Carter,NMC,12A3456E,,Bank staff,Staff nurse,Urology,01/05/2023,,no",
    'Chloe,"Dunn, Jr",HCPC,PH123456,chloe@example.org,locum,Physiotherapist,,2025-01-15,2026-01-14,',
]


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode(encoding)


def counts() -> dict[str, int]:
    return {
        name: int(db.session.scalar(select(func.count()).select_from(model)) or 0)
        for name, model in (
            ("professionals", Professional),
            ("engagements", Engagement),
            ("invitations", Invitation),
            ("emails", OutboxEmail),
            ("imports", StaffImport),
        )
    }


@pytest.fixture
def provider(app_ctx: Flask) -> Provider:
    provider = factories.make_provider(slug="riverside")
    db.session.commit()
    return provider


@pytest.mark.parametrize(
    ("content", "line", "column", "message"),
    [
        (b"", 1, None, "The file is empty"),
        (
            b"Given name;Family name;Regulator\r\nA;B;GMC\r\n",
            1,
            None,
            "The columns are separated by semicolons, not commas",
        ),
        (
            b"Given name\tFamily name\tRegulator\r\nA\tB\tGMC\r\n",
            1,
            None,
            "The columns are separated by tabs, not commas",
        ),
        (
            csv_bytes("Zoë,Ångström,GMC,1234567,,employee,Consultant,,2024-04-01,,no", encoding="latin-1"),
            2,
            None,
            "The file is not saved as UTF-8",
        ),
        (csv_bytes(GOOD[0], encoding="utf-16"), None, None, "The file is saved as UTF-16"),
        (
            csv_bytes(GOOD[0], header=HEADER.replace(",Regulator", "")),
            1,
            "Regulator",
            "The file has no Regulator column",
        ),
        (csv_bytes(), 2, None, "The file has a header line but no staff"),
        (csv_bytes(GOOD[0].replace("GMC", "GMX")), 2, "Regulator", "Unknown regulator 'GMX'"),
        (
            csv_bytes(GOOD[0].replace("1234567", "12345")),
            2,
            "Registration number",
            "'12345' is not a GMC registration number: it should look like 1234567",
        ),
        (
            csv_bytes(GOOD[0].replace("2024-04-01", "2024-02-30")),
            2,
            "Start date",
            "Start date '2024-02-30' is not a real date",
        ),
        (
            csv_bytes(GOOD[0].replace("2024-04-01", "31/02/2024")),
            2,
            "Start date",
            "Start date '31/02/2024' is not a real date",
        ),
        (
            csv_bytes(GOOD[0].replace("2024-04-01", "April 2024")),
            2,
            "Start date",
            "must be a date like 2025-04-01 or 01/04/2025",
        ),
        (
            csv_bytes(GOOD[0].replace("2024-04-01,,", "2024-04-01,2023-01-01,")),
            2,
            "End date",
            "End date must be the same as or after the start date",
        ),
        (
            csv_bytes(GOOD[0].replace("employee", "volunteer")),
            2,
            "Engagement type",
            "Unknown engagement type 'volunteer'",
        ),
        (
            csv_bytes(GOOD[0].replace(",yes", ",maybe")),
            2,
            "Decision maker",
            "Decision maker must be yes or no",
        ),
        (
            csv_bytes(GOOD[0].replace("amira@example.org", "amira-at-example")),
            2,
            "Email",
            "is not an email address",
        ),
        (csv_bytes(GOOD[0].replace("Amira", "")), 2, "Given name", "Enter the given name"),
        (
            csv_bytes(GOOD[0].replace("Consultant", "C" * 151)),
            2,
            "Role",
            "Role must be 150 characters or fewer",
        ),
        (
            csv_bytes(GOOD[0], GOOD[1].replace("Staff nurse", "Staff\x00nurse")),
            3,
            "Role",
            "Role must not include control characters",
        ),
        (csv_bytes(GOOD[0] + ",extra"), 2, None, "This line has 12 values but the header has 11 columns"),
        (
            csv_bytes(GOOD[0], GOOD[1], GOOD[0].replace("Amira", "Amy")),
            4,
            "Registration number",
            "GMC 1234567 is already on line 2",
        ),
    ],
    ids=[
        "empty-file",
        "semicolons",
        "tabs",
        "latin-1",
        "utf-16",
        "missing-column",
        "no-rows",
        "unknown-regulator",
        "malformed-number",
        "impossible-iso-date",
        "impossible-uk-date",
        "unreadable-date",
        "end-before-start",
        "unknown-engagement-type",
        "bad-decision-maker",
        "bad-email",
        "missing-value",
        "too-long",
        "control-character",
        "wrong-width",
        "duplicate-row",
    ],
)
def test_bad_file_or_row_is_named_and_nothing_is_saved(
    provider: Provider, content: bytes, line: int | None, column: str | None, message: str
) -> None:
    before = counts()
    with pytest.raises(staff_import.ImportRefused) as refused:
        staff_import.import_staff(provider, content, filename="staff.csv", actor=None)
    db.session.rollback()
    problems = refused.value.checked.problems
    assert any(p.line == line and p.column == column and message in p.message for p in problems), problems
    assert counts() == before


def test_every_bad_row_is_listed_with_its_line_in_the_file(provider: Provider) -> None:
    content = csv_bytes(
        GOOD[0],
        GOOD[1].replace("NMC", "XYZ"),
        '"Multi\nline",Name,GMC,7654321,,employee,Consultant,,2024-04-01,,no',  # lines 4-5
        GOOD[2].replace("2025-01-15", "2025-13-01"),  # line 6
    )
    checked = staff_import.check(content)
    assert [(p.line, p.column) for p in checked.problems] == [(3, "Regulator"), (6, "Start date")]
    assert checked.rows == []


@pytest.mark.alldb
def test_clean_file_imports_and_second_import_changes_nothing(provider: Provider) -> None:
    content = csv_bytes(*GOOD)
    outcome = staff_import.import_staff(provider, content, filename="staff.csv", actor=None)
    db.session.commit()
    assert (outcome.professionals_created, outcome.engagements_created, outcome.invitations_sent) == (3, 3, 2)
    nurse = db.session.scalar(select(Professional).where(Professional.registration_number == "12A3456E"))
    assert nurse.family_name == "Carter" and nurse.profession == "Nurse"
    engagement = db.session.scalar(select(Engagement).where(Engagement.professional_id == nurse.id))
    assert engagement.engagement_type == "bank" and engagement.start_date.isoformat() == "2023-05-01"
    after_first = counts()

    again = staff_import.import_staff(provider, content, filename="staff.csv", actor=None)
    db.session.commit()
    assert (again.professionals_created, again.engagements_created, again.engagements_updated) == (0, 0, 0)
    assert again.unchanged == 3 and again.invitations_sent == 0
    after_second = counts()
    assert {k: v for k, v in after_second.items() if k != "imports"} == {
        k: v for k, v in after_first.items() if k != "imports"
    }


@pytest.mark.alldb
def test_first_import_asks_everyone_it_can_reach_once_and_nobody_else(provider: Provider) -> None:
    # Ben (no address on the file, no account) cannot be asked yet; Dev has an account and no
    # address on the file: he is told at his account's address.
    dev = factories.make_professional(
        regulator="GMC", registration_number="7654321", given_name="Dev", family_name="Patel"
    )
    factories.make_account("professional", email="dev@home.example", professional=dev)
    db.session.commit()
    dev_line = "Dev,Patel,GMC,7654321,,employee,Registrar,Theatres,2024-09-01,,no"
    outcome = staff_import.import_staff(
        provider, csv_bytes(*GOOD, dev_line), filename="staff.csv", actor=None
    )
    db.session.commit()
    assert outcome.invitations_sent == 3
    asked = {
        family: asked_at
        for family, asked_at in db.session.execute(
            select(Professional.family_name, Engagement.asked_at).join(Engagement)
        )
    }
    assert asked["Carter"] is None
    assert {family for family, at in asked.items() if at is not None} == {"Okafor", "Dunn, Jr", "Patel"}
    emails = db.session.execute(
        select(OutboxEmail.to_address, OutboxEmail.kind, OutboxEmail.created_at)
    ).all()
    assert sorted((to, kind) for to, kind, _ in emails) == [
        ("amira@example.org", "invitation"),
        ("chloe@example.org", "invitation"),
        ("dev@home.example", "confirm_engagement"),
    ]
    # Each was asked when their email was queued and their link made.
    links = db.session.execute(select(Invitation.email, Invitation.created_at)).all()
    assert sorted(email for email, _ in links) == ["amira@example.org", "chloe@example.org"]
    assert {at for _, _, at in emails} | {at for _, at in links} == {asked["Okafor"]}

    again = staff_import.import_staff(provider, csv_bytes(*GOOD, dev_line), filename="staff.csv", actor=None)
    db.session.commit()
    assert again.invitations_sent == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 3


def test_a_big_import_logs_the_first_invitations_and_counts_the_rest(
    provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [
        f"Person,Number{n},HCPC,PH{100000 + n},person{n}@example.org,employee,Physiotherapist,,2024-04-01,,no"
        for n in range(25)
    ]
    with caplog.at_level(logging.INFO, logger="interests.services.outbox"):
        outcome = staff_import.import_staff(provider, csv_bytes(*lines), filename="staff.csv", actor=None)
    assert outcome.invitations_sent == 25
    logged = [r.getMessage() for r in caplog.records if r.name == "interests.services.outbox"]
    assert len(logged) == 21
    assert logged[0].startswith("Email queued to person0@example.org: Declare your interests to ")
    assert "/invitations/" in logged[0]
    assert (
        logged[-1] == "5 more emails queued: /manage/outbox lists them with their links until they are sent"
    )


@pytest.mark.alldb
def test_new_file_updates_engagements_by_regulator_and_number(provider: Provider) -> None:
    staff_import.import_staff(provider, csv_bytes(*GOOD), filename="staff.csv", actor=None)
    db.session.commit()
    changed = GOOD[0].replace("Consultant", "Clinical director").replace("Amira,Okafor", "Amira,Okafor-Smith")
    outcome = staff_import.import_staff(provider, csv_bytes(changed, GOOD[1]), filename="new.csv", actor=None)
    db.session.commit()
    assert (outcome.engagements_updated, outcome.unchanged, outcome.engagements_created) == (1, 1, 0)
    roles = set(db.session.scalars(select(Engagement.role)))
    assert "Clinical director" in roles and "Consultant" not in roles
    assert db.session.scalar(select(func.count()).select_from(Engagement)) == 3  # nobody removed


def test_professional_known_elsewhere_is_matched_not_duplicated(provider: Provider) -> None:
    known = factories.make_professional(regulator="GMC", registration_number="1234567", given_name="Amira")
    db.session.commit()
    outcome = staff_import.import_staff(provider, csv_bytes(GOOD[0]), filename="staff.csv", actor=None)
    db.session.commit()
    assert outcome.professionals_created == 0 and outcome.engagements_created == 1
    assert db.session.scalar(select(Engagement.professional_id)) == known.id


def test_template_has_every_column_and_imports_cleanly(provider: Provider) -> None:
    template = staff_import.template_csv()
    assert template.splitlines()[0].split(",")[:4] == [
        "Given name",
        "Family name",
        "Regulator",
        "Registration number",
    ]
    assert staff_import.check(template.encode()).ok


def test_utf8_with_bom_and_semicolons_inside_values_are_fine(provider: Provider) -> None:
    content = "\ufeff".encode() + csv_bytes(GOOD[0].replace("Gynaecology", '"Gynae; Obstetrics"'))
    checked = staff_import.check(content)
    assert checked.ok and checked.rows[0].department == "Gynae; Obstetrics"


def test_import_page_lists_problems_and_template_downloads(app: Flask, provider: Provider) -> None:
    admin = factories.make_account("provider_admin", providers=[provider])
    db.session.commit()
    client = app.test_client()
    factories.sign_in(client, admin.email)
    template = client.get("/manage/riverside/import/template.csv")
    assert template.status_code == 200 and template.mimetype == "text/csv"
    from io import BytesIO

    from bs4 import BeautifulSoup

    bad = csv_bytes(GOOD[0].replace("GMC", "GMX"), GOOD[1])
    response = client.post(
        "/manage/riverside/import",
        data={"file": (BytesIO(bad), "staff.csv")},
        content_type="multipart/form-data",
    )
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "The file has 1 problem. Nothing was saved" in page.select_one(".nhsuk-error-summary").get_text()
    cells = [" ".join(td.get_text().split()) for td in page.select("#problems tbody td")]
    assert cells[:2] == ["2", "Regulator"] and "Unknown regulator 'GMX'" in cells[2]
    missing = client.post("/manage/riverside/import", data={}, content_type="multipart/form-data")
    assert "Select a CSV file" in missing.get_data(as_text=True)
    good = client.post(
        "/manage/riverside/import",
        data={"file": (BytesIO(csv_bytes(*GOOD)), "staff.csv")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    result = BeautifulSoup(client.get(good.headers["Location"]).get_data(as_text=True), "html.parser")
    assert "Engagements added 3" in " ".join(result.select_one("#import-summary").get_text().split())


def test_import_staff_command(app: Flask, provider: Provider, tmp_path: Any) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(csv_bytes(*GOOD))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "staff", str(path), "--provider", "riverside"])
    assert result.exit_code == 0, result.output
    assert "3 engagements added" in result.output
    path.write_bytes(csv_bytes(GOOD[0].replace("GMC", "GMX")))
    result = runner.invoke(args=["import", "staff", str(path), "--provider", "riverside"])
    assert result.exit_code == 1
    assert "line 2, Regulator: Unknown regulator 'GMX'" in result.output
