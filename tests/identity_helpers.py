"""What the identity tests share: reading pages and the outbox, signing in, uploading a staff list."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import OutboxEmail
from tests import factories

STAFF_HEADER = (
    "Given name,Family name,Regulator,Registration number,Email,Engagement type,Role,Department,"
    "Start date,End date,Decision maker"
)


def emails_to(address: str) -> list[OutboxEmail]:
    return list(
        db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.to_address == address).order_by(OutboxEmail.id)
        )
    )


def link_in(email: OutboxEmail) -> str:
    """The path of the one-time link in an email (whatever host BASE_URL names)."""
    match = re.search(r"https?://[^/\s]+(/invitations/[A-Za-z0-9_\-]+)", email.body)
    assert match, email.body
    return match.group(1)


def signed_in(app: Flask, email: str, password: str = factories.PASSWORD) -> FlaskClient:
    client = app.test_client()
    assert factories.sign_in(client, email, password).status_code == 302
    return client


def import_lines(client: FlaskClient, *lines: str, slug: str = "ashby") -> Any:
    """Upload a staff list of these lines to a provider's import page."""
    content = ("\r\n".join([STAFF_HEADER, *lines]) + "\r\n").encode()
    return client.post(
        f"/manage/{slug}/import",
        data={"file": (BytesIO(content), "staff.csv")},
        content_type="multipart/form-data",
    )
