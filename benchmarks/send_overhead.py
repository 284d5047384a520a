"""1. Send overhead: ``Bridge.send`` via ``simplesms-rest`` vs a raw ``requests.Session`` POST.

Both sides talk to the same fixed-reply server (``fixed_server.py``, in its own process)
over loopback with keep-alive, and both parse the JSON reply.  The raw side posts the
ready-made ``sendSMS`` form (number already split) with a ready-made bearer header: it is
the least a hand-written client could do.  smsbridge does everything a send promises on
top: number validation (phonenumbers), text/segment analysis, the journal (in memory
here; see ``journal_cost.py`` for on-disk), hooks, the token cache, reply parsing.

Recipients rotate over thousands of distinct numbers, so no per-number cache can flatter
smsbridge's figure.

Also, for reference: the official Twilio SDK's ``messages.create`` vs a raw POST of the
same form to the same server (the PO measured 1.15x); and the same Bridge-vs-raw pair
against ``smsbridge serve`` (the simpleSMS REST face over the in-memory sandbox, in its
own process), which shows how a server doing real work per request dilutes the ratio.
"""
from __future__ import annotations

import itertools
from typing import Any

from common import Figure, Mode, fixed_server, hu_numbers, interleaved, paired_ratio

__all__ = ["run", "measure_rest", "measure_twilio"]

TOKEN = "bench-token-0123456789"  # what fixed_server's connect hands out
AC = "AC" + "1" * 32


def _bridge(base: str, store: str | None = None) -> Any:
    from smsbridge import Bridge

    config: dict[str, Any] = {"default": "primary", "backends": {"primary": {
        "plugin": "simplesms-rest", "username": "bench", "password": "bench-password", "domain": "bench.hu",
        "base_url": base + "/rest/SMSapi/"}}}
    if store:
        config["store"] = store
    return Bridge.from_dict(config)


def raw_rest_sender(base: str, numbers: list[str], token: str = TOKEN) -> Any:
    """A closure doing what a hand-written client does per message: POST the form, read the JSON."""
    import requests

    session = requests.Session()
    session.headers.update({"Accept": "application/json", "User-Agent": "raw-requests"})
    url = base + "/rest/SMSapi/sendSMS"
    auth = {"Authorization": f"Bearer {token}"}
    forms = itertools.cycle([{"country_code": n[1:3], "area_code": n[3:5], "number": n[5:], "message": "Szia!"}
                             for n in numbers])

    def send() -> Any:
        data = session.post(url, data=next(forms), headers=auth, timeout=10).json()
        if not data.get("success"):
            raise RuntimeError(data)
        return data["response"]  # the sms_id itself
    return send


def bridge_sender(bridge: Any, numbers: list[str]) -> Any:
    to = itertools.cycle(numbers)

    def send() -> Any:
        return bridge.send(next(to), "Szia!")
    return send


def measure_rest(base: str, mode: Mode) -> Figure:
    numbers = hu_numbers(mode.pick(4000, 2000, 50))
    with _bridge(base) as bridge:
        timing = interleaved({"smsbridge": bridge_sender(bridge, numbers), "raw": raw_rest_sender(base, numbers)},
                             rounds=mode.pick(21, 9, 2), per_round=mode.pick(300, 200, 5),
                             warmup=mode.pick(200, 100, 3))
    return Figure("1. send overhead", "Bridge.send (simplesms-rest) vs raw requests POST",
                  timing["smsbridge"]["median"], timing["raw"]["median"], "us/send",
                  ratio=paired_ratio(timing, "smsbridge", "raw"), target="<= 1.05", extra=timing)


def measure_twilio(base: str, mode: Mode) -> Figure:
    import requests
    from twilio.rest import Client

    client = Client(AC, "bench-token")
    client.api.base_url = base  # providers.md §1.3 (A)
    session = requests.Session()
    session.auth = (AC, "bench-token")
    url = f"{base}/2010-04-01/Accounts/{AC}/Messages.json"
    numbers = itertools.cycle(hu_numbers(mode.pick(2000, 1000, 20)))

    def sdk() -> Any:
        return client.messages.create(to=next(numbers), from_="+15005550006", body="Szia!").sid

    def raw() -> Any:
        return session.post(url, data={"To": next(numbers), "From": "+15005550006", "Body": "Szia!"},
                            timeout=10).json()["sid"]
    timing = interleaved({"sdk": sdk, "raw": raw}, rounds=mode.pick(15, 7, 2), per_round=mode.pick(200, 100, 5),
                         warmup=mode.pick(100, 50, 3))
    return Figure("1. send overhead", "Twilio SDK messages.create vs raw requests POST (reference)",
                  timing["sdk"]["median"], timing["raw"]["median"], "us/send",
                  ratio=paired_ratio(timing, "sdk", "raw"), note="PO measured 1.15x", extra=timing)


def measure_rest_gateway(mode: Mode) -> Figure:
    """The same pair against the gateway's simpleSMS REST face + sandbox (informational)."""
    import tempfile

    import requests
    from common import venv_bin
    from gateway_rps import _free_port, _start, _stop

    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
        config = f"{tmp}/gateway.yaml"
        with open(config, "w", encoding="utf-8") as fh:
            fh.write("default: local\nbackends:\n  local: {plugin: sandbox, credit: 1e12}\n"
                     "gateway:\n  clients:\n    bench:\n"
                     "      simplesms: {username: bench, password: bench-password, domain: bench.hu}\n")
        port = _free_port()
        proc = _start([venv_bin("smsbridge"), "--config", config, "serve", "--port", str(port)], port)
        try:
            base = f"http://127.0.0.1:{port}"
            token = requests.post(base + "/rest/SMSapi/connect", timeout=10, data={
                "username": "bench", "password": "bench-password", "domain": "bench.hu"}).json()
            token = token.get("access_token") or token["response"]["access_token"]
            numbers = hu_numbers(mode.pick(3000, 1500, 30))
            with _bridge(base) as bridge:
                timing = interleaved({"smsbridge": bridge_sender(bridge, numbers),
                                      "raw": raw_rest_sender(base, numbers, token=token)},
                                     rounds=mode.pick(9, 5, 2), per_round=mode.pick(150, 100, 5),
                                     warmup=mode.pick(100, 50, 3))
        finally:
            _stop(proc)
    return Figure("1. send overhead", "same pair against smsbridge serve (REST face + sandbox), informational",
                  timing["smsbridge"]["median"], timing["raw"]["median"], "us/send",
                  ratio=paired_ratio(timing, "smsbridge", "raw"), extra=timing)


def run(mode: Mode) -> list[Figure]:
    with fixed_server() as base:
        figures = [measure_rest(base, mode), measure_twilio(base, mode)]
    return figures + [measure_rest_gateway(mode)]
