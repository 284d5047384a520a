"""The simpleSMS SOAP backend: smsbridge -> the WSDL at ``https://api.simplesms.hu/sms.wsdl``.

Config (SPEC §3)::

    legacy:
      plugin: simplesms-soap
      username: ${SIMPLESMS_USERNAME}
      password: ${SIMPLESMS_PASSWORD}
      domain: ${SIMPLESMS_DOMAIN}
      # wsdl: https://api.simplesms.hu/sms.wsdl   (an smsbridge gateway's /sms.wsdl works too)
      # base_url: https://…/soap                  (overrides the WSDL's soap:address)

How it talks (SPEC §5, "SOAP"):

- zeep, from **the WSDL the configured URL serves**, fetched on first use (never in
  ``__init__``: ``smsbridge config check`` stays offline) and parsed once per process
  (:func:`.soap_transport.load_client`); operations are called positionally, so a
  provider WSDL that names its parts differently still works.
- One ``requests.Session`` per backend, behind smsbridge's
  :class:`~smsbridge.transport.HttpTransport` (:class:`.soap_transport.GuardedTransport`):
  the PHP session cookie set by ``connect`` rides on every later call, urllib3 never
  re-sends, and every call has the backend's ``timeout``.
- zeep builds and posts each call as the WSDL describes it; the reply is read here, by
  :func:`.soap_decode.decode` straight from the envelope (Apache Map, SOAP-ENC arrays,
  ``xsi:nil``, document/literal structs alike, whatever types the WSDL declares), then
  by the shared :mod:`.wire` readers, so the REST and SOAP backends read replies alike.
- ``connect`` once; the session is shared by every thread.  A call refused because the
  session was lost (:func:`.error_map.login_lost`: code 102, a textual code such as
  ``NOT_LOGGED_IN``, a message such as "session expired", body code 401/403, or HTTP
  401/403) connects again once and is repeated: the refusal proves the call was not
  carried out, so a repeated ``sendSMS`` cannot send twice.  A refused ``connect`` is
  :class:`~smsbridge.errors.AuthenticationError` whatever its code.

Failures (SPEC §7): nothing reached the server → ProviderUnavailable; the ``sendSMS``
request was written but the reply timed out, broke or cannot be read →
DeliveryUnknown, never repeated.  SOAP faults: ``Client`` faults (the request was
refused as malformed) → ProviderError, pre-acceptance (failover is safe); ``Server``
faults are the provider's internal errors, read like simpleSMS code 500:
DeliveryUnknown on ``sendSMS`` (it may have stored the message first), else
ProviderUnavailable.  ``success: false`` replies map through :data:`.wire.REPLY_ERRORS`.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from typing import Any

from smsbridge.backend import Option
from smsbridge.backend_http import configured_timeout, http_transport
from smsbridge.errors import ProviderError, ProviderUnavailable, SmsBridgeError, redact
from smsbridge.model import Message
from smsbridge.redaction import register_secret

from . import wire
from .backend import SimpleSmsBackend

__all__ = ["SoapBackend", "DEFAULT_WSDL"]

log = logging.getLogger("smsbridge.simplesms.soap")

DEFAULT_WSDL = "https://api.simplesms.hu/sms.wsdl"

# SOAP 1.1 and 1.2 fault codes that blame the request: it was refused, not processed.
_CLIENT_FAULTS = frozenset({"client", "sender", "versionmismatch", "mustunderstand", "dataencodingunknown"})


class SoapBackend(SimpleSmsBackend):
    """Send through simpleSMS's SOAP API (or an smsbridge gateway serving it)."""

    options = {
        **SimpleSmsBackend.options,
        "wsdl": Option(str, default=DEFAULT_WSDL,
                       help="URL (or local path) of the WSDL; the service address comes from it"),
    }
    default_base_url = None  # the endpoint is the WSDL's soap:address; base_url overrides it
    login_word = "session"
    log = log  # the base's log lines go to this module's logger

    def __init__(self, name: str, settings: Any) -> None:
        super().__init__(name, settings)
        self._setup_lock = threading.Lock()
        self._http: Any = None
        self._transport: Any = None
        self._service: Any = None
        # The PHP session is shared by every thread; _login_lock makes one thread connect
        # while the others wait for it instead of connecting too.
        self._login_lock = threading.Lock()
        self._logged_in = False
        self._generation = 0  # bumped by every successful connect

    @property
    def wsdl(self) -> str:
        return str(self.settings.get("wsdl") or DEFAULT_WSDL)

    # -- zeep, built on first use ------------------------------------------------------
    def _get_service(self) -> tuple[Any, Any]:
        """``(service proxy, transport)``: fetches and parses the WSDL on the first call."""
        service, transport = self._service, self._transport
        if service is not None:
            return service, transport
        with self._setup_lock:
            if self._service is None:
                self._service, self._transport = self._build()
            return self._service, self._transport

    def _build(self) -> tuple[Any, Any]:
        from . import soap_transport

        timeout = configured_timeout(self.settings)
        if self._http is None:
            self._http = http_transport(self, base_url=self.wsdl, headers={"User-Agent": "smsbridge-simplesms-soap"})
        transport = soap_transport.GuardedTransport(self._http, timeout=timeout, operation_timeout=timeout)
        try:
            client = soap_transport.load_client(self.wsdl, self._http.session, timeout, transport=transport)
        except SmsBridgeError:
            raise  # HttpTransport's classification of a failed WSDL fetch
        except Exception as exc:  # zeep's WSDL/XSD errors, a 404, a file that does not exist
            raise ProviderUnavailable(f"cannot load the WSDL {_where(self.wsdl)}: {_short_reason(exc)}",
                                      backend=self.name) from None
        # zeep builds and posts the call the WSDL describes; the reply is read here
        # (_read_reply): the decoder reads what is on the wire whatever the WSDL says,
        # and zeep's schema-driven parse of it would only be unpacked again (and costs
        # more than the whole rest of a send, benchmarks/soap_send.py).
        client.settings.raw_response = True
        try:
            address = self.settings.get("base_url")
            if address:
                return client.create_service(next(iter(client.wsdl.bindings)), address), transport
            return client.service, transport
        except (ValueError, StopIteration) as exc:  # parsed, but describes no service or binding
            soap_transport.forget_wsdl(self.wsdl)
            raise ProviderUnavailable(f"cannot load the WSDL {_where(self.wsdl)}: it describes no SOAP service"
                                      f" ({_short_reason(exc)})", backend=self.name) from None

    # -- the session -------------------------------------------------------------------
    def _current_login(self) -> int:
        with self._login_lock:
            if not self._logged_in:
                self._connect()
            return self._generation

    def _login_again(self, stale: Hashable) -> int:
        """Connect again because the session of generation ``stale`` was refused,
        unless another thread already did."""
        with self._login_lock:
            if self._logged_in and self._generation != stale:
                return self._generation
            self._connect()
            return self._generation

    def _connect(self) -> None:
        """``connect``; called with ``_login_lock`` held.  Sends no message: whatever
        goes wrong here, nothing was accepted."""
        self._logged_in = False
        reply = self._raw(wire.CONNECT, (str(self.settings["username"]), str(self.settings["password"]),
                                         str(self.settings["domain"])))
        try:
            wire.parse_reply(reply, operation=wire.CONNECT, backend=self.name)
        except wire.MalformedReply as exc:
            raise ProviderUnavailable(f"unreadable connect reply from simpleSMS: {exc}", backend=self.name) from None
        self.connects += 1
        self._generation += 1
        self._logged_in = True
        for cookie in self._http.session.cookies:  # the PHP session id: masked wherever echoed
            register_secret(cookie.value)

    # -- calls -------------------------------------------------------------------------
    def _post(self, operation: str, args: tuple[Any, ...], login: Any, *, sending: bool) -> Any:
        # The session rides on the PHPSESSID cookie of the shared requests.Session.
        return self._raw(operation, args, sending=sending)

    def _read(self, operation: str, reply: Any) -> Any:
        try:
            return wire.parse_reply(reply, operation=operation, backend=self.name)
        except wire.MalformedReply as exc:
            raise self._unreadable(operation, str(exc)) from None

    def _send_args(self, message: Message) -> tuple[Any, ...]:
        parts = wire.split_recipient(message.to)
        return parts["country_code"], parts["area_code"], parts["number"], message.text

    def _id_args(self, provider_id: str) -> tuple[Any, ...]:
        return (_sms_id(provider_id),)

    def _raw(self, operation: str, args: tuple[Any, ...], *, sending: bool = False) -> Any:
        """One SOAP call, its reply decoded to plain Python; transport failures, HTTP
        errors and faults raised as smsbridge errors."""
        from zeep.exceptions import Error as ZeepError

        service, transport = self._get_service()
        try:
            method: Callable[..., Any] = service[operation]
        except (AttributeError, KeyError, ValueError):
            raise ProviderError(f"the WSDL {_where(self.wsdl)} has no operation {operation!r}",
                                backend=self.name, pre_acceptance=True) from None
        try:
            with transport.sending(sending):
                response = method(*args)
        except SmsBridgeError:
            raise  # HttpTransport classified a connection failure or timeout
        except (ZeepError, ValueError, TypeError, LookupError) as exc:
            if transport.last_status() is None:
                # zeep could not build the request (a WSDL whose operation takes other
                # arguments): nothing was sent.
                raise ProviderError(f"cannot call {operation} with the WSDL {_where(self.wsdl)}: "
                                    f"{_short_reason(exc)}", backend=self.name, pre_acceptance=True) from None
            raise self._unreadable(operation, _short_reason(exc)) from None
        return self._read_reply(operation, response.status_code, response.content)

    def _read_reply(self, operation: str, status: int, content: bytes) -> Any:
        """The decoded ``return`` of a SOAP reply (what ``soap_decode.decode`` makes of it).

        An rpc reply's wrapper (``<sendSMSResponse>``) holds one part (``<return>``),
        which is decoded; a document/literal wrapper with several fields is decoded as a
        struct.  SOAP 1.1 and 1.2 faults are read here too.
        """
        from .soap_decode import decode

        if status in (401, 403, 429, 503):
            # 401/403: the login is gone (wire.login_lost's HTTP half), whatever the body holds.
            raise wire.error_from_reply(status, None, backend=self.name, sending=operation == wire.SEND)
        body = _envelope_body(content)
        if body is None:  # not SOAP: a proxy's error page, an HTML login page, broken XML
            if status >= 400:
                raise wire.error_from_reply(status, None, backend=self.name, sending=operation == wire.SEND)
            raise self._unreadable(operation, "the reply is not a SOAP envelope")
        children = [child for child in body if isinstance(child.tag, str)]
        fault = next((c for c in children if c.tag in _FAULT_TAGS), None)
        if fault is not None:
            raise self._fault(operation, *_fault_parts(fault))
        if status >= 300 and not 400 <= status < 500:
            raise wire.error_from_reply(status, None, backend=self.name, sending=operation == wire.SEND)
        # multiRef values (SOAP-ENC, with an id) may follow the wrapper.
        wrapper = next((c for c in children if c.get("id") is None), None)
        if wrapper is None:
            raise self._unreadable(operation, "the SOAP Body is empty")
        parts = [child for child in wrapper if isinstance(child.tag, str)]
        try:
            value = decode(parts[0] if len(parts) == 1 else wrapper)
        except (ValueError, RecursionError) as exc:
            raise self._unreadable(operation, _short_reason(exc)) from None
        if status >= 300 and not wire.is_error_reply(value):
            # A 4xx whose envelope is no error reply: the status decides.  (An error reply
            # with a 4xx is read like one with HTTP 200: its flags and code decide.)
            raise wire.error_from_reply(status, None, backend=self.name, sending=operation == wire.SEND)
        return value

    def _fault(self, operation: str, code: str, text: str) -> SmsBridgeError:
        local = code.rpartition(":")[2].split(".")[0].lower()
        if local in _CLIENT_FAULTS:
            reply = wire.error_reply(wire.E_BAD_REQUEST, f"SOAP fault {code}: {text}")
        else:
            reply = wire.error_reply(wire.E_INTERNAL, f"SOAP fault {code}: {text}")
        # Read as the body of a reply saying so: the fault is the reply's own word.
        error = wire.error_from_reply(200, reply, backend=self.name, sending=operation == wire.SEND)
        if isinstance(error, ProviderError):
            error.code = code
        return error

    def close(self) -> None:
        with self._setup_lock:
            if self._http is not None:
                self._http.close()
            self._http = self._transport = self._service = None
        with self._login_lock:
            self._logged_in = False


_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
_FAULT_TAGS = frozenset({f"{{{_SOAP11}}}Fault", f"{{{_SOAP12}}}Fault"})
_ENVELOPE_TAGS = {f"{{{ns}}}Envelope": f"{{{ns}}}Body" for ns in (_SOAP11, _SOAP12)}


class _Parsers(threading.local):
    parser: Any = None


_PARSERS = _Parsers()


def _envelope_body(content: bytes) -> Any:
    """The ``Body`` element of a SOAP envelope, or ``None`` when ``content`` is not one.

    The reply is parsed like any untrusted input: no entities, no DTD, no network
    (a reply with a DTD is not SOAP, SOAP 1.1 section 3).
    """
    from lxml import etree

    if _PARSERS.parser is None:
        _PARSERS.parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                          huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(content, _PARSERS.parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.getroottree().docinfo.doctype:
        return None
    body_tag = _ENVELOPE_TAGS.get(root.tag)
    return None if body_tag is None else root.find(body_tag)


def _fault_parts(fault: Any) -> tuple[str, str]:
    """``(faultcode, faultstring)`` of a SOAP 1.1 or 1.2 Fault element."""
    if fault.tag.startswith(f"{{{_SOAP12}}}"):
        code = fault.findtext(f"{{{_SOAP12}}}Code/{{{_SOAP12}}}Value") or "Receiver"
        text = fault.findtext(f"{{{_SOAP12}}}Reason/{{{_SOAP12}}}Text") or ""
    else:
        code = fault.findtext("faultcode") or "Server"
        text = fault.findtext("faultstring") or ""
    return " ".join(code.split()), " ".join(text.split()) or "no faultstring"


def _sms_id(provider_id: str) -> Any:
    """The id as the WSDL's ``numSMSID`` (a number) wants it; non-numeric ids as given."""
    text = str(provider_id).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else text


def _where(url: str) -> str:
    """Scheme, host and path of a WSDL URL: never its query (it may hold credentials)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return url.split("?")[0]
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def _short_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = redact(text)
    return text if len(text) <= 160 else text[:157] + "..."
