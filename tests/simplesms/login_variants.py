"""The table of "the login is gone" replies (issue 19), shared by the REST and SOAP tests.

Each variant is ``(id, http_status, reply)``: ``reply`` is a reply object (sent as JSON or
XML over REST, as a PHP-style SOAP array over SOAP) or a text body (a proxy's page).  Every
one of them must make a backend connect again once and repeat the call, ``sendSMS``
included: each proves the call was refused before anything was carried out.
"""
from __future__ import annotations

from typing import Any

import pytest
from smsbridge_plugins.simplesms import wire

_FAIL = {"success": False, "error": True}

LOST_LOGIN: list[tuple[str, int, Any]] = [
    ("code-102", 200, wire.error_reply(102, "Not logged in or the session has expired")),
    ("code-102-http-401", 401, wire.error_reply(102, "Session expired")),
    ("code-101-on-a-call", 200, wire.error_reply(101, "Please log in")),
    ("camel-102-as-text", 200, {**_FAIL, "errorCode": "102", "errorMessage": "expired"}),
    ("textual-NOT_LOGGED_IN", 200, {**_FAIL, "error_code": "NOT_LOGGED_IN", "error_message": "Not logged in"}),
    ("textual-TOKEN_EXPIRED", 200, {**_FAIL, "code": "TOKEN_EXPIRED"}),
    ("textual-SESSION_EXPIRED", 200, {**_FAIL, "errorCode": "SESSION_EXPIRED", "errorMessage": "Gone"}),
    ("textual-invalid_token-in-flag", 200, {"error": "invalid_token"}),
    ("textual-UNAUTHORIZED", 200, {**_FAIL, "error_code": "UNAUTHORIZED"}),
    ("message-not-logged-in-unknown-code", 200, {**_FAIL, "error_code": 1234, "error_message": "Not logged in"}),
    ("message-token-expired-unknown-code", 200, {**_FAIL, "error_code": 7, "message": "Token expired"}),
    ("message-invalid-token-no-code", 200, {**_FAIL, "error_message": "Invalid token"}),
    ("message-session-no-code", 200, {**_FAIL, "message": "Your session is no longer valid"}),
    ("message-in-response", 200, {**_FAIL, "response": "You are not logged in"}),
    ("body-code-401-http-200", 200, {**_FAIL, "error_code": 401, "error_message": "Unauthorized"}),
    ("body-code-403-http-200", 200, {**_FAIL, "error_code": "403", "error_message": "Forbidden"}),
    ("http-401-unknown-code", 401, {**_FAIL, "error_code": 9999, "error_message": "Nope"}),
    ("http-403-unknown-code", 403, {**_FAIL, "error_code": 9999, "error_message": "Nope"}),
    ("http-401-page", 401, "<h1>401 Unauthorized</h1>"),
    ("http-403-page", 403, "<h1>403 Forbidden</h1>"),
]

# Replies that name the login but do not prove a sendSMS was refused: never repeated.
NOT_PROOF_ON_SEND: list[tuple[str, int, Any]] = [
    ("http-500-NOT_LOGGED_IN", 500, {**_FAIL, "error_code": "NOT_LOGGED_IN", "error_message": "Not logged in"}),
    ("known-code-504-says-session", 200, {**_FAIL, "error_code": 504, "error_message": "session timed out"}),
    ("login-gone-yet-an-id", 200, {**_FAIL, "error_code": "NOT_LOGGED_IN", "response": {"sms_id": 5}}),
]

# Replies to connect that refuse it, whatever their code: AuthenticationError.
REFUSED_CONNECT: list[tuple[str, int, Any]] = [
    ("code-101", 200, wire.error_reply(101, "Invalid username, password or domain")),
    ("code-1001", 200, {**_FAIL, "error_code": 1001, "error_message": "Invalid username, password or domain"}),
    ("code-42-http-400", 400, {**_FAIL, "error_code": 42, "error_message": "Bad login"}),
    ("code-301", 200, wire.error_reply(301, "Not enough credit")),
    ("code-404", 200, wire.error_reply(404, "No such user")),
    ("code-201", 200, wire.error_reply(201, "Invalid")),
    ("textual-LOGIN_FAILED", 200, {**_FAIL, "errorCode": "LOGIN_FAILED", "errorMessage": "Login failed"}),
    ("textual-odd", 200, {**_FAIL, "code": "E_DOMAIN", "message": "Unknown domain"}),
    ("no-code", 200, {**_FAIL, "error_message": "Wrong password"}),
    ("http-401", 401, {**_FAIL, "error_code": 1001, "error_message": "Denied"}),
]


def params(table: list[tuple[str, int, Any]]) -> list[Any]:
    return [pytest.param(status, reply, id=name) for name, status, reply in table]
