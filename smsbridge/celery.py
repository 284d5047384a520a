"""Campaigns on Celery: the ``send_sms`` task, and the app behind ``bulk --queue`` / ``worker``.

Celery delivers a task *at least once*: with ``acks_late`` a task whose worker died is
handed to another worker, and a Redis broker hands back every message a dead worker had
reserved once the visibility timeout passes.  smsbridge turns that into *exactly once at
the provider* with the journal, not with Celery: every task carries its row's
idempotency key, and the shared journal (``store:``, PostgreSQL for a fleet) decides.

- A redelivered task whose message was accepted replays the earlier receipt: no SMS.
- A redelivered task whose message was handed to a provider by the killed worker, with
  no reply read, finds the key journaled ``sending``/``unknown`` and reports ``unknown``:
  it is settled by ``smsbridge reconcile`` (a provider look-up), never by sending again.
- A task never started simply runs.

For library users (a Django or Flask project with its own Celery app)::

    from smsbridge.celery import send_sms
    send_sms.delay("+36301234567", "Your code is 1234", key="otp-42")

The task is a ``shared_task``, so it binds to whichever Celery app the project runs; the
worker finds its Bridge through ``$SMSBRIDGE_CONFIG`` (or the app setting
``smsbridge_config``).  See docs/scaling.md.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

try:
    from celery import Celery, shared_task
except ModuleNotFoundError as exc:  # the extra is not installed: say which one
    raise ModuleNotFoundError("smsbridge.celery needs Celery: pip install 'smsbridge[celery]'",
                              name=exc.name) from exc

from .errors import DeliveryUnknown, SmsBridgeError

__all__ = ["send_sms", "make_app", "enqueue", "TASK_NAME", "DEFAULT_VISIBILITY_TIMEOUT"]

TASK_NAME = "smsbridge.send_sms"
QUEUE = "smsbridge"
#: Seconds before Redis hands a dead worker's reserved tasks to another worker.  Celery's
#: default is an hour; a killed worker's rows should be taken up again within minutes.
#: Longer than any single send (the journal, not this timer, prevents a double send).
DEFAULT_VISIBILITY_TIMEOUT = 120.0

_bridges: dict[str, Any] = {}
_bridges_lock = threading.Lock()


def _bridge(config: str | None) -> Any:
    """One Bridge per worker process and config path (thread-safe; reused by every task)."""
    from .bridge import Bridge

    key = config or os.environ.get("SMSBRIDGE_CONFIG") or "smsbridge.yaml"
    with _bridges_lock:
        bridge = _bridges.get(key)
        if bridge is None:
            bridge = _bridges[key] = Bridge.from_config(key)
        return bridge


@shared_task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True,  # type: ignore[untyped-decorator]
             ignore_result=False)
def send_sms(self: Any, to: str, text: str, *, key: str | None = None, sender: str | None = None,
             backend: str | None = None, reference: str | None = None,
             config: str | None = None) -> dict[str, Any]:
    """Send one SMS through the worker's Bridge; returns the result as a plain dict.

    ``key`` is the idempotency key (a campaign row's identity): give one, or a
    redelivered task may send twice.  Expected failures are *returned*
    (``{"result": "failed"|"unknown", ...}``), never raised, so Celery never retries a
    send on its own: whether a send may be repeated is the journal's decision.
    """
    config = config or getattr(self.app.conf, "smsbridge_config", None)
    bridge = _bridge(config)
    try:
        receipt = bridge.send(to, text, sender=sender, backend=backend, reference=reference,
                              idempotency_key=key)
    except SmsBridgeError as exc:
        kind = "unknown" if isinstance(exc, DeliveryUnknown) else "failed"
        return {"result": kind, "key": key, "id": exc.message_id, "type": type(exc).__name__, "error": str(exc)}
    return {"result": "sent", "key": key, **receipt.as_dict()}


def _split_queue_url(url: str) -> tuple[str, dict[str, Any]]:
    """``redis://host:port/db?visibility_timeout=60`` -> (broker URL, transport options)."""
    parts = urlsplit(url)
    options: dict[str, Any] = {"visibility_timeout": DEFAULT_VISIBILITY_TIMEOUT}
    rest = []
    for name, value in parse_qsl(parts.query):
        if name == "visibility_timeout":
            options[name] = float(value)
        else:
            rest.append(f"{name}={value}")
    return urlunsplit(parts._replace(query="&".join(rest))), options


def make_app(queue_url: str, *, config: str | None = None) -> Celery:
    """The Celery app of ``smsbridge worker`` / ``bulk --queue``: broker = ``queue_url``.

    Results go to the same Redis (so ``bulk --queue --wait`` could read them); the
    journal stays the record of what was sent.
    """
    broker, transport_options = _split_queue_url(queue_url)
    app = Celery("smsbridge", broker=broker, backend=broker, set_as_current=False)
    app.conf.update(
        broker_transport_options=transport_options,
        result_backend_transport_options=transport_options,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        smsbridge_config=config,
    )
    app.finalize(auto=True)  # binds the shared ``send_sms`` task to this app
    return app


def enqueue(app: Celery, items: Iterable[Mapping[str, Any]], *, batch: int = 500) -> Iterator[int]:
    """Publish one task per item over one producer connection, ``batch`` at a time.

    Streams ``items`` (constant memory) and yields the running count after each batch, for
    a progress bar.  Items are the send items of :mod:`smsbridge.bulk` (``to``, ``text``,
    optional ``sender``, ``backend``, ``reference``, ``idempotency_key``).
    """
    task = app.tasks[TASK_NAME]
    count = 0
    pending = 0
    with app.producer_or_acquire() as producer:
        for item in items:
            task.apply_async(args=(item["to"], item["text"]),
                             kwargs={"key": item.get("idempotency_key"), "sender": item.get("sender"),
                                     "backend": item.get("backend"), "reference": item.get("reference")},
                             producer=producer, queue=QUEUE)
            count += 1
            pending += 1
            if pending >= batch:
                pending = 0
                yield count
    if pending:
        yield count


def run_worker(app: Celery, *, concurrency: int = 8, loglevel: str = "INFO") -> None:
    """Run a Celery worker in this process (threads pool: one Bridge, shared connections)."""
    app.worker_main(["worker", f"--loglevel={loglevel}", "--pool=threads", f"--concurrency={concurrency}",
                     "-Q", QUEUE, "--without-gossip", "--without-mingle", "--without-heartbeat"])
