"""A small local SMTP server for tests that deliver the outbox: fixtures `smtp_server` (accepts every
message) and `unreliable_smtp` (refuses chosen recipients, or hangs up), loaded by tests/conftest.py.
Each records the messages it accepted in `.messages`; its port is `.server_address[1]`. On the
unreliable one, add addresses to `.refused` (550 at RCPT) or set `.hang_up` (the connection is
closed instead of answering DATA). Set `.delay` (seconds) to make each message take that long to
be accepted, as a busy mail server does (two deliveries at once then overlap), and `.on_accept` to
a function it calls before accepting each message (a test moves its clock there)."""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to accept messages: records each DATA block, refusing the
    recipients in `server.refused` (with `server.refusal`, a real server's own words) and hanging up
    at DATA while `server.hang_up` is set."""

    def handle(self) -> None:
        server: Any = self.server
        self.wfile.write(b"220 test ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.wfile.write(b"250 test\r\n")
            elif command.startswith(b"RCPT") and any(a.upper().encode() in command for a in server.refused):
                self.wfile.write(server.refusal + b"\r\n")
            elif command == b"DATA":
                if server.hang_up:
                    return
                self.wfile.write(b"354 go ahead\r\n")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                if server.delay:
                    time.sleep(server.delay)
                if server.on_accept is not None:
                    server.on_accept()
                server.messages.append(b"".join(data).decode())
                self.wfile.write(b"250 queued\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def _running_server() -> Iterator[Any]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.messages = []  # type: ignore[attr-defined]
    server.refused = set()  # type: ignore[attr-defined]
    server.refusal = b"550 no such mailbox"  # type: ignore[attr-defined]
    server.hang_up = False  # type: ignore[attr-defined]
    server.delay = 0.0  # type: ignore[attr-defined]
    server.on_accept = None  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    yield from _running_server()


@pytest.fixture
def unreliable_smtp() -> Iterator[Any]:
    yield from _running_server()


def deliver_until_failed_for_good(queued_at: datetime) -> None:
    """Every attempt the outbox makes at an email queued at `queued_at`, each at the time it is due
    (RETRY_AFTER_MINUTES apart), in the app context of the caller; a refusing server makes the
    email failed for good."""
    from interests.services import outbox

    moment = queued_at
    for wait in (0, *outbox.RETRY_AFTER_MINUTES):
        moment += timedelta(minutes=wait)
        with time_machine.travel(moment, tick=False):
            outbox.deliver_pending()
