"""Put a backend through every fault of :class:`~smsbridge.testing.faults.FaultServer` and
report, fault by fault, what it raised against what the error rules require.

The rules (docs/reliability.md, docs/plugins.md "Which error when"):

- once the send request may have left — a 5xx after it was read, no reply, a reply cut,
  unreadable, too slow or too large, a 200 nobody can read — the send raises
  :class:`~smsbridge.errors.DeliveryUnknown`: never re-sent, never failed over, journaled
  ``unknown``;
- only when nothing left (connection refused) or the provider refused before accepting
  (429, 503 "try later") does it raise :class:`~smsbridge.errors.ProviderUnavailable`, and
  failover may try the next backend;
- the backend sends the request once: a backend that retries on its own shows two sends.

The send goes through a real :class:`~smsbridge.Bridge` (in-memory journal), so what is
checked is what a user gets: the error, its ``transport`` flag, and the journaled status::

    from smsbridge.testing import check_backend

    report = check_backend({"plugin": "acme", "api_key": "k"},
                           answer=lambda method, path, body: (200, {"id": "m-1", "state": "queued"}))
    report.assert_ok()          # AssertionError with the whole table when a rule is broken
    print(report)               # fault, expected, raised, sends, journaled, verdict
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .faults import EXPECTED, FAULTS, Answer, Expectation, FaultServer, IsSend

__all__ = ["FaultResult", "FaultReport", "check_backend"]

BackendConfig = Mapping[str, Any] | Callable[[str], Mapping[str, Any]]
"""A backend's config (``base_url`` is set to the fault server), or ``url -> config`` for a
backend whose address is another key (a WSDL URL, say)."""


@dataclass(frozen=True)
class FaultResult:
    """One fault's outcome. ``raised`` is the error's class name (``None``: the send succeeded)."""

    fault: str
    expected: Expectation
    raised: str | None
    message: str
    transport: bool | None
    sends_seen: int
    journaled: str | None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class FaultReport:
    """Every fault's :class:`FaultResult` for one backend."""

    plugin: str
    results: list[FaultResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failures(self) -> list[FaultResult]:
        return [r for r in self.results if not r.ok]

    def __getitem__(self, fault: str) -> FaultResult:
        return next(r for r in self.results if r.fault == fault)

    def __str__(self) -> str:
        rows = [("fault", "expected", "raised", "sends", "journaled", "verdict")]
        for r in self.results:
            rows.append((r.fault, r.expected.error or "success", r.raised or "success", str(r.sends_seen),
                         r.journaled or "-", "ok" if r.ok else "WRONG: " + "; ".join(r.problems)))
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = [f"backend plugin {self.plugin!r} against the fault server:"]
        for row in rows:
            cells = "  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True))
            lines.append(f"  {cells}  {row[5]}")
        return "\n".join(lines)

    def assert_ok(self) -> None:
        """Raise ``AssertionError`` showing the whole report when any fault broke a rule."""
        if not self.ok:
            raise AssertionError(str(self))


def _config_for(backend: BackendConfig, url: str) -> dict[str, Any]:
    if callable(backend):
        return dict(backend(url))
    return {**backend, "base_url": url}


def _judge(fault: str, error: BaseException | None, sends_seen: int, journaled: str | None) -> tuple[str, ...]:
    from ..errors import ProviderError

    expected = EXPECTED[fault]
    problems: list[str] = []
    raised = type(error).__name__ if error is not None else None
    if expected.error is None:
        if error is not None:
            problems.append(f"the send should succeed, it raised {raised}: {error}")
        elif journaled in ("unknown", "failed"):
            problems.append(f"accepted, but journaled {journaled!r}")
    else:
        from .. import errors

        wanted = getattr(errors, expected.error)
        if not isinstance(error, wanted):
            problems.append(f"must raise {expected.error} ({expected.why}), raised {raised or 'nothing'}")
        elif expected.transport is not None and isinstance(error, ProviderError) \
                and error.transport is not expected.transport:
            problems.append(f"transport={error.transport}, but {'no' if expected.transport else 'a'} "
                            "provider answer was read")
        want_status = "unknown" if expected.error == "DeliveryUnknown" else "failed"
        if journaled != want_status:
            problems.append(f"journaled {journaled!r}, not {want_status!r}")
    want_sends = 0 if fault == "refused" else 1
    if sends_seen != want_sends:
        problems.append(f"the send reached the server {sends_seen} times, not {want_sends}")
    return tuple(problems)


def _certificate(directory: str) -> tuple[str, str] | None:
    try:
        from ..gateway.tls import self_signed
    except ImportError:  # the gateway extra (cryptography) is not installed
        return None
    try:
        return self_signed(directory)
    except ImportError:
        return None


def check_backend(backend: BackendConfig, *, is_send: IsSend | None = None, answer: Answer | None = None,
                  upstream: str | None = None, faults: Iterable[str] = FAULTS, timeout: float = 0.5,
                  to: str = "+36301234567", text: str = "smsbridge.testing fault check") -> FaultReport:
    """Send one message through ``backend`` under each fault and judge the outcome.

    ``backend`` is the backend's config (``plugin`` plus its options); ``base_url`` and
    ``timeout`` are set for each run (``verify`` too, for ``tls_corrupt``).  ``is_send``
    picks the send request (default: any POST); every other request — and the send under
    the ``ok`` fault — is forwarded to ``upstream`` or answered by ``answer``.  The
    ``tls_corrupt`` fault is left out when no certificate can be made (no ``cryptography``).
    """
    from ..bridge import Bridge
    from ..errors import SmsBridgeError

    plugin = str(backend.get("plugin")) if isinstance(backend, Mapping) else "?"
    report = FaultReport(plugin)
    with tempfile.TemporaryDirectory(prefix="smsbridge-faults-") as tmp:
        certificate: tuple[str, str] | None = None
        for fault in faults:
            if fault == "tls_corrupt":
                certificate = certificate or _certificate(tmp)
                if certificate is None:
                    continue
            server = FaultServer(fault, upstream=upstream, is_send=is_send, answer=answer,
                                 tls=certificate if fault == "tls_corrupt" else None)
            error: BaseException | None = None
            journaled: str | None = None
            try:
                config = {**_config_for(backend, server.url), "timeout": timeout}
                if fault == "tls_corrupt" and certificate is not None:
                    config["verify"] = certificate[0]
                plugin = str(config.get("plugin"))
                with Bridge.from_dict({"store": ":memory:", "default": "under_test",
                                       "backends": {"under_test": config}}) as bridge:
                    message_id: str | None = None
                    try:
                        message_id = bridge.send(to, text).id
                    except SmsBridgeError as exc:
                        error = exc
                        message_id = exc.message_id
                    except Exception as exc:  # a plugin bug: reported, not raised
                        error = exc
                    if message_id:
                        journaled = bridge.record(message_id).status.value
            finally:
                server.close()
            report.plugin = plugin
            report.results.append(FaultResult(
                fault=fault, expected=EXPECTED[fault], raised=type(error).__name__ if error else None,
                message=str(error) if error else "", transport=getattr(error, "transport", None),
                sends_seen=server.sends_seen, journaled=journaled,
                problems=_judge(fault, error, server.sends_seen, journaled)))
    return report
