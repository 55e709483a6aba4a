"""How many requests a professional's declaration takes, and how long each one takes to answer.

    python bench/declare_journey.py [--runs 5]

Walks two journeys through the Flask test client on a fresh SQLite database, from the sign-in
page to the confirmation panel, exactly as a browser without JavaScript would (every GET and
POST, redirects followed one request at a time):

1. a nil return to two providers;
2. a declaration of two new interests to two providers.

Prints the number of page requests (HTML documents and form posts; the CSS, JS and icons the
browser also fetches are cached after the first page), and the median server time per request.
Not a test: it prints.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bs4 import BeautifulSoup  # noqa: E402

from interests.extensions import db  # noqa: E402
from tests import factories  # noqa: E402
from tests.conftest import make_app  # noqa: E402


class Walker:
    """A browser stand-in that counts every request and follows redirects one at a time."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.log: list[tuple[str, str, int, float]] = []

    def _go(self, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        started = time.perf_counter()
        response = self.client.open(path, method=method, data=data)
        self.log.append((method, path, response.status_code, time.perf_counter() - started))
        while response.status_code in (301, 302, 303):
            path = response.headers["Location"]
            started = time.perf_counter()
            response = self.client.get(path)
            self.log.append(("GET", path, response.status_code, time.perf_counter() - started))
        assert response.status_code == 200, (path, response.status_code)
        return response

    def get(self, path: str) -> BeautifulSoup:
        return BeautifulSoup(self._go("GET", path).get_data(as_text=True), "html.parser")

    def post(self, path: str, data: dict[str, Any]) -> BeautifulSoup:
        page = BeautifulSoup(self._go("POST", path, data).get_data(as_text=True), "html.parser")
        assert page.select_one(".nhsuk-error-summary") is None, page.select_one(
            ".nhsuk-error-summary"
        ).get_text()
        return page


def setup(tmp: Path) -> tuple[Any, str, list[str]]:
    app = make_app(f"sqlite:///{tmp / 'bench.sqlite3'}", tmp)
    with app.app_context():
        db.create_all()
        account = factories.make_account("professional")
        providers = [factories.make_provider(name=n) for n in ("Northgate NHS Trust", "Ashby Hospital")]
        for provider in providers:
            factories.make_engagement(account.professional, provider)
        db.session.commit()
        return app, account.email, [str(p.id) for p in providers]


def sign_in(walker: Walker, email: str) -> BeautifulSoup:
    walker.get("/sign-in")
    return walker.post("/sign-in", {"email": email, "password": factories.PASSWORD})


def nil_return(walker: Walker, email: str, providers: list[str]) -> None:
    home = sign_in(walker, email)
    walker.get(home.find("a", string="Send a nil return")["href"])
    page = walker.post("/declare/nil-return", {"providers": providers, "confirm": "y"})
    assert page.select_one(".nhsuk-panel")


def two_interests(walker: Walker, email: str, providers: list[str]) -> None:
    started = date.today() - timedelta(days=20)
    home = sign_in(walker, email)
    link = home.find("a", string="Add an interest")["href"]
    for other_party in ("Medivance Surgical Ltd", "Pelvica Devices plc"):
        walker.get(link)
        check = walker.post(
            "/declare/interests/new",
            {
                "category": "financial",
                "interest_type": "outside_employment",
                "other_party": other_party,
                "description": "Paid advisory board member",
                "ongoing": "yes",
                "date_from-day": str(started.day),
                "date_from-month": str(started.month),
                "date_from-year": str(started.year),
            },
        )
        link = check.find("a", string="Add another interest")["href"]
    shown = check.select_one("input[name=shown]")["value"]
    page = walker.post("/declare/check", {"providers": providers, "confirm": "y", "shown": shown})
    assert page.select_one(".nhsuk-panel")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for name, journey in (
        ("nil return, 2 providers", nil_return),
        ("2 interests, 2 providers", two_interests),
    ):
        counts, times = [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                app, email, providers = setup(Path(tmp))
                walker = Walker(app.test_client())
                journey(walker, email, providers)
                counts.append(len(walker.log))
                times.extend(seconds for *_, seconds in walker.log)
                with app.app_context():
                    db.engine.dispose()
        print(f"{name}: {counts[0]} requests from the sign-in page to the confirmation")
        for method, path, status, _ in walker.log:
            print(f"    {method:4} {status} {path}")
        print(
            f"    median {statistics.median(times) * 1000:.1f} ms per request, max {max(times) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
