"""Fixtures for the providers' webhook tests (payload helpers: payloads.py)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from smsbridge import plugins
from smsbridge.hookspecs import hookimpl
from smsbridge.model import Status


class HookRecorder:
    """A plugin recording ``smsbridge_status_changed`` and ``smsbridge_inbound`` calls."""

    def __init__(self) -> None:
        self.changes: list[tuple[str, Status, Status, Any]] = []
        self.inbound: list[Any] = []

    @hookimpl
    def smsbridge_status_changed(self, message_id: str, old: Status, new: Status, report: Any) -> None:
        self.changes.append((message_id, old, new, report))

    @hookimpl
    def smsbridge_inbound(self, message: Any) -> None:
        self.inbound.append(message)


@pytest.fixture
def hooks() -> Iterator[HookRecorder]:
    recorder = HookRecorder()
    name = plugins.register(recorder, name="webhook-test-recorder")
    yield recorder
    plugins.unregister(name)
