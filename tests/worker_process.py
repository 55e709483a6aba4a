"""Real worker processes for tests: the fixture `start_worker` runs `flask --app interests worker`
on the test's database and its embedded (SQLite) task queue, with its output in a log file; every
worker still running at the end is stopped with Ctrl-C (SIGINT), as a person would. Loaded by
tests/conftest.py; the app's settings must name a TASK_QUEUE_FILE in the test's directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[1]
WAIT_SECONDS = 60  # a generous bound on a slow machine; a passing run takes a few seconds


class Worker(NamedTuple):
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def start_worker(app: Flask, tmp_path: Path, smtp_server: Any) -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []

    def start(*options: str) -> Worker:
        log = tmp_path / f"worker-{len(workers)}.log"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "TASK_QUEUE_FILE": app.config["TASK_QUEUE_FILE"],
            "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "BASE_URL": app.config["BASE_URL"],
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp_server.server_address[1]),
            "REDIS_URL": "",
            "PYTHONUNBUFFERED": "1",
        }
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "interests", "worker", "--workers", "1", *options],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        workers.append(Worker(process, log))
        return workers[-1]

    yield start
    for process, log in workers:  # noqa: B007
        if process.poll() is not None:
            continue  # it stopped (or a test killed it)
        process.send_signal(signal.SIGINT)  # graceful: finish the task in hand, then stop
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"the worker did not stop on Ctrl-C:\n{log.read_text()}")
