"""The inbox's HTML pages under ``/ui``: rendered here, kept live by ``static/inbox.js``.

The same functions render a whole page and the fragments the script fetches when
the event stream says something changed (``/ui/rows``, ``/ui/messages/{id}/panel``),
so there is one renderer and no template language or build step.  Every value is
escaped; the pages load nothing from the internet.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from html import escape
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ... import plugins
from ...errors import NotFound
from ...model import Status
from . import guard
from .service import CHAOS_LIMITS, BadInput, Filters, Inbox

__all__ = ["routes"]

Handler = Callable[[Request], Awaitable[Response]]

_STATIC = {"inbox.css": "text/css; charset=utf-8", "inbox.js": "text/javascript; charset=utf-8",
           "icon.svg": "image/svg+xml"}
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _time(iso: str | None, *, seconds: bool = True) -> str:
    if not iso:
        return "—"
    at = datetime.fromisoformat(iso)
    shown = at.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f'<time datetime="{_e(iso)}" title="{_e(at.strftime("%Y-%m-%d %H:%M:%S %Z"))}">{shown}</time>'


def _pill(status: str | None) -> str:
    return f'<span class="status s-{_e(status)}">{_e(status)}</span>'


def _page(title: str, body: str, *, page: str, extra: str = "") -> HTMLResponse:
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} · smsbridge inbox</title><link rel="icon" href="/ui/static/icon.svg">
<link rel="stylesheet" href="/ui/static/inbox.css"></head>
<body data-page="{page}"{extra}>
<header class="top"><a class="brand" href="/ui"><img src="/ui/static/icon.svg" alt="" width="26" height="26">
<span>smsbridge</span><em>inbox</em></a><span id="live" class="live" title="live updates">connecting…</span>
<span id="chaos-badge" class="chaos-badge" hidden>chaos on</span></header>
<main>{body}</main>
<script src="/ui/static/inbox.js"></script></body></html>"""
    return HTMLResponse(html, headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-store",
                                       "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


# -- the list ----------------------------------------------------------------------------
def rows(messages: list[dict[str, Any]]) -> str:
    if not messages:
        return ('<tr class="empty"><td colspan="6">No messages yet. Send one through any face of this gateway '
                '(Twilio SDK, curl, <code>smsbridge send</code>) and it appears here at once.</td></tr>')
    out = []
    for m in messages:
        enc = "UCS-2" if m["encoding"] == "ucs2" else "GSM-7"
        out.append(
            f'<tr class="msg" data-id="{_e(m["id"])}" tabindex="0">'
            f'<td class="when">{_time(m["created_at"])}</td>'
            f'<td class="num"><a href="/ui/messages/{_e(m["id"])}">{_e(m["to"])}</a>'
            f'<small>from {_e(m["from"] or "—")}</small></td>'
            f'<td class="text">{_e(m["text"])}</td>'
            f'<td class="seg"><span class="enc enc-{_e(m["encoding"])}">{enc}</span> '
            f'{_e(m["segments"])}&nbsp;seg</td>'
            f'<td>{_pill(m["status"])}</td>'
            f'<td class="via">{_e(m["client"] or "—")}<small>{_e(m["face"] or "library")} → '
            f'{_e(m["backend"] or "—")}</small></td></tr>')
    return "".join(out)


def _options(name: str, label: str, values: Iterable[str], chosen: str | None) -> str:
    opts = [f'<option value="">{_e(label)}: all</option>']
    opts += [f'<option value="{_e(v)}"{" selected" if v == chosen else ""}>{_e(v)}</option>' for v in values]
    return f'<select name="{name}" aria-label="{_e(label)}">{"".join(opts)}</select>'


def _chaos_panel(inbox: Inbox) -> str:
    labels = {"failure_rate": ("Failure rate", "share of calls refused: the face answers 503", "0.05"),
              "lost_reply_rate": ("Lost replies", "accepted, but the answer is lost: delivery unknown", "0.05"),
              "latency": ("Latency (s)", "seconds added to every call", "0.1")}
    blocks = []
    if not inbox.simulators():
        return ""
    for backend, values in inbox.chaos().items():
        fields = []
        for key, (label, hint, step) in labels.items():
            low, high = CHAOS_LIMITS[key]
            fields.append(f'<label title="{_e(hint)}"><span>{label}</span>'
                          f'<input type="number" name="{key}" data-backend="{_e(backend)}" min="{low:g}" '
                          f'max="{high:g}" step="{step}" value="{values[key]:g}"></label>')
        blocks.append(f'<fieldset class="chaos-backend" data-backend="{_e(backend)}"><legend>{_e(backend)}</legend>'
                      f'{"".join(fields)}</fieldset>')
    return (f'<form id="chaos" class="card chaos"><h2>Chaos</h2><p class="hint">Rehearse a flaky provider: '
            f'applies to the next calls of each sandbox backend.</p>{"".join(blocks)}'
            f'<div class="row"><button type="submit" id="chaos-apply">Apply</button>'
            f'<button type="button" id="chaos-off" class="ghost">All off</button></div></form>')


async def list_page(inbox: Inbox, request: Request) -> Response:
    filters = Filters.from_query(request.query_params)
    messages = await inbox.messages(filters)
    config = inbox.bridge.config
    clients = sorted(((config.gateway or {}).get("clients") or {}).keys())
    faces = sorted(plugins.registry().http_shims)
    search = (f'<form id="search" class="search" role="search">'
              f'<input type="search" name="q" placeholder="Search number, text, id…" value="{_e(filters.q)}" '
              f'autocomplete="off" aria-label="search">'
              f'{_options("status", "Status", [s.value for s in Status], filters.status)}'
              f'{_options("client", "Client", clients, filters.client)}'
              f'{_options("face", "Face", faces, filters.face)}'
              f'{_options("backend", "Backend", inbox.bridge.backends(), filters.backend)}</form>')
    body = (f'<div class="layout"><section class="card list"><div class="list-head"><h1>Messages '
            f'<span id="count" class="count">{len(messages)}</span></h1>'
            f'<button type="button" id="clear-all" class="danger ghost">Clear all</button></div>{search}'
            f'<table id="messages"><thead><tr><th>Time</th><th>To</th><th>Text</th><th>Size</th><th>Status</th>'
            f'<th>Client</th></tr></thead><tbody id="rows">{rows(messages)}</tbody></table>'
            f'</section><aside>{_chaos_panel(inbox)}{_help()}</aside></div>')
    return _page("Messages", body, page="list")


def _help() -> str:
    return ('<section class="card help"><h2>API</h2><p>Everything here is also JSON: '
            '<a href="/api/v1/messages">/api/v1/messages</a>, live events at <code>/api/v1/events</code>, '
            'described by <a href="/api/v1/openapi.json">openapi.json</a>.</p></section>')


# -- one message -------------------------------------------------------------------------
def _marked(text: str, forcing: set[str]) -> str:
    if not forcing:
        return _e(text)
    return "".join(f'<mark class="ucs2" title="not in GSM-7: forces UCS-2">{_e(c)}</mark>' if c in forcing
                   else _e(c) for c in text)


def _code(code: Any) -> str:
    return f"<code>{_e(code)}</code>" if code else ""


def _dl(items: Iterable[tuple[str, Any]]) -> str:
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def panel(m: Mapping[str, Any]) -> str:
    a = m["analysis"]
    forcing = set(a["ucs2_characters"])
    enc = "UCS-2" if a["encoding"] == "ucs2" else "GSM-7"
    about = _dl([("From", _e(m["from"] or "—")), ("To", _e(m["to"])), ("Client", _e(m["client"] or "—")),
                 ("Face", _e(m["face"] or "library (no face)")), ("Backend", _e(m["backend"] or "—")),
                 ("Id", f'<code>{_e(m["id"])}</code>'),
                 *([("Face id", f'<code>{_e(m["face_id"])}</code>')] if m.get("face_id") else []),
                 ("Provider id", _e(m["provider_id"] or "—")), ("Sent", _time(m["created_at"])),
                 *([("Error", f'{_e(m["error_code"] or "")} {_e(m["error"] or "")}')] if m.get("error_code")
                   or m.get("error") else [])])
    chars = "".join(f'<code class="chip">{_e(c)}</code>' for c in a["ucs2_characters"])
    encoding = (f'<p class="enc-line"><span class="enc enc-{_e(a["encoding"])}" id="encoding">{enc}</span> '
                f'<b id="segment-count">{a["segments"]}</b> segment{"s" if a["segments"] != 1 else ""} · '
                f'{a["units"]} {"septets" if a["encoding"] == "gsm7" else "UTF-16 units"} · '
                f'{a["per_segment"]} per segment</p>')
    if chars:
        encoding += f'<p class="forcing">Forcing UCS-2: {chars}</p>'
    alt = a["transliterated"]
    if alt:
        saving = alt["saving"]
        gain = (f'saves <b>{saving}</b> segment{"s" if saving != 1 else ""}' if saving > 0
                else "same number of segments")
        encoding += (f'<div class="alt" id="transliterated"><h3>Transliterated alternative · '
                     f'{"GSM-7" if alt["encoding"] == "gsm7" else "UCS-2"} · {alt["segments"]} segment'
                     f'{"s" if alt["segments"] != 1 else ""} · {gain}</h3><p>{_e(alt["text"])}</p></div>')
    segments = "".join(
        f'<li class="segment"><span class="seg-no">{i}</span><span class="seg-text">{_marked(p["text"], forcing)}'
        f'</span><span class="seg-units">{p["units"]}/{a["per_segment"]}</span></li>'
        for i, p in enumerate(a["parts"], 1))
    timeline = "".join(
        f'<li>{_pill(e["status"])}<span class="at">{_time(e["at"])}</span>'
        f'{_code(e["code"])}<span class="words">{_e(e["description"])}</span></li>'
        for e in m["events"]) or '<li class="none">no status events yet</li>'
    attempts = "".join(
        f'<tr><td>{i}</td><td>{_e(t["backend"])}</td><td>{_time(t["at"])}</td>'
        f'<td>{_e(t["outcome"] or ("accepted" if i == len(m["attempts"]) and m["phase"] == "accepted" else "—"))}'
        f'</td></tr>' for i, t in enumerate(m["attempts"], 1)) or '<tr><td colspan="4" class="none">none</td></tr>'
    callbacks = "".join(
        f'<tr><td>{_time(c["at"])}</td><td>{_e(c["method"])}</td><td class="url">{_e(c["url"])}</td>'
        f'<td><span class="http h{str(c["status"] or 0)[0]}">{_e(c["status"] or c["error"] or "no answer")}</span>'
        f'</td></tr>' for c in m["callbacks"]) or '<tr><td colspan="4" class="none">no callbacks sent</td></tr>'
    replies = "".join(
        f'<li><span class="at">{_time(r["received_at"])}</span><b>{_e(r["from"])}</b> {_e(r["text"])}</li>'
        for r in m["replies"]) or '<li class="none">no replies</li>'
    actions = (f'<div class="card actions"><h2>Simulate</h2>'
               f'<div class="row"><button id="btn-deliver" data-action="deliver" class="ok">Deliver</button>'
               f'<button id="btn-expire" data-action="expire" class="ghost">Expire</button></div>'
               f'<div class="row"><input id="fail-code" placeholder="error code, e.g. 30003" aria-label="error code">'
               f'<button id="btn-fail" data-action="fail" class="danger">Fail</button></div>'
               f'<div class="row"><input id="reply-text" placeholder="Reply from {_e(m["to"])}…" '
               f'aria-label="reply text"><button id="btn-reply" data-action="reply">Reply</button></div>'
               f'<p id="action-result" class="hint" role="status"></p>'
               f'<button id="btn-delete" class="ghost danger small">Delete message</button></div>')
    return (f'<div class="msg-head"><a href="/ui" class="back">← Inbox</a><h1>{_e(m["to"])}</h1>'
            f'<span id="status" data-live>{_pill(m["status"])}</span></div>'
            f'<div class="grid"><div class="col">'
            f'<section class="card text-card" id="text-card" data-live><h2>Text</h2><p class="body" id="text">'
            f'{_marked(m["text"], forcing)}</p>{encoding}'
            f'<h2>Segments, as the provider splits them</h2><ol class="segments" id="segments">{segments}</ol>'
            f'</section>'
            f'<section class="card" id="timeline-card" data-live><h2>Status timeline</h2>'
            f'<ol class="timeline" id="timeline">{timeline}</ol></section>'
            f'<section class="card" id="callbacks-card" data-live><h2>Callbacks sent</h2>'
            f'<table class="small-table" id="callbacks"><thead><tr>'
            f'<th>At</th><th>Method</th><th>URL</th><th>Answer</th></tr></thead><tbody>{callbacks}</tbody></table>'
            f'</section></div>'
            f'<div class="col">{actions}'
            f'<section class="card" id="about" data-live><h2>Message</h2>{about}</section>'
            f'<section class="card" id="attempts-card" data-live><h2>Failover attempts</h2>'
            f'<table class="small-table" id="attempts"><thead><tr>'
            f'<th>#</th><th>Backend</th><th>At</th><th>Outcome</th></tr></thead><tbody>{attempts}</tbody></table>'
            f'</section>'
            f'<section class="card" id="replies-card" data-live><h2>Replies</h2>'
            f'<ul class="replies" id="replies">{replies}</ul></section>'
            f'</div></div>')


async def message_page(inbox: Inbox, request: Request) -> Response:
    m = await inbox.message(request.path_params["id"])
    return _page(m["to"], f'<div id="panel">{panel(m)}</div>', page="message",
                 extra=f' data-id="{_e(m["id"])}"')


def routes(inbox: Inbox) -> list[BaseRoute]:
    def guarded(handler: Callable[[Inbox, Request], Awaitable[Response]]) -> Handler:
        async def endpoint(request: Request) -> Response:
            refused = guard(request, inbox.password)
            if refused is not None:
                return refused
            try:
                return await handler(inbox, request)
            except NotFound as exc:
                return PlainTextResponse(str(exc), status_code=404)
            except BadInput as exc:
                return PlainTextResponse(str(exc), status_code=400)
        return endpoint

    async def fragment_rows(inbox: Inbox, request: Request) -> Response:
        messages = await inbox.messages(Filters.from_query(request.query_params))
        return HTMLResponse(rows(messages), headers={"X-Count": str(len(messages)), "Cache-Control": "no-store"})

    async def fragment_panel(inbox: Inbox, request: Request) -> Response:
        return HTMLResponse(panel(await inbox.message(request.path_params["id"])),
                            headers={"Cache-Control": "no-store"})

    async def static(inbox: Inbox, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC:
            return PlainTextResponse("not found", status_code=404)
        data = resources.files(__package__).joinpath("static").joinpath(name).read_bytes()
        return Response(data, media_type=_STATIC[name], headers={"Cache-Control": "no-cache"})

    async def home(request: Request) -> Response:
        return RedirectResponse("/ui", status_code=307)

    return [
        Route("/ui", guarded(list_page), methods=["GET"]),
        Route("/ui/", home, methods=["GET"]),
        Route("/ui/rows", guarded(fragment_rows), methods=["GET"]),
        Route("/ui/messages/{id}", guarded(message_page), methods=["GET"]),
        Route("/ui/messages/{id}/panel", guarded(fragment_panel), methods=["GET"]),
        Route("/ui/static/{name}", guarded(static), methods=["GET"]),
    ]
