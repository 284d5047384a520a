"""The OpenAPI 3.1 document of the inbox API, served at ``/api/v1/openapi.json``.

Written by hand, next to the code it describes (:mod:`.api`); tests validate it with
``openapi-spec-validator`` and check every path in it answers.
"""
from __future__ import annotations

import copy
from typing import Any

__all__ = ["document"]

_STR_OR_NULL = {"type": ["string", "null"]}

_SUMMARY = {
    "type": "object",
    "required": ["id", "to", "text", "status"],
    "properties": {
        "id": {"type": "string", "description": "the smsbridge message id"},
        "to": {"type": "string"}, "from": _STR_OR_NULL, "text": {"type": "string"},
        "status": {"type": "string", "description": "neutral status: queued, sent, delivered, failed, ..."},
        "phase": _STR_OR_NULL, "backend": _STR_OR_NULL, "provider_id": _STR_OR_NULL,
        "client": {"type": ["string", "null"], "description": "the gateway client that sent it"},
        "face": {"type": ["string", "null"], "description": "the provider face it came through (twilio, ...)"},
        "segments": {"type": "integer"}, "encoding": {"type": "string", "enum": ["gsm7", "ucs2"]},
        "created_at": _STR_OR_NULL, "updated_at": _STR_OR_NULL, "error_code": _STR_OR_NULL, "error": _STR_OR_NULL,
    },
}

_DETAIL = {
    "allOf": [{"$ref": "#/components/schemas/MessageSummary"}, {
        "type": "object",
        "properties": {
            "analysis": {"type": "object", "properties": {
                "encoding": {"type": "string"}, "segments": {"type": "integer"}, "units": {"type": "integer"},
                "per_segment": {"type": "integer"},
                "ucs2_characters": {"type": "array", "items": {"type": "string"},
                                    "description": "the characters that force UCS-2"},
                "parts": {"type": "array", "items": {"type": "object", "properties": {
                    "text": {"type": "string"}, "units": {"type": "integer"}}}},
                "transliterated": {"type": ["object", "null"], "properties": {
                    "text": {"type": "string"}, "encoding": {"type": "string"}, "segments": {"type": "integer"},
                    "saving": {"type": "integer", "description": "segments saved"}}},
            }},
            "events": {"type": "array", "items": {"type": "object", "properties": {
                "status": {"type": "string"}, "at": _STR_OR_NULL, "code": _STR_OR_NULL,
                "description": {"type": ["string", "null"], "description": "the provider's own words"}}}},
            "attempts": {"type": "array", "items": {"type": "object", "properties": {
                "backend": _STR_OR_NULL, "at": _STR_OR_NULL, "outcome": _STR_OR_NULL}}},
            "callbacks": {"type": "array", "items": {"type": "object", "properties": {
                "url": {"type": "string"}, "method": {"type": "string"}, "at": _STR_OR_NULL,
                "status": {"type": ["integer", "null"], "description": "HTTP status the callback got"},
                "error": _STR_OR_NULL}}},
            "replies": {"type": "array", "items": {"$ref": "#/components/schemas/Inbound"}},
            "face_id": {"type": ["string", "null"], "description": "the id the face showed its caller (SM...)"},
            "reference": _STR_OR_NULL,
        },
    }],
}

_INBOUND = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "from": {"type": "string"}, "to": {"type": "string"},
                   "text": {"type": "string"}, "received_at": {"type": "string"}, "backend": {"type": "string"},
                   "provider_id": _STR_OR_NULL, "in_reply_to": {"type": "string"}, "client": _STR_OR_NULL,
                   "face": _STR_OR_NULL},
}

_CHAOS = {
    "type": "object", "description": "chaos switches per simulator backend",
    "additionalProperties": {"type": "object", "properties": {
        "failure_rate": {"type": "number", "minimum": 0, "maximum": 1,
                         "description": "share of calls refused (the face answers 503)"},
        "lost_reply_rate": {"type": "number", "minimum": 0, "maximum": 1,
                            "description": "share of sends accepted whose reply is lost"},
        "latency": {"type": "number", "minimum": 0, "maximum": 60, "description": "seconds added to each call"}}},
}

_ERROR = {"type": "object", "required": ["error", "status"],
          "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_ERR = {"$ref": "#/components/responses/Error"}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _action(summary: str, body: dict[str, Any] | None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": [_ID],
                          "responses": {"200": _json(_ref("MessageDetail"), "the message afterwards"),
                                        "404": _ERR, "400": _ERR}}
    if body is not None:
        op["requestBody"] = {"required": False, "content": {"application/json": {"schema": body}}}
    return op


_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "smsbridge sandbox inbox API", "version": "1",
             "description": "What the gateway's sandbox received, and switches to steer the simulation. "
                            "Changes need Content-Type: application/json. Access: local clients only, or "
                            "HTTP Basic with gateway.ui_password."},
    "servers": [{"url": "/"}],
    "paths": {
        "/api/v1/messages": {
            "get": {"summary": "List and search messages, newest first",
                    "parameters": [{"name": name, "in": "query", "required": False, "schema": {"type": "string"},
                                    "description": text} for name, text in (
                        ("q", "substring of id, number, text, client or face"),
                        ("number", "substring of the recipient or sender"), ("text", "substring of the text"),
                        ("status", "exact neutral status"), ("client", "gateway client"),
                        ("face", "face it came through"), ("backend", "backend it went to"))]
                    + [{"name": "limit", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}],
                    "responses": {"200": _json({"type": "object", "properties": {
                        "messages": {"type": "array", "items": _ref("MessageSummary")},
                        "count": {"type": "integer"}}}, "matching messages"), "400": _ERR}},
            "delete": {"summary": "Clear all: every message, reply and callback record",
                       "responses": {"200": _json(_ref("Deleted"), "how many messages went")}},
        },
        "/api/v1/messages/{id}": {
            "get": {"summary": "One message with its analysis, timeline, attempts, callbacks and replies",
                    "parameters": [_ID], "responses": {"200": _json(_ref("MessageDetail"), "the message"),
                                                       "404": _ERR}},
            "delete": {"summary": "Forget one message", "parameters": [_ID],
                       "responses": {"200": _json(_ref("Deleted"), "1"), "404": _ERR}},
        },
        "/api/v1/messages/{id}/deliver": {"post": _action("Report the message delivered", None)},
        "/api/v1/messages/{id}/fail": {"post": _action("Report the message failed, with a provider error code", {
            "type": "object", "properties": {"error_code": {"type": ["string", "integer"],
                                                            "description": "e.g. Twilio's 30003"},
                                             "description": {"type": "string"}}})},
        "/api/v1/messages/{id}/expire": {"post": _action("Report the message expired", None)},
        "/api/v1/messages/{id}/reply": {"post": {
            "summary": "An inbound SMS from the message's recipient (sent to the client's inbound webhook)",
            "parameters": [_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}}}},
            "responses": {"201": _json(_ref("Inbound"), "the inbound message"), "400": _ERR, "404": _ERR}}},
        "/api/v1/chaos": {
            "get": {"summary": "Chaos switches per simulator backend",
                    "responses": {"200": _json(_ref("Chaos"), "current settings")}},
            "put": {"summary": "Change chaos switches (only the ones given)",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Chaos")}}},
                    "responses": {"200": _json(_ref("Chaos"), "settings afterwards"), "400": _ERR}},
        },
        "/api/v1/events": {"get": {
            "summary": "Server-sent events: message, deleted, cleared, reply, callback, chaos, resync",
            "responses": {"200": {"description": "an event stream",
                                  "content": {"text/event-stream": {"schema": {"type": "string"}}}}}}},
        "/api/v1/openapi.json": {"get": {"summary": "This document",
                                         "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")}}},
    },
    "components": {
        "schemas": {"MessageSummary": _SUMMARY, "MessageDetail": _DETAIL, "Inbound": _INBOUND, "Chaos": _CHAOS,
                    "Error": _ERROR, "Deleted": {"type": "object", "properties": {"deleted": {"type": "integer"}}}},
        "responses": {"Error": _json(_ref("Error"), "an error")},
        "securitySchemes": {"basic": {"type": "http", "scheme": "basic",
                                      "description": "only when gateway.ui_password is set (any user name)"}},
    },
}


def document() -> dict[str, Any]:
    """A fresh copy of the document."""
    return copy.deepcopy(_DOCUMENT)
