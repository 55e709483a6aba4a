"""The simulated people of bench/load.py: a locustfile, run by `locust` in a process of its own.

Not run by hand: bench/load.py writes the data it needs (accounts, slugs, names) to a JSON file
named by LOAD_BENCH_DATA, starts `locust -f bench/load_users.py --headless ...` and, when it ends,
reads back from LOAD_BENCH_RESULTS the statistics and the changes the servers accepted, to look
for each in the database. Each request goes to one of the hosts in LOAD_BENCH_HOSTS
(comma-separated), in turn, as a load balancer would send them: sessions must carry over from one
server to the other.

- Patient (6 of 10 users): the start page, a search by name or company, a provider's register,
  a professional's page.
- Professional (3 of 10): signs in once, then again and again adds an interest (the form, then
  the check page) and sends the declaration to every provider offered.
- ProviderAdmin (1 of 10): signs in once, then reads the staff page, filtered by status, searched,
  and its second page.

A change counts as accepted only when the server answered with the redirect that means success
(to the check page after adding an interest, to /declare/sent/<key> after sending).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, between, events, task

DATA: dict[str, Any] = json.loads(open(os.environ["LOAD_BENCH_DATA"], encoding="utf-8").read())  # noqa: SIM115
HOSTS = [h.rstrip("/") for h in os.environ["LOAD_BENCH_HOSTS"].split(",") if h.strip()]
RUN = DATA["run"]  # a tag unique to this run, in every interest it adds
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
CHECKED_PROVIDER = re.compile(r"<input[^>]*>")
SHOWN = re.compile(r'name="shown"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="shown"')

ACCEPTED: dict[str, list[Any]] = {"interests": [], "declarations": []}
_professionals = itertools.count()
_admins = itertools.count()
_users = itertools.count()


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    if match is None:
        raise ValueError("no csrf_token on the page")
    return match.group(1) or match.group(2)


def offered_providers(html: str) -> list[str]:
    """The provider checkboxes of the check page that are ticked, as the browser would send them."""
    chosen = []
    for tag in CHECKED_PROVIDER.findall(html):
        if 'name="providers"' in tag and "checked" in tag:
            value = re.search(r'value="(\d+)"', tag)
            if value:
                chosen.append(value.group(1))
    return chosen


class Visitor(FastHttpUser):
    abstract = True
    host = HOSTS[0]

    def on_start(self) -> None:
        self.number = next(_users)
        self.turn = itertools.cycle(HOSTS[self.number % len(HOSTS) :] + HOSTS[: self.number % len(HOSTS)])

    def url(self, path: str) -> str:
        return next(self.turn) + path

    def get(self, path: str, name: str) -> Any:
        with self.client.get(self.url(path), name=name, catch_response=True, allow_redirects=False) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
            return r

    def post(self, path: str, data: list[tuple[str, str]], name: str, expect: str) -> Any:
        """A form post; it succeeds only on a redirect to a path starting `expect`."""
        with self.client.post(
            self.url(path),
            data=urlencode(data),
            headers=FORM,
            name=name,
            catch_response=True,
            allow_redirects=False,
        ) as r:
            location = r.headers.get("Location", "") if r.headers else ""
            location = re.sub(r"^https?://[^/]+", "", location)
            if r.status_code not in (302, 303) or not location.startswith(expect):
                r.failure(f"HTTP {r.status_code} to {location or '-'}, not a redirect to {expect}")
                return None
            return location

    def sign_in(self, email: str, password: str, home: str) -> bool:
        page = self.get("/sign-in", "GET /sign-in")
        if page.status_code != 200:
            return False
        data = [("csrf_token", csrf_token(page.text)), ("email", email), ("password", password), ("next", "")]
        return self.post("/sign-in", data, "POST /sign-in", expect=home) is not None


class Patient(Visitor):
    weight = 6
    wait_time = between(1, 3)

    @task(2)
    def start_page(self) -> None:
        self.get("/", "GET /")

    @task(4)
    def search(self) -> None:
        query = random.choice(DATA["queries"])
        self.get("/search?" + urlencode({"q": query}), "GET /search?q=[name or company]")

    @task(3)
    def register(self) -> None:
        self.get(f"/providers/{random.choice(DATA['slugs'])}", "GET /providers/[slug]")

    @task(3)
    def professional(self) -> None:
        self.get(f"/professionals/{random.choice(DATA['professional_ids'])}", "GET /professionals/[id]")


class Professional(Visitor):
    weight = 3
    wait_time = between(2, 5)

    def on_start(self) -> None:
        super().on_start()
        accounts = DATA["professionals"]
        self.account = accounts[next(_professionals) % len(accounts)]
        self.added = 0
        self.signed_in = self.sign_in(self.account["email"], DATA["password"], "/declare")

    @task
    def declare(self) -> None:
        if not self.signed_in:
            self.signed_in = self.sign_in(self.account["email"], DATA["password"], "/declare")
            return
        self.get("/declare", "GET /declare")
        form = self.get("/declare/interests/new", "GET /declare/interests/new")
        if form.status_code != 200:
            return
        self.added += 1
        other_party = f"Loadbench {RUN} {self.account['email'].split('@')[0]} no {self.added} Ltd"
        day = random.randint(1, 28)
        data = [
            ("csrf_token", csrf_token(form.text)),
            ("category", "financial"),
            ("interest_type", "outside_employment"),
            ("other_party", other_party),
            ("description", "Paid advisory board member (load bench)"),
            ("ongoing", "yes"),
            ("date_from-day", str(day)),
            ("date_from-month", "3"),
            ("date_from-year", "2025"),
        ]
        if self.post("/declare/interests/new", data, "POST /declare/interests/new", "/declare/check") is None:
            return
        ACCEPTED["interests"].append(other_party)
        check = self.get("/declare/check", "GET /declare/check")
        if check.status_code != 200:
            return
        shown = SHOWN.search(check.text)
        providers = offered_providers(check.text)
        data = [("csrf_token", csrf_token(check.text)), ("confirm", "y")]
        data += [("shown", (shown.group(1) or shown.group(2) or "") if shown else "")]
        data += [("providers", p) for p in providers]
        sent = self.post("/declare/check", data, "POST /declare/check (send)", "/declare/sent/")
        if sent is None:
            return
        ACCEPTED["declarations"].append({"key": sent.rsplit("/", 1)[-1], "providers": len(providers)})
        self.get(sent, "GET /declare/sent/[key]")


class ProviderAdmin(Visitor):
    weight = 1
    wait_time = between(2, 5)

    def on_start(self) -> None:
        super().on_start()
        accounts = DATA["admins"]
        self.account = accounts[next(_admins) % len(accounts)]
        self.signed_in = self.sign_in(self.account["email"], DATA["password"], "/manage")

    def staff(self, query: dict[str, str], name: str) -> None:
        if not self.signed_in:
            self.signed_in = self.sign_in(self.account["email"], DATA["password"], "/manage")
            return
        suffix = "?" + urlencode(query) if query else ""
        self.get(f"/manage/{self.account['slug']}/staff{suffix}", name)

    @task(3)
    def staff_page(self) -> None:
        self.staff({}, "GET /manage/[slug]/staff")

    @task(2)
    def staff_by_status(self) -> None:
        status = random.choice(("declared", "due", "overdue", "missing"))
        self.staff({"status": status}, "GET /manage/[slug]/staff?status=[status]")

    @task(1)
    def staff_search(self) -> None:
        self.staff({"q": random.choice(DATA["family_names"])}, "GET /manage/[slug]/staff?q=[name]")

    @task(1)
    def staff_second_page(self) -> None:
        self.staff({"page": "2"}, "GET /manage/[slug]/staff?page=2")


def _entry(name: str, entry: Any) -> dict[str, Any]:
    return {
        "name": name,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "p50": entry.get_response_time_percentile(0.5) if entry.num_requests else 0,
        "p95": entry.get_response_time_percentile(0.95) if entry.num_requests else 0,
        "rps": entry.total_rps,
    }


@events.quitting.add_listener
def write_results(environment: Any, **_: Any) -> None:
    """When every user has stopped (after --stop-timeout): the accepted changes and the statistics,
    so the two agree (locust's --csv is written when the run time is up, before the last users end)."""
    stats = environment.stats
    pages = [_entry(name, stats.entries[(name, method)]) for name, method in sorted(stats.entries)]
    errors = [
        {"name": e.name, "method": e.method, "error": str(e.error), "occurrences": e.occurrences}
        for e in stats.errors.values()
    ]
    results = {**ACCEPTED, "pages": pages, "total": _entry("all pages", stats.total), "errors": errors}
    with open(os.environ["LOAD_BENCH_RESULTS"], "w", encoding="utf-8") as file:
        json.dump(results, file)
