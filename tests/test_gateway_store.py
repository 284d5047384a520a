"""Storage never blocks the event loop (issue 12, item 2): under a journal write lock held
by another process, only the requests that need the store wait."""
from __future__ import annotations

import subprocess
import sys
import threading

import requests

SID, TOKEN = "AC" + "1" * 32, "tok-123"

HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN IMMEDIATE")          # the journal's write lock, as a CLI bulk run holds it
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
print("released", flush=True)
"""


def test_a_held_journal_lock_stalls_only_the_requests_that_write(tmp_path, gateway):
    store = tmp_path / "j.sqlite3"
    server = gateway({
        "backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "p.sqlite3")}},
        "store": str(store),
        "gateway": {"clients": {"shop": {"twilio": {"account_sid": SID, "auth_token": TOKEN}}}},
    })
    base = f"{server.url}/2010-04-01/Accounts/{SID}"
    form = {"To": "+36301234567", "From": "+15017122661", "Body": "waits for the lock"}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(store)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "locked"
        sent: list[int] = []
        done = threading.Event()

        def send() -> None:
            sent.append(requests.post(base + "/Messages.json", data=form, auth=(SID, TOKEN), timeout=60).status_code)
            done.set()

        sender = threading.Thread(target=send)
        sender.start()
        answered = []
        for _ in range(3):  # the send is stuck on the lock; these do not touch the journal
            answered.append(requests.get(server.url + "/_smsbridge/health", timeout=20).status_code)
            answered.append(requests.get(base + "/Balance.json", auth=(SID, TOKEN), timeout=20).status_code)
            answered.append(requests.get(base + "/Balance.json", auth=(SID, "wrong"), timeout=20).status_code)
        order_ok = not done.is_set()  # all of them answered while the send still waited
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        sender.join(timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert answered == [200, 200, 401] * 3
    assert order_ok
    assert sent == [201]
    assert [r.text for r in server.bridge.journaled()] == ["waits for the lock"]
