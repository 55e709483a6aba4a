"""Real-browser tests: the app served on 127.0.0.1 and driven by Debian's Chromium.

Every test here is marked `browser`. Without /usr/bin/chromium the tests are skipped with the
reason; under CI=true they fail instead (require_or_skip).

Fixtures:
    browser       one headless Chromium for the session (never `playwright install`)
    live_server   the app on a free port, CSRF on, a fresh SQLite database per test;
                  `.url`, `.app`, `.populate(fn)` runs fn inside the app context and commits
    page          a fresh browser context and page per test; the test fails if the page logs a
                  JavaScript error or a Content-Security-Policy violation (inline scripts or
                  styles the CSP blocks, say), or a file on the page fails to load

Helper: assert_accessible(page) runs axe-core (WCAG 2.2 AA and best practice) on the page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from flask import Flask
from jinja2 import BytecodeCache, FileSystemBytecodeCache
from werkzeug.serving import BaseWSGIServer, make_server

from interests.extensions import db
from tests.conftest import make_app, require_or_skip, stop_background_work
from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
# Flags that work for Debian's Chromium here (docs/stack-notes.md, "Commands that worked").
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
# axe-core rule tags: WCAG 2.0, 2.1 and 2.2 at levels A and AA, plus Deque's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Playwright's default of 30 s only hides a hung page: everything here is local.
TIMEOUT_MS = 10_000

T = TypeVar("T")
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees every collected item, so mark only the ones under tests/browser.
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


# --- Chromium -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    require_or_skip(CHROMIUM.exists(), f"Chromium ({CHROMIUM})")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


# --- The app, served --------------------------------------------------------------------------


@dataclass
class LiveServer:
    app: Flask
    url: str  # "http://127.0.0.1:<port>", no trailing slash

    def populate(self, fn: Callable[[], T]) -> T:
        """Run fn() in the app context and commit: for test data made with tests.factories.

        Return plain values (ids, emails), not model objects: those are detached afterwards.
        """
        with self.app.app_context():
            try:
                result = fn()
                db.session.commit()
                return result
            finally:
                db.session.remove()

    def __truediv__(self, path: str) -> str:
        """live_server / "/about" -> the page's full address."""
        return self.url + path


@pytest.fixture(scope="session")
def jinja_bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> BytecodeCache:
    # Each test gets a new app, and so a new Jinja environment: share compiled templates between
    # them, or every test spends about a second compiling the NHS.UK macros again.
    return FileSystemBytecodeCache(str(tmp_path_factory.mktemp("jinja-bytecode")))


def _closed_before_sent(app: Flask) -> Any:
    """The app, each response read whole and closed before the server sends it.

    The development server skips closing a response when the browser drops the connection and
    reading what is left of the request fails too (Chromium drops a favicon's when the page moves
    on): a static file then stays open until collected, and the ResourceWarning fails whichever
    test is running. The pages are small; gunicorn, which serves them for real, closes them itself.
    """

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        response = app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()

    return wsgi


@pytest.fixture
def live_server(tmp_path: Path, jinja_bytecode_cache: BytecodeCache) -> Iterator[LiveServer]:
    app = make_app(
        f"sqlite:///{tmp_path / 'browser.sqlite3'}",
        tmp_path,
        # The real forms, CSRF tokens and all, as a user's browser meets them.
        WTF_CSRF_ENABLED=True,
        # Served on 127.0.0.1:<port>, so no fixed host name.
        SERVER_NAME=None,
        # Its own task queue (big staff imports), for a test's worker (tests.conftest.task_consumer).
        TASK_QUEUE_FILE=str(tmp_path / "tasks.sqlite3"),
        REDIS_URL="",
    )
    app.jinja_env.bytecode_cache = jinja_bytecode_cache
    with app.app_context():
        db.create_all()

    server: BaseWSGIServer = make_server("127.0.0.1", 0, _closed_before_sent(app), threaded=True)
    # Links in emails are built on BASE_URL: this server's own address, known once it listens.
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        stop_background_work(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- Pages, and what they log -----------------------------------------------------------------


@dataclass
class PageProblems:
    """JavaScript errors, CSP violations and failed loads seen by one page during a test."""

    problems: list[str] = field(default_factory=list)
    # Addresses the page navigated to: a 404 for the page itself is what the test asked for.
    documents: set[str] = field(default_factory=set)

    def on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        text = message.text
        url = (message.location or {}).get("url", "")
        if text.startswith("Failed to load resource: the server responded") and url in self.documents:
            return  # the page under test itself (a 404 page, say): the test checks its status
        if "net::ERR_" in text and url and not _is_local(url):
            return  # another site: the test network is closed, and requests to it are aborted
        self.problems.append(f"console error: {text} ({url or 'no location'})")

    def on_page_error(self, error: Any) -> None:
        self.problems.append(f"JavaScript error: {error}")

    def on_csp_violation(self, source: Any, violation: dict[str, Any]) -> None:
        directive = violation.get("directive")
        blocked = violation.get("blocked") or "inline code"
        where = f"{violation.get('source') or violation.get('document')}:{violation.get('line')}"
        self.problems.append(f"Content-Security-Policy violation: {directive} blocked {blocked} (at {where})")

    def on_response(self, response: Any) -> None:
        if response.request.is_navigation_request():
            self.documents.add(response.url)


_PROBLEMS = pytest.StashKey[PageProblems]()

# Reports every CSP violation, with the directive and what it blocked, before any page script runs.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation({
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    document: event.documentURI,
  });
});
"""


def _is_local(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost") or url.startswith(("data:", "blob:"))


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    seen = PageProblems()
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(TIMEOUT_MS)
    # Nothing leaves the machine: requests to any other site are refused at once.
    context.route(
        lambda url: not _is_local(url),
        lambda route: route.abort("blockedbyclient"),
    )
    context.expose_binding("__reportCspViolation", seen.on_csp_violation)
    context.add_init_script(_REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("console", seen.on_console)
    page.on("pageerror", seen.on_page_error)
    page.on("response", seen.on_response)
    request.node.stash[_PROBLEMS] = seen
    try:
        yield page
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # After the test body passes, fail it (as a test failure, not a teardown error) if its page
    # logged a JavaScript error or a CSP violation.
    result = yield
    seen = item.stash.get(_PROBLEMS, None)
    if seen is not None and seen.problems:
        pytest.fail(
            "The page reported problems:\n" + "\n".join(f"  - {p}" for p in seen.problems),
            pytrace=False,
        )
    return result


def assert_accessible(page: Any) -> None:
    """Fail, listing each violation, if axe-core finds WCAG 2.2 AA or best-practice problems."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    violations = results.response["violations"]
    if not violations:
        return
    lines = [f"axe found {len(violations)} accessibility violation(s) on {page.url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join(line.strip() for line in (node.get("failureSummary") or "").splitlines())
            lines.append(f"    at {target}: {summary}")
    pytest.fail("\n".join(lines), pytrace=False)


def sign_in(page: Any, live_server: LiveServer, email: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in page, as a person would."""
    page.goto(live_server / "/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
