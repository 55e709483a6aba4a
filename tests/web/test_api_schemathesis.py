"""Schemathesis (all its checks) against the API's own document, in-process over WSGI, on a register
with real data: every answer, good input or bad, must be what /api/v1/openapi.json says.

The schema is loaded from interests/api/openapi.json, the file /api/v1/openapi.json serves (a test
below holds the two equal): Schemathesis 4.32.5's lazy `from_fixture` loader cannot run under
pytest 9.2 (it sets the removed `Node._nodeid`), so the module-level loader is used and each case is
sent to the test's app with `app=`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks

from interests.api.routes import OPENAPI_PATH
from tests.public_data import build_and_index

EXAMPLES = (
    50  # per operation, plus Schemathesis's own coverage cases: about 10 s a database on a quiet machine
)

schema = schemathesis.openapi.from_path(str(OPENAPI_PATH))
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True)

load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())

# What the register holds but never publishes (see tests/public_data.py): a withheld entry, one
# awaiting a withholding decision, a draft never sent, and an interest that ended long ago.
NEVER_PUBLISHED = ["Secret Holdings plc", "Pending Partners LLP", "Draft Devices Ltd", "Never sent"]


def nothing_withheld(ctx: Any, response: Any, case: Any) -> None:
    body = response.content.decode("utf-8", "replace")
    for secret in NEVER_PUBLISHED:
        assert secret not in body, f"{case.path}: {secret!r} is in the answer"


# Fuzzed slugs and ids name nobody: every other generated one is swapped for one on the register,
# so the fuzzed filters, pages and queries run over real declarations (Schemathesis revalidates a
# hook's changes, so a swapped case is judged by what is finally sent).
REAL: dict[str, list[Any]] = {}


@schema.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    for name, value in (path_parameters or {}).items():
        real = REAL.get(name)
        if real and len(str(value)) % 2 == 0:
            path_parameters[name] = real[len(str(value)) % len(real)]
    return path_parameters


@pytest.fixture
def api_app(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        data = build_and_index()
    REAL["slug"] = [data.provider_slug, data.other_provider_slug]
    REAL["professional_id"] = [data.william, data.mohammed, data.elizabeth, data.expired]
    yield app
    REAL.clear()


@pytest.mark.alldb
@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_contract(case: Any, api_app: Flask) -> None:
    case.call_and_validate(app=api_app, checks=ALL_CHECKS, additional_checks=[nothing_withheld])


def test_the_fuzzed_document_is_the_one_the_api_serves(client: FlaskClient) -> None:
    served = client.get("/api/v1/openapi.json")
    assert served.get_json() == json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def test_every_check_schemathesis_has_is_run() -> None:
    names = {check.__name__ for check in ALL_CHECKS}
    assert {"negative_data_rejection", "positive_data_acceptance", "unsupported_method"} <= names
    assert len(names) >= 14


@pytest.mark.alldb
@pytest.mark.parametrize(
    ("path", "path_parameters", "query"),
    [
        ("/providers", {}, {"q": "elsewhere", "kind": "nhs_trust", "per_page": 1}),
        ("/providers/{slug}/register", {"slug": "st-elsewhere"}, {"per_page": 100}),
        ("/providers/{slug}/register", {"slug": "st-elsewhere"}, {"type": "shareholdings"}),
        ("/providers/{slug}/register", {"slug": "st-elsewhere"}, {"q": "Secret Holdings"}),
        ("/providers/{slug}/register", {"slug": "riverside-clinic"}, {"category": "financial"}),
        ("/search", {}, {"q": "Smith-Jones"}),
        ("/search", {}, {"q": "Secret Holdings"}),
        ("/search", {}, {"q": "Graham Hughes"}),
        ("/search", {}, {"q": "   "}),
    ],
)
def test_real_answers_keep_the_contract_and_show_nothing_withheld(
    api_app: Flask, path: str, path_parameters: dict[str, Any], query: dict[str, Any]
) -> None:
    case = schema[path]["GET"].Case(path_parameters=path_parameters, query=query)
    response = case.call_and_validate(app=api_app, checks=ALL_CHECKS, additional_checks=[nothing_withheld])
    assert response.status_code == 200


@pytest.mark.alldb
def test_every_real_professional_keeps_the_contract_and_shows_nothing_withheld(api_app: Flask) -> None:
    for professional_id in REAL["professional_id"]:
        case = schema["/professionals/{professional_id}"]["GET"].Case(
            path_parameters={"professional_id": professional_id}
        )
        response = case.call_and_validate(
            app=api_app, checks=ALL_CHECKS, additional_checks=[nothing_withheld]
        )
        assert response.status_code == 200
