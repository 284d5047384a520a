"""A small Python client for the inbox API (``/api/v1``), as the pytest plugin hands it out.

Needs only ``requests``: usable against any running ``smsbridge serve``, from any test
process.  Errors come back as :class:`InboxError` with the API's message.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

__all__ = ["InboxClient", "InboxError"]


class InboxError(Exception):
    """The inbox API refused a request; ``status`` is the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class InboxClient:
    """``InboxClient("http://127.0.0.1:8080", password=None)``."""

    def __init__(self, url: str, *, password: str | None = None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        if password is not None:
            self.session.auth = ("inbox", password)

    def _call(self, method: str, path: str, *, json: Any = None, params: Any = None) -> Any:
        response = self.session.request(method, self.url + path, json=json, params=params, timeout=self.timeout)
        try:
            data = response.json()
        except ValueError:
            data = {"error": response.text}
        if response.status_code >= 400:
            raise InboxError(response.status_code, str(data.get("error") if isinstance(data, dict) else data))
        return data

    def messages(self, **filters: Any) -> list[dict[str, Any]]:
        """Newest first; filters: ``q``, ``number``, ``text``, ``status``, ``client``, ``face``,
        ``backend``, ``limit``."""
        return list(self._call("GET", "/api/v1/messages", params={k: v for k, v in filters.items()
                                                                   if v is not None})["messages"])

    def message(self, message_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/api/v1/messages/{message_id}"))

    def delete(self, message_id: str) -> None:
        self._call("DELETE", f"/api/v1/messages/{message_id}")

    def clear(self) -> int:
        return int(self._call("DELETE", "/api/v1/messages")["deleted"])

    def deliver(self, message_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/api/v1/messages/{message_id}/deliver", json={}))

    def fail(self, message_id: str, error_code: str | int | None = None) -> dict[str, Any]:
        body = {} if error_code is None else {"error_code": str(error_code)}
        return dict(self._call("POST", f"/api/v1/messages/{message_id}/fail", json=body))

    def expire(self, message_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/api/v1/messages/{message_id}/expire", json={}))

    def reply(self, message_id: str, text: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/api/v1/messages/{message_id}/reply", json={"text": text}))

    def chaos(self, **settings: dict[str, float]) -> dict[str, dict[str, float]]:
        """Read chaos settings, or change them: ``chaos(sandbox={"failure_rate": 1})``."""
        if settings:
            return dict(self._call("PUT", "/api/v1/chaos", json=settings))
        return dict(self._call("GET", "/api/v1/chaos"))

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool] | int = 1, *, timeout: float = 10.0,
                 **filters: Any) -> list[dict[str, Any]]:
        """The messages once ``predicate(messages)`` holds (an int: at least that many);
        raises ``TimeoutError`` otherwise."""
        check = (lambda found: len(found) >= predicate) if isinstance(predicate, int) else predicate
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(**filters)
            if check(found):
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"the inbox did not get the expected messages in {timeout:g}s: {found!r:.300}")
            time.sleep(0.05)

    def close(self) -> None:
        self.session.close()
