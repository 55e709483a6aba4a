"""The national download (/data, interests/services/national_data.py): the whole published register every
night as gzipped CSV and JSON Lines with a Frictionless datapackage.json, the latest 30 nights kept.

Its rows are exactly the rows the providers' own register.csv downloads publish, summed over the
providers; its schema validates (frictionless); a publish that fails leaves nothing half-written;
forged addresses are 404s, never a file outside the data folder.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import frictionless
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import Provider
from interests.services import national_data as national
from interests.services.register import export
from tests import factories
from tests.public_data import Register, build_register

pytestmark = pytest.mark.alldb


@pytest.fixture
def data(app: Flask) -> Register:
    with app.app_context():
        built = build_register()
        # A provider with nobody on its register, and a cell a spreadsheet would run as a formula.
        factories.make_provider(slug="empty-practice", name="Empty Practice", kind="gp_practice")
        clinic = db.session.scalar(select(Provider).where(Provider.slug == built.other_provider_slug))
        person = factories.make_professional(given_name="Formula", family_name="Test")
        factories.make_engagement(person, clinic)
        factories.make_declaration(
            person, clinic, [factories.make_interest(person, other_party="=HYPERLINK(1)", description="+sum")]
        )
        db.session.commit()
        return built


def _night_dir(app: Flask, night: date) -> Path:
    return Path(app.config["DATA_DIR"]) / night.isoformat()


def _publish(app: Flask) -> national.Published:
    with app.app_context():
        return national.publish()


def _csv_rows(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8"))))


def _download(client: FlaskClient, night: date, name: str) -> bytes:
    with client.get(f"/data/{night.isoformat()}/{name}") as response:
        assert response.status_code == 200, name
        return response.get_data()


def _status(client: FlaskClient, address: str) -> int:
    with client.get(address) as response:
        return response.status_code


def test_the_download_holds_exactly_the_rows_every_provider_publishes(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    done = _publish(app)
    with app.app_context():
        slugs = sorted(db.session.scalars(select(Provider.slug)))
    expected: list[list[str]] = []
    for slug in slugs:
        response = client.get(f"/providers/{slug}/register.csv")
        header, *rows = _csv_rows(response.get_data())
        assert header == list(export.CSV_COLUMNS)
        expected += [[slug, _name(app, slug), *row] for row in rows]
    assert len(expected) > 6  # a real register: entries, a nil return, someone all withheld

    header, *rows = _csv_rows(gzip.decompress(_download(client, done.night, "register.csv.gz")))
    assert header == list(national.COLUMNS) == ["provider_slug", "provider_name", *export.CSV_COLUMNS]
    assert rows == expected  # the same rows, cell for cell (formulas neutralised alike), in slug order
    assert any(row[11:13] == ["'=HYPERLINK(1)", "'+sum"] for row in rows)
    assert done.rows == len(expected)

    lines = gzip.decompress(_download(client, done.night, "register.jsonl.gz")).decode("utf-8").splitlines()
    assert len(lines) == len(expected)
    objects = [json.loads(line) for line in lines]
    assert [list(o) for o in objects] == [list(national.COLUMNS)] * len(objects)
    assert [o["declaration_reference"] for o in objects] == [row[6] for row in rows]

    package = json.loads(_download(client, done.night, "datapackage.json"))
    assert [r["rows"] for r in package["resources"]] == [len(expected), len(expected)]
    assert package["date"] == done.night.isoformat()


def _name(app: Flask, slug: str) -> str:
    with app.app_context():
        return str(db.session.scalar(select(Provider.name).where(Provider.slug == slug)))


# frictionless 5.21 leaves the .gz file it validates open (its decompressing loader): a
# ResourceWarning at garbage collection, from its code, not ours (the app's own files are closed).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_datapackage_and_the_files_are_valid_frictionless_data(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    done = _publish(app)
    folder = _night_dir(app, done.night)
    descriptor = json.loads((folder / "datapackage.json").read_text("utf-8"))
    for resource in descriptor["resources"]:  # the schema names every column, in order
        assert tuple(field["name"] for field in resource["schema"]["fields"]) == national.COLUMNS
    assert frictionless.Package.validate_descriptor(descriptor).valid
    assert descriptor["licenses"] == [
        {
            "name": "OGL-UK-3.0",
            "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
            "title": "Open Government Licence v3.0",
        }
    ]
    for resource in descriptor["resources"]:
        raw = (folder / resource["path"]).read_bytes()
        assert resource["bytes"] == len(raw)
        assert resource["hash"] == "sha256:" + hashlib.sha256(raw).hexdigest()
        assert resource["compression"] == "gz" and resource["encoding"] == "utf-8"
        assert all(field["description"] for field in resource["schema"]["fields"])

    package = frictionless.Package(str(folder / "datapackage.json"))
    # The CSV as published, read by frictionless: types, the bytes and the SHA-256 checked.
    report = package.get_resource("register-csv").validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == done.rows
    # The JSON Lines rows against the same schema (frictionless reads JSON Lines only with its
    # optional [json] extra, so the lines are read here and handed to it as rows).
    lines = gzip.decompress((folder / "register.jsonl.gz").read_bytes()).decode("utf-8").splitlines()
    schema = frictionless.Schema.from_descriptor(
        package.get_resource("register-jsonl").schema.to_descriptor()
    )
    jsonl = frictionless.Resource(data=[json.loads(line) for line in lines], schema=schema)
    report = jsonl.validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])

    # A checksum that does not match the file is caught (the check is real).
    descriptor["resources"][0]["hash"] = "sha256:" + "0" * 64
    (folder / "tampered.json").write_text(json.dumps(descriptor), "utf-8")
    tampered = frictionless.Package(str(folder / "tampered.json")).get_resource("register-csv").validate()
    assert not tampered.valid


def test_the_data_page_describes_the_latest_files_and_the_licence(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    page = client.get("/data").get_data(as_text=True)
    assert "The first files have not been made yet" in page
    done = _publish(app)
    page = client.get("/data").get_data(as_text=True)
    package = json.loads((_night_dir(app, done.night) / "datapackage.json").read_text("utf-8"))
    for resource in package["resources"]:
        assert f"/data/{done.night.isoformat()}/{resource['path']}" in page
        assert resource["hash"].removeprefix("sha256:") in page
    assert f"{done.rows:,}" in page
    assert "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/" in page
    assert national.ATTRIBUTION in page
    assert f"/data/{done.night.isoformat()}/datapackage.json" in page
    # The latest night has an address of its own.
    latest = client.get("/data/latest/register.csv.gz")
    assert latest.status_code == 302
    assert latest.headers["Location"].endswith(f"/data/{done.night.isoformat()}/register.csv.gz")


def test_files_are_served_as_downloads_never_unzipped_by_the_browser(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    done = _publish(app)
    night = done.night.isoformat()
    for name in ("register.csv.gz", "register.jsonl.gz"):
        with client.get(f"/data/{night}/{name}") as response:
            assert response.status_code == 200
            assert response.mimetype == "application/gzip"
            assert "Content-Encoding" not in response.headers
            assert response.headers["Content-Disposition"].startswith("attachment;")
            assert response.get_data()[:2] == b"\x1f\x8b"
    with client.get(f"/data/{night}/datapackage.json") as response:
        assert response.mimetype == "application/json"
        assert json.loads(response.get_data())["date"] == night


FORGED = [
    "/data/{night}/../../secret_key",
    "/data/{night}/..%2F..%2Fsecret_key",
    "/data/{night}/%2e%2e/%2e%2e/secret_key",
    "/data/..%2F{night}/register.csv.gz",
    "/data/{night}/register.csv",
    "/data/{night}/register.csv.gz.tmp",
    "/data/{night}/REGISTER.CSV.GZ",
    "/data/{night}/datapackage.json%00",
    "/data/{night}/register.csv.gz%00.json",
    "/data/{night}/.",
    "/data/{night}/%2e",
    "/data/{night}/",
    "/data/{night}",
    "/data/latest/secret_key",
    "/data/latest/..%2Fsecret_key",
    "/data/2026-13-01/register.csv.gz",
    "/data/2026-02-30/register.csv.gz",
    "/data/0000-00-00/register.csv.gz",
    "/data/9999-12-31/register.csv.gz",
    "/data/2026-1-01/register.csv.gz",
    "/data/{night}x/register.csv.gz",
    "/data/+{night}/register.csv.gz",
    "/data/{night}%0A/register.csv.gz",
    "/data/%D9%A2%D9%A0%D9%A2%D9%A6-12-01/register.csv.gz",  # Arabic-Indic digits
    "/data/%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-12-01/register.csv.gz",  # full-width digits
    "/data/" + "9" * 5000 + "/register.csv.gz",
    "/data/{night}/" + "a" * 5000,
    "/data/.partial-{night}/register.csv.gz",
    "/data/%2Fetc/passwd",
    "/data/{night}/%2Fetc%2Fpasswd",
]


def test_forged_addresses_are_not_found_and_never_leave_the_data_folder(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    done = _publish(app)
    night = done.night.isoformat()
    root = Path(app.config["DATA_DIR"])
    # Things that must never be served: a file beside the nights, one inside a night, a half-written
    # night (no datapackage.json), and a night that is a link to a folder outside DATA_DIR.
    (root / "secret_key").write_text("zqxmark-beside", "utf-8")
    (root / night / "secret_key").write_text("zqxmark-inside", "utf-8")
    (root / night / "register.csv").write_text("zqxmark-other-name", "utf-8")
    half = root / "2020-01-01"
    half.mkdir()
    (half / "register.csv.gz").write_bytes(gzip.compress(b"zqxmark-half"))
    outside = root.parent / "outside"
    outside.mkdir()
    for name in national.FILES:
        (outside / name).write_text("zqxmark-outside", "utf-8")
    (root / "2020-01-02").symlink_to(outside, target_is_directory=True)
    (root / night / "link.json").symlink_to(outside / "datapackage.json")

    addresses = [forged.format(night=night) for forged in FORGED] + [
        "/data/2020-01-01/register.csv.gz",
        "/data/2020-01-02/register.csv.gz",
        "/data/2020-01-02/datapackage.json",
        f"/data/{night}/link.json",
        f"/data/{night}/secret_key",
    ]
    for address in addresses:
        # (Werkzeug redirects "/data//etc" to "/data/etc" first: followed, it is a 404 all the same.)
        with client.get(address, follow_redirects=True) as response:
            assert response.status_code == 404, (address, response.status_code)
            assert b"zqxmark" not in response.get_data(), address
    # The half-written night and the link are not listed either.
    with app.app_context():
        assert national.nights() == [done.night]
    assert "2020" not in client.get("/data").get_data(as_text=True).split("Earlier files")[1]


def test_a_publish_that_fails_half_way_leaves_the_last_night_as_it_was(
    app: Flask, client: FlaskClient, data: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = datetime.now(UTC).replace(hour=12)
    with time_machine.travel(day - timedelta(days=1), tick=False):
        yesterday = _publish(app)
    before = {p.name: p.read_bytes() for p in _night_dir(app, yesterday.night).iterdir()}

    def failing(today: date) -> Iterator[dict[str, Any]]:
        rows = original(today)
        yield next(rows)
        raise RuntimeError("the database went away")

    original = national.national_rows
    monkeypatch.setattr(national, "national_rows", failing)
    with time_machine.travel(day, tick=False), pytest.raises(RuntimeError):
        _publish(app)
    # Nothing of today's, not even a hidden half-written folder; yesterday's files untouched.
    assert sorted(p.name for p in Path(app.config["DATA_DIR"]).iterdir()) == [yesterday.night.isoformat()]
    assert {p.name: p.read_bytes() for p in _night_dir(app, yesterday.night).iterdir()} == before
    monkeypatch.undo()
    # Published again the same day, a night is replaced whole.
    with time_machine.travel(day - timedelta(days=1), tick=False):
        again = _publish(app)
    assert again.night == yesterday.night
    assert sorted(p.name for p in Path(app.config["DATA_DIR"]).iterdir()) == [yesterday.night.isoformat()]


def test_the_latest_30_nights_are_kept(app: Flask, client: FlaskClient, data: Register) -> None:
    start = datetime(2026, 10, 1, 2, 30, tzinfo=national.clock.UK_TIME)
    published = []
    for n in range(35):
        with time_machine.travel(start + timedelta(days=n), tick=False):
            published.append(_publish(app).night)
    assert published[0] == date(2026, 10, 1) and published[-1] == date(2026, 11, 4)
    kept = sorted(p.name for p in Path(app.config["DATA_DIR"]).iterdir())
    assert kept == [night.isoformat() for night in published[-30:]]
    with app.app_context():
        assert national.nights() == sorted(published[-30:], reverse=True)
    page = client.get("/data").get_data(as_text=True)
    night_list = page.split('id="night-list"')[1].split("</ul>")[0]
    assert night_list.count("register.csv.gz") == 30
    assert "/data/2026-10-05/" not in page and "/data/2026-10-06/register.csv.gz" in page
    assert _status(client, "/data/2026-10-05/register.csv.gz") == 404
    assert _status(client, "/data/2026-10-06/register.csv.gz") == 200


def test_the_publish_command_makes_one_at_once_and_if_missing_only_the_first(
    app: Flask, data: Register
) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["data", "publish", "--if-missing"])
    assert result.exit_code == 0, result.output
    assert "Published the national download" in result.output
    result = runner.invoke(args=["data", "publish", "--if-missing"])
    assert result.exit_code == 0 and "not published again" in result.output
    result = runner.invoke(args=["data", "list"])
    assert result.exit_code == 0 and "rows" in result.output


def test_every_server_sharing_data_dir_serves_the_night_the_worker_published(
    app: Flask, data: Register, database_url: str, tmp_path: Path
) -> None:
    from tests.conftest import make_app

    done = _publish(app)  # the worker's app
    other = make_app(database_url, tmp_path / "second-server", DATA_DIR=app.config["DATA_DIR"])
    try:
        with other.test_client() as second:
            assert done.night.isoformat() in second.get("/data").get_data(as_text=True)
            with second.get(f"/data/{done.night.isoformat()}/register.csv.gz") as response:
                assert response.status_code == 200
                assert response.get_data() == (_night_dir(app, done.night) / "register.csv.gz").read_bytes()
    finally:
        with other.app_context():
            db.engine.dispose()
