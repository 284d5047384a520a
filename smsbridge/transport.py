"""HTTP for backends: one pooled ``requests.Session`` and the SPEC §7 failure rules.

The one question every failed request must answer is *could the provider have accepted
the message?*  ``requests`` exceptions tell us, if read carefully:

- no connection was made (refused, DNS failure, connect timeout, TLS handshake failure):
  the request never left → :class:`ProviderUnavailable` (safe to fail over);
- the connection was made and the request written, then the reply timed out, was reset
  or cut short: the provider may have acted on it → :class:`DeliveryUnknown` for a send
  (``sending=True``), and :class:`ProviderUnavailable` for look-ups, which change nothing.

urllib3's retries are switched off (``max_retries=0``): a library that silently re-sends a
POST after a reset is how double SMS happen.
"""
from __future__ import annotations

import logging
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from .errors import DeliveryUnknown, ProviderUnavailable, redact

__all__ = ["HttpTransport"]

log = logging.getLogger("smsbridge.transport")


class HttpTransport:
    """A pooled session for one backend, raising smsbridge errors instead of requests'."""

    def __init__(self, backend: str, *, base_url: str, timeout: float = 10.0, verify: bool | str = True,
                 headers: dict[str, str] | None = None, auth: Any = None, pool_size: int = 64) -> None:
        self.backend = backend
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.verify = verify
        if headers:
            self.session.headers.update(headers)
        if auth is not None:
            self.session.auth = auth

    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    def request(self, method: str, path: str, *, sending: bool = False, **kwargs: Any) -> requests.Response:
        """Send one request; map transport failures per the module docstring.

        HTTP error statuses are returned, not raised: the provider's wire module decides
        what a 401 or a 200-with-``error: true`` means.
        """
        url = self.url(path) if not path.startswith(("http://", "https://")) else path
        kwargs.setdefault("timeout", self.timeout)
        # Per request, not only on the session: requests lets $REQUESTS_CA_BUNDLE /
        # $CURL_CA_BUNDLE override session.verify (psf/requests#3829), which would ignore
        # a backend's `verify: false` or `verify: /path/ca.pem`.
        kwargs.setdefault("verify", self.session.verify)
        try:
            return self.session.request(method, url, **kwargs)
        except (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError,
                requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema) as exc:
            raise ProviderUnavailable(f"could not connect to {_where(url)}: {_reason(exc)}",
                                      backend=self.backend) from None
        except requests.exceptions.ReadTimeout:
            raise self._after_send(sending, f"no reply from {_where(url)} within {kwargs['timeout']} s") from None
        except requests.exceptions.ConnectionError as exc:
            if _never_connected(exc):
                raise ProviderUnavailable(f"could not connect to {_where(url)}: {_reason(exc)}",
                                          backend=self.backend) from None
            raise self._after_send(sending, f"connection to {_where(url)} broke: {_reason(exc)}") from None
        except requests.exceptions.RequestException as exc:  # ChunkedEncodingError, ContentDecodingError, ...
            raise self._after_send(sending, f"bad reply from {_where(url)}: {_reason(exc)}") from None
        except OSError as exc:  # raised before connecting, e.g. a `verify:` CA bundle path that does not exist
            raise ProviderUnavailable(f"could not connect to {_where(url)}: {exc}", backend=self.backend) from None

    def _after_send(self, sending: bool, text: str) -> Exception:
        if sending:
            return DeliveryUnknown(text + "; the message may have been accepted, so it is not re-sent",
                                   backend=self.backend)
        return ProviderUnavailable(text, backend=self.backend)

    def close(self) -> None:
        self.session.close()


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when urllib3 failed before the request was written (refused, DNS, unreachable)."""
    from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

    reason: Any = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (NewConnectionError, NameResolutionError, ConnectionRefusedError))


def _where(url: str) -> str:
    """scheme://host:port only: paths and queries may hold credentials (Vonage GETs do)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}{':' + str(parts.port) if parts.port else ''}"


def _reason(exc: BaseException) -> str:
    """A short cause without the URL (urllib3 repeats the full URL, query included)."""
    inner: Any = exc
    while inner.args and isinstance(inner.args[0], BaseException):
        inner = inner.args[0]
    reason = getattr(inner, "reason", None)
    if isinstance(reason, BaseException):
        inner = reason
    text = str(inner)
    if "Connection refused" in text or isinstance(inner, ConnectionRefusedError):
        return "connection refused"
    if "Name or service not known" in text or "Failed to resolve" in text or "nodename" in text:
        return "host name not found"
    if "reset" in text.lower():
        return "connection reset"
    if "RemoteDisconnected" in type(inner).__name__ or "closed connection" in text:
        return "the server closed the connection"
    return redact(type(inner).__name__)
