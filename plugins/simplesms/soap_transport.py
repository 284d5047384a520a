"""zeep plumbing for the simpleSMS SOAP backend: an offline-safe transport and a
per-process cache of parsed WSDLs.

This is the only module of the plugin that imports zeep; the backend imports it
lazily, when a ``simplesms-soap`` backend is built, so ``import smsbridge`` and
loading the entry points stay cheap (STYLE.md, "Start-up is a feature").

Two problems solved here (SPEC.md section 5, "SOAP"):

* Any SOAP-encoding type in a WSDL (``soapenc:Array`` …) makes zeep fetch
  ``http://schemas.xmlsoap.org/soap/encoding/`` from the internet, possibly at
  the first reply that carries ``xsi:type="SOAP-ENC:Array"``. Offline that
  stalls or fails. :class:`OfflineTransport` serves such standard schemas from
  files bundled in this package and never lets a request for them reach the
  network.
* zeep's cache keeps downloaded bytes, not the parsed WSDL, and parsing is the
  slow part. :func:`load_client` parses the WSDL a URL serves once per process
  and binds the parsed :class:`zeep.wsdl.Document` to a fresh
  :class:`zeep.Client` for every caller, each with its own transport and
  ``requests.Session`` (PHP's session cookie lives in that session).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import zeep
from zeep.exceptions import TransportError
from zeep.transports import Transport
from zeep.wsdl import Document

__all__ = [
    "BUNDLED_SCHEMAS",
    "BUNDLED_WSDL",
    "SOAP_ENCODING_NS",
    "OfflineTransport",
    "GuardedTransport",
    "clear_wsdl_cache",
    "forget_wsdl",
    "load_client",
]

_HERE = Path(__file__).resolve().parent

SOAP_ENCODING_NS = "http://schemas.xmlsoap.org/soap/encoding/"

#: The project's own copy of the simpleSMS WSDL (for the simulator and offline use).
BUNDLED_WSDL = _HERE / "sms.wsdl"

_SOAPENC = _HERE / "soapenc.xsd"
_XML_XSD = _HERE / "xml.xsd"

#: Schema URLs served from files in this package instead of the network.
#: zeep asks for the SOAP-encoding namespace URL itself (its AUTO_IMPORT_NAMESPACES),
#: and for https://www.w3.org/2001/xml.xsd when a schema imports the ``xml:``
#: namespace without a schemaLocation. The variants cover WSDLs that spell the
#: schemaLocation out by hand.
BUNDLED_SCHEMAS: dict[str, Path] = {
    "http://schemas.xmlsoap.org/soap/encoding/": _SOAPENC,
    "https://schemas.xmlsoap.org/soap/encoding/": _SOAPENC,
    "http://schemas.xmlsoap.org/soap/encoding": _SOAPENC,
    "https://schemas.xmlsoap.org/soap/encoding": _SOAPENC,
    "http://www.w3.org/2001/xml.xsd": _XML_XSD,
    "https://www.w3.org/2001/xml.xsd": _XML_XSD,
}

# Hosts of the standards bodies: nothing is ever fetched from them. A URL there
# that is not bundled gets an empty stub (schemas.xmlsoap.org names each
# namespace by its own URL) or a TransportError (www.w3.org), never a download.
_STUB_HOSTS = frozenset({"schemas.xmlsoap.org"})
_REFUSED_HOSTS = frozenset({"www.w3.org", "w3.org"})


def _stub_schema(namespace: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'targetNamespace="{namespace}"/>\n'
    ).encode()


class OfflineTransport(Transport):
    """A zeep transport that serves standard schemas from the package and sends
    everything else through the caller's ``requests.Session``.

    :param session: the session every WSDL fetch and SOAP call goes through;
        keep one per backend so the PHP session cookie set by ``connect``
        rides along on later calls. Its ``verify``, proxies and adapters apply.
    :param timeout: seconds, for loading the WSDL (and any non-standard schema
        it imports).
    :param operation_timeout: seconds, for each SOAP call. zeep's default is
        no timeout at all; SPEC.md section 7 requires one, so pass one.

    ``load()`` never touches the network for the URLs in :data:`BUNDLED_SCHEMAS`
    nor for any other URL on schemas.xmlsoap.org or www.w3.org.
    """

    def __init__(
        self,
        session: requests.Session,
        timeout: float | None = 10,
        operation_timeout: float | None = 10,
    ) -> None:
        super().__init__(cache=None, timeout=timeout, operation_timeout=operation_timeout, session=session)

    def load(self, url: str) -> bytes:
        """Return the document at ``url``: bundled standard schemas from disk,
        anything else through the session (or the local file system)."""
        offline = _offline_content(url)
        if offline is not None:
            return offline
        return super().load(url)


class GuardedTransport(OfflineTransport):
    """An :class:`OfflineTransport` whose HTTP goes through smsbridge's
    :class:`~smsbridge.transport.HttpTransport`.

    zeep calls ``requests`` directly and lets its exceptions escape unclassified; routed
    through ``HttpTransport.request`` they become the errors SPEC section 7 asks for:
    :class:`~smsbridge.errors.ProviderUnavailable` when nothing reached the server
    (refused, DNS, connect timeout, TLS) and, inside :meth:`sending`,
    :class:`~smsbridge.errors.DeliveryUnknown` when the request was written and the
    reply timed out or broke (outside it, ProviderUnavailable: look-ups change nothing).
    The session is ``http.session`` (urllib3 retries off, TLS ``verify`` applied), so
    the PHP session cookie rides along as with :class:`OfflineTransport`.

    Through ``HttpTransport.request`` every SOAP call and WSDL fetch also gets the
    transport's whole-request deadline (``operation_timeout``/``timeout`` here, the
    backend's ``timeout``) and its ``max_reply_bytes`` cap (issue 11): a trickled or
    50 MB reply to ``sendSMS`` is ``DeliveryUnknown``; the response zeep sees is already
    read in full, so zeep itself never blocks on the socket.
    """

    def __init__(self, http: Any, timeout: float | None = 10, operation_timeout: float | None = 10) -> None:
        super().__init__(http.session, timeout=timeout, operation_timeout=operation_timeout)
        self.http = http
        self._state = threading.local()

    @contextmanager
    def sending(self, sending: bool = True) -> Iterator[None]:
        """Mark the calls made by this thread inside the block as message sends (or not),
        and forget the last status: :meth:`last_status` is ``None`` until a reply arrives."""
        before = getattr(self._state, "sending", False)
        self._state.sending = sending
        self._state.status = None
        try:
            yield
        finally:
            self._state.sending = before

    def post(self, address: str, message: Any, headers: Any) -> requests.Response:
        response = self.http.request("POST", address, data=message, headers=headers,
                                     timeout=self.operation_timeout,
                                     sending=getattr(self._state, "sending", False))
        self._state.status = response.status_code
        return response

    def last_status(self) -> int | None:
        """The HTTP status of the reply to this thread's call in the current
        :meth:`sending` block; ``None`` if nothing was posted (zeep's Fault does not
        carry the status, and a request zeep failed to build never left)."""
        return getattr(self._state, "status", None)

    def _load_remote_data(self, url: str) -> bytes:
        if urlsplit(url).scheme not in ("http", "https"):
            return super()._load_remote_data(url)  # file:// through zeep's FileAdapter
        response = self.http.request("GET", url, timeout=self.load_timeout)
        with closing(response):
            if response.status_code >= 400:
                raise TransportError(f"HTTP {response.status_code} when loading {url}",
                                     status_code=response.status_code)
            return response.content


class _DetachedTransport(OfflineTransport):
    """The transport a cached :class:`Document` keeps after parsing.

    A parsed Document holds on to the transport it was loaded with and uses it
    for late schema imports (zeep auto-imports the SOAP-encoding schema the
    first time a reply names a SOAP-ENC type). The cached Document outlives the
    client that loaded it, so it must not keep that client's session: this
    transport serves bundled schemas and refuses everything else.
    """

    def __init__(self) -> None:
        super().__init__(requests.Session(), timeout=1, operation_timeout=1)

    def load(self, url: str) -> bytes:
        offline = _offline_content(url)
        if offline is not None:
            return offline
        raise TransportError(f"the cached WSDL may only load bundled schemas, not {url}")

    def _load_remote_data(self, url: str) -> bytes:  # belt and braces
        raise TransportError(f"the cached WSDL may only load bundled schemas, not {url}")


def _offline_content(url: str) -> bytes | None:
    """The bundled (or stub) content for a standard schema URL, else None.

    Raises TransportError for a standards-body URL we do not bundle, so zeep
    fails fast instead of stalling on a network fetch.
    """
    path = BUNDLED_SCHEMAS.get(url)
    if path is not None:
        return path.read_bytes()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    if host in _STUB_HOSTS:
        return _stub_schema(url)
    if host in _REFUSED_HOSTS:
        raise TransportError(f"smsbridge does not fetch {url} (standard schemas are bundled, offline)")
    return None


# url -> parsed Document; parsing is the expensive part of building a client.
_WSDL_CACHE: dict[str, Document] = {}
_WSDL_LOCK = threading.Lock()


def _parse_wsdl(wsdl_url: str, transport: OfflineTransport) -> Document:
    # zeep's annotations say type[Transport]; it takes (and uses) an instance.
    document = Document(wsdl_url, transport, settings=zeep.Settings())  # type: ignore[arg-type]
    # Import the SOAP-encoding schema now rather than at the first reply that
    # names a SOAP-ENC type: the cached Document is then never mutated while
    # several clients share it.
    document.types.get_type(f"{{{SOAP_ENCODING_NS}}}Array", fail_silently=True)
    detached = _DetachedTransport()
    document.transport = detached  # type: ignore[assignment]  # an instance, as above
    document.types._transport = detached  # zeep keeps it here for late imports
    return document


def load_client(
    wsdl_url: str,
    session: requests.Session,
    timeout: float,
    *,
    operation_timeout: float | None = None,
    transport: OfflineTransport | None = None,
) -> zeep.Client:
    """A zeep client for the WSDL that ``wsdl_url`` serves, talking through ``session``.

    The WSDL is fetched (through ``session``, with ``timeout``) and parsed on
    the first call for a URL in this process; later calls reuse the parsed
    Document, so a second Bridge or backend does no network round-trip and no
    parsing. Each call returns a new Client with its own transport bound to
    the given session. ``operation_timeout`` defaults to ``timeout``; both
    must be set (SPEC.md section 7: every HTTP request has a timeout).
    ``transport`` replaces the :class:`OfflineTransport` built for ``session``
    (the backend passes a :class:`GuardedTransport`); its own timeouts apply.

    ``wsdl_url`` may also be a local path or a ``file://`` URL (e.g.
    :data:`BUNDLED_WSDL`). A failed load is not cached.

    The Document is shared: do not mutate it through the client
    (``client.set_ns_prefix`` and the like change it for everyone).
    """
    if operation_timeout is None:
        operation_timeout = timeout
    if not timeout or not operation_timeout or timeout < 0 or operation_timeout < 0:
        raise ValueError("load_client needs positive timeouts: zeep's default is to wait forever")
    if transport is None:
        transport = OfflineTransport(session, timeout=timeout, operation_timeout=operation_timeout)
    key = str(wsdl_url)
    document = _WSDL_CACHE.get(key)
    if document is None:
        with _WSDL_LOCK:
            document = _WSDL_CACHE.get(key)
            if document is None:
                document = _parse_wsdl(key, transport)
                _WSDL_CACHE[key] = document
    return zeep.Client(document, transport=transport)


def forget_wsdl(wsdl_url: str) -> None:
    """Forget one parsed WSDL (a backend that found it unusable), so the next use fetches it again."""
    with _WSDL_LOCK:
        _WSDL_CACHE.pop(str(wsdl_url), None)


def clear_wsdl_cache() -> None:
    """Forget every parsed WSDL (for tests, or after the provider changed its WSDL)."""
    with _WSDL_LOCK:
        _WSDL_CACHE.clear()
