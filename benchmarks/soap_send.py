"""How much does the simplesms-soap backend cost on top of the wire?

    python benchmarks/soap_send.py [--iterations 2000] [--profile]

Starts ``smsbridge serve`` (the gateway's SOAP face over an in-memory sandbox) in a
child process on 127.0.0.1, then sends the same message to it two ways, in alternating
blocks so that drift (CPU frequency, the server's journal growing) hits both alike:

- **Bridge.send**: ``Bridge.send`` through a ``simplesms-soap`` backend (zeep, the
  decoder, the wire readers, number and text checks, the client's in-memory journal);
- **raw POST + lxml**: a ``requests.Session`` with keep-alive and the session cookie,
  POSTing the very envelope zeep sends, and reading the ``sms_id`` out of the reply with
  lxml — the least any Python client could do.

The server does the same work for both, so the ratio is the backend's own overhead on a
realistic round trip (target: at most 1.3x).  ``--profile`` runs the Bridge loop again
under cProfile and prints where the client's time goes.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from lxml import etree

TO = "+36301234567"
TEXT = "Benchmark message: a typical one-segment SMS text."
CLIENT = {"username": "bench", "password": "bench-secret", "domain": "bench.example"}

CONFIG = f"""\
default: local
backends:
  local:
    plugin: sandbox
    credit: 100000000
gateway:
  clients:
    bench:
      simplesms: {{username: {CLIENT['username']}, password: {CLIENT['password']}, domain: {CLIENT['domain']}}}
"""


# -- the server ---------------------------------------------------------------------------
class Gateway:
    """``smsbridge serve`` in a child process (its own GIL: the client's cost stays visible)."""

    def __init__(self, workdir: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = workdir / "gateway.yaml"
        config.write_text(CONFIG)
        self.log = open(workdir / "gateway.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from smsbridge.cli import main; main()", "--config", str(config), "serve",
             "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{self.url}/sms.wsdl", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the gateway did not start; see {workdir / 'gateway.log'}")
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# -- the two clients ----------------------------------------------------------------------
def bridge_client(url: str) -> tuple[Any, Callable[[], str]]:
    from smsbridge import Bridge

    bridge = Bridge.from_dict({"backends": {"legacy": {"plugin": "simplesms-soap", **CLIENT,
                                                       "wsdl": f"{url}/sms.wsdl"}}})

    def send() -> str:
        return bridge.send(TO, TEXT).provider_id

    return bridge, send


def captured_envelope(url: str) -> bytes:
    """The exact bytes zeep POSTs for this sendSMS (so both clients send the same thing)."""
    from smsbridge_plugins.simplesms import wire
    from smsbridge_plugins.simplesms.soap_transport import load_client
    from zeep.wsdl.utils import etree_to_string

    client = load_client(f"{url}/sms.wsdl", requests.Session(), 10)
    parts = wire.split_recipient(TO)
    envelope = client.create_message(client.service, "sendSMS", parts["country_code"], parts["area_code"],
                                     parts["number"], TEXT)
    return etree_to_string(envelope)


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def raw_client(url: str) -> Callable[[], str]:
    session = requests.Session()
    login = (f'<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body>'
             f'<ns0:connect xmlns:ns0="urn:SMSapi"><userName>{CLIENT["username"]}</userName><userPassword>'
             f'{CLIENT["password"]}</userPassword><domainName>{CLIENT["domain"]}</domainName></ns0:connect>'
             f"</soap-env:Body></soap-env:Envelope>").encode()
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"urn:SMSapi#sendSMS"'}
    session.post(f"{url}/soap", data=login, headers=headers, timeout=10).raise_for_status()
    body = captured_envelope(url)
    endpoint = f"{url}/soap"

    def send() -> str:
        reply = session.post(endpoint, data=body, headers=headers, timeout=10)
        root = etree.fromstring(reply.content, _PARSER)
        for item in root.iter("item"):
            if item.findtext("key") == "response":  # sendSMS's response is the sms_id itself
                return item.findtext("value") or ""
        raise RuntimeError(f"no sms_id in {reply.content[:300]!r}")

    return send


# -- measuring ----------------------------------------------------------------------------
def timed(send: Callable[[], str], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        send()
        out.append(time.perf_counter() - start)
    return out


def summary(name: str, samples: list[float]) -> tuple[str, float]:
    ms = sorted(s * 1000 for s in samples)
    mean = statistics.fmean(ms)
    p95 = ms[int(len(ms) * 0.95) - 1]
    row = f"{name:<22} {len(ms):>6} {mean:>9.3f} {statistics.median(ms):>9.3f} {p95:>9.3f} {1000 / mean:>9.0f}"
    return row, statistics.median(ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", "-n", type=int, default=2000, help="sends per client (default 2000)")
    parser.add_argument("--block", type=int, default=100, help="sends per alternating block (default 100)")
    parser.add_argument("--profile", action="store_true", help="profile the Bridge loop with cProfile")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
        server = Gateway(Path(tmp))
        try:
            bridge, bridge_send = bridge_client(server.url)
            raw_send = raw_client(server.url)
            for send in (bridge_send, raw_send):  # warm up: WSDL, login, connections, caches
                timed(send, 50)
            bridge_samples: list[float] = []
            raw_samples: list[float] = []
            done = 0
            while done < args.iterations:
                block = min(args.block, args.iterations - done)
                raw_samples += timed(raw_send, block)
                bridge_samples += timed(bridge_send, block)
                done += block

            print(f"\nsimplesms-soap send against the gateway's SOAP face (sandbox), {sys.platform}, "
                  f"Python {sys.version.split()[0]}")
            print(f"{'client':<22} {'sends':>6} {'mean ms':>9} {'median':>9} {'p95':>9} {'per s':>9}")
            raw_row, raw_median = summary("raw POST + lxml", raw_samples)
            bridge_row, bridge_median = summary("Bridge.send (zeep)", bridge_samples)
            print(raw_row)
            print(bridge_row)
            ratio_mean = statistics.fmean(bridge_samples) / statistics.fmean(raw_samples)
            ratio_median = bridge_median / raw_median
            verdict = "ok" if ratio_median <= 1.3 else "OVER TARGET"
            print(f"ratio Bridge/raw: median {ratio_median:.2f}x, mean {ratio_mean:.2f}x "
                  f"(target <= 1.3x: {verdict})")

            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                timed(bridge_send, min(args.iterations, 1000))
                profiler.disable()
                print("\ncProfile of Bridge.send (client side), top 25 by cumulative time:")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            bridge.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
