"""Issue 18's cheaper request handling gives the same answers as what it replaced.

- ``smsbridge.gateway.http.parse_pairs`` is ``parse_qsl(keep_blank_values=True,
  errors="strict", max_num_fields=1000)`` pair for pair, error for error;
- the gateway's indexed router picks the route Starlette's own loop picks, for every
  path shape the installed faces serve and for paths no route serves;
- the in-memory sandbox, which keeps its balance in Python, still refuses what it cannot pay.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.routing import Match, Router

from smsbridge import Bridge
from smsbridge.errors import InsufficientCredit
from smsbridge.gateway.app import _IndexedRouter, build_app
from smsbridge.gateway.http import MAX_FIELDS, parse_pairs

SID, TOKEN = "AC" + "1" * 32, "tok-123"


def reference(text: str) -> Any:
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict",
                         max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        return type(exc)


def ours(text: str) -> Any:
    try:
        return parse_pairs(text)
    except (UnicodeDecodeError, ValueError) as exc:
        return type(exc)


FORM_ALPHABET = st.sampled_from(list("ab=&+%;") + ["%2B", "%21", "%C3%A9", "%C3", "%ZZ", "%", "%e2%82%ac",
                                                   "é", "\u20ac", " ", "%00", "=="])


@settings(max_examples=400, deadline=None)
@given(st.lists(FORM_ALPHABET, max_size=30).map("".join))
def test_parse_pairs_is_parse_qsl(text):
    assert ours(text) == reference(text)


@pytest.mark.parametrize("text", [
    "", "&", "&&", "=", "a", "a=", "=b", "a=b=c", "a=1&a=2", "To=%2B36301234567&Body=Szia%21",
    "Body=a+b%2Bc", "x=%C3%A9", "x=%C3", "x=%ff", "x=%", "x=%4", "%41=%42", "a;b=c", "a=b;c=d",
    "&".join(["k=v"] * (MAX_FIELDS - 1)), "&".join(["k=v"] * MAX_FIELDS), "&".join(["k=v"] * (MAX_FIELDS + 1)),
])
def test_parse_pairs_edge_cases(text):
    assert ours(text) == reference(text)


def _sample_paths(app_routes: list[Any]) -> list[str]:
    paths = ["/", "", "/nothing/here", "/2010-04-01", "/2010-04-01/", "/ui", "/ui/", "/ui/x", "/sms.wsdl/",
             "/messages/", "/v1/Account/x", "//double", "/webhooks/local/status/"]
    for route in app_routes:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            filled = re.sub(r"\{[^}]*\}", "p1", path)
            paths += [filled, filled + "/", filled.rstrip("/"), filled + "x"]
    return paths


def _plain_choice(routes: list[Any], scope: dict[str, Any]) -> Any:
    """The route Starlette's own loop hands a request to (first full, else first partial)."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


def test_the_indexed_router_picks_the_route_starlettes_loop_picks():
    bridge = Bridge.from_dict({"backends": {"local": {"plugin": "sandbox"}},
                               "gateway": {"clients": {"shop": {"twilio": {"account_sid": SID,
                                                                           "auth_token": TOKEN}}}}})
    try:
        app = build_app(bridge)
        router = app.router
        assert isinstance(router, _IndexedRouter) and isinstance(router, Router)
        routes = list(router.routes)
        assert len(routes) > 30  # every installed face
        checked = 0
        for path in _sample_paths(routes):
            for method in ("GET", "POST", "DELETE"):
                scope = {"type": "http", "path": path, "root_path": "", "method": method}
                plain = _plain_choice(routes, scope)
                indexed = next((r for r in router._candidates(path) if r.matches(scope)[0] is Match.FULL), None)
                if indexed is not None:  # the index answers only full matches; the rest is Starlette's loop
                    assert indexed is plain, (method, path)
                    checked += 1
                else:
                    assert plain is None or plain.matches(scope)[0] is not Match.FULL, (method, path)
        assert checked > 30
        extra = routes[-1]
        router.routes.remove(extra)  # the index follows a changed route list
        assert extra not in router._candidates(getattr(extra, "path", "/"))
    finally:
        bridge.close()


def test_the_in_memory_sandbox_still_refuses_what_it_cannot_pay():
    bridge = Bridge.from_dict({"backends": {"local": {"plugin": "sandbox", "credit": 2}}})
    try:
        bridge.send("+36301234567", "one")
        bridge.send("+36301234568", "two")
        with pytest.raises(InsufficientCredit):
            bridge.send("+36301234569", "three")
        assert bridge.balance().amount == 0
        assert [r.phase for r in bridge.journaled()] == ["failed", "accepted", "accepted"]
    finally:
        bridge.close()
