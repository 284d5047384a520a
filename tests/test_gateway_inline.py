"""Issue 18: store calls on the event loop only when they cannot wait (counted, never timed).

With an in-memory journal and a sandbox that never blocks, a create and a fetch run on the
gateway's event loop (``Gateway.store_calls["inline"]``); anything that could wait — a
journal or sandbox on disk, simulated latency, a lock held by another thread, a hook not
marked ``never_blocks``, another sender of the same idempotency key — goes to a worker
thread (``store_calls["thread"]``), as issue 12 requires.  tests/test_gateway_store.py keeps
the other-process lock case.
"""
from __future__ import annotations

import threading
import time

import pytest
import requests

from smsbridge import Bridge
from smsbridge.journal import fingerprint
from smsbridge.model import Message, Status
from smsbridge.testing import registered

SID, TOKEN = "AC" + "1" * 32, "tok-123"
FORM = {"To": "+36301234567", "From": "+15017122661", "Body": "hi"}


def config(**backend: object) -> dict:
    return {"backends": {"local": {"plugin": "sandbox", **backend}},
            "gateway": {"clients": {"shop": {"twilio": {"account_sid": SID, "auth_token": TOKEN}}}}}


def calls(server) -> dict[str, int]:
    return dict(server._server.config.app.state.gateway.store_calls)


def create(server, headers: dict | None = None, **form: str) -> requests.Response:
    return requests.post(f"{server.url}/2010-04-01/Accounts/{SID}/Messages.json", auth=(SID, TOKEN),
                         data={**FORM, **form}, headers=headers or {}, timeout=60)


def fetch(server, sid: str) -> requests.Response:
    return requests.get(f"{server.url}/2010-04-01/Accounts/{SID}/Messages/{sid}.json", auth=(SID, TOKEN), timeout=60)


def until(condition, what: str) -> None:
    """Poll (bounded) for something another thread does; fails, never measures."""
    for _ in range(2000):
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


def test_in_memory_create_and_fetch_run_on_the_loop(gateway):
    server = gateway(config())
    reply = create(server)
    assert reply.status_code == 201
    sid = reply.json()["sid"]
    fetched = fetch(server, sid)
    assert fetched.status_code == 200 and fetched.json()["sid"] == sid
    assert calls(server) == {"inline": 2, "thread": 0}  # the send; the fetch (alias and record in one call)
    (record,) = server.bridge.journaled()
    assert record.phase == "accepted" and server.bridge.journal.resolve("twilio", sid) == record.id


PLIVO_ID, VONAGE_KEY = "MA" + "X" * 18, "shopkey"


def test_every_face_finds_a_message_by_its_own_id_in_one_store_call(gateway):
    """Plivo's Message/{uuid}/ and Vonage's /search/message, like Twilio's fetch: the face's
    id resolved and the record read in one store call (faces.client_record_by_alias), and
    still a 404 for another client's message."""
    server = gateway({"backends": {"local": {"plugin": "sandbox"}}, "gateway": {"clients": {
        "shop": {"plivo": {"auth_id": PLIVO_ID, "auth_token": TOKEN},
                 "vonage": {"api_key": VONAGE_KEY, "api_secret": TOKEN}},
        "other": {"vonage": {"api_key": "otherkey", "api_secret": TOKEN}}}}})
    plivo = f"{server.url}/v1/Account/{PLIVO_ID}/Message/"
    sent = requests.post(plivo, auth=(PLIVO_ID, TOKEN), json={"src": "+15017122661", "dst": "+36301234567",
                                                                 "text": "hi"}, timeout=60)
    assert sent.status_code == 202
    (uuid,) = sent.json()["message_uuid"]
    texted = requests.post(f"{server.url}/sms/json", data={"api_key": VONAGE_KEY, "api_secret": TOKEN,
                                                           "to": "36301234567", "from": "Shop", "text": "hi"},
                           timeout=60).json()["messages"][0]["message-id"]
    before = calls(server)["inline"]
    assert requests.get(f"{plivo}{uuid}/", auth=(PLIVO_ID, TOKEN), timeout=60).json()["message_uuid"] == uuid
    assert calls(server) == {"inline": before + 2, "thread": 0}  # the record; the uuid its reply shows (alias_of)
    search = f"{server.url}/search/message"
    found = requests.get(search, params={"id": texted, "api_key": VONAGE_KEY, "api_secret": TOKEN}, timeout=60)
    assert found.status_code == 200 and found.json()["message-id"] == texted
    assert calls(server) == {"inline": before + 3, "thread": 0}  # the record, in one call
    assert requests.get(search, params={"id": texted, "api_key": "otherkey", "api_secret": TOKEN},
                        timeout=60).status_code == 404


@pytest.mark.parametrize("store_on_disk, backend", [
    (True, {}),                                  # the journal on disk: another process may lock it
    (False, {"path": "p.sqlite3"}),              # the sandbox on disk: likewise
    (False, {"chaos": {"latency": 0.001}}),      # simulated latency: the sandbox sleeps
    (False, {"rate_limit": 1000}),               # a rate limit may sleep
])
def test_anything_that_can_wait_goes_to_a_worker_thread(tmp_path, gateway, store_on_disk, backend):
    if "path" in backend:
        backend = {"path": str(tmp_path / "p.sqlite3")}
    settings = config(**backend)
    if store_on_disk:
        settings["store"] = str(tmp_path / "j.sqlite3")
    server = gateway(settings)
    sid = create(server).json()["sid"]
    assert fetch(server, sid).status_code == 200
    assert calls(server) == {"inline": 0, "thread": 2}  # the create; the fetch (alias and record: one hop)


def test_a_hook_not_marked_never_blocks_sends_through_a_thread(gateway):
    seen: list[str] = []
    with registered(smsbridge_after_send=lambda message, receipt: seen.append(receipt.id)):
        server = gateway(config())
        assert create(server).status_code == 201
    assert len(seen) == 1 and calls(server) == {"inline": 0, "thread": 1}


@pytest.mark.parametrize("whose", ["journal", "sandbox"])
def test_a_lock_held_by_another_thread_falls_back_to_a_worker_thread(gateway, whose):
    server = gateway(config())
    assert create(server).status_code == 201  # inline, the store opened
    part = server.bridge.journal if whose == "journal" else server.bridge.backend("local")
    lock = part.nowait_lock
    assert lock is not None and lock.acquire()  # e.g. a webhook's look-up in a worker thread
    done: list[int] = []
    sender = threading.Thread(target=lambda: done.append(create(server, Body="behind the lock").status_code))
    try:
        sender.start()
        until(lambda: calls(server)["thread"] == 1, "the create went to a worker thread")
        health = [requests.get(server.url + "/_smsbridge/health", timeout=20).status_code for _ in range(3)]
        waited = not done  # the loop answered while the create still waited for the lock
    finally:
        lock.release()
    sender.join(timeout=60)
    assert health == [200, 200, 200] and waited
    assert done == [201]
    assert calls(server) == {"inline": 1, "thread": 1}
    assert sorted(r.text for r in server.bridge.journaled()) == ["behind the lock", "hi"]


def test_a_lock_held_by_the_gateways_own_thread_call_is_awaited_not_hopped_around(gateway):
    """One of the gateway's own worker-thread calls (here a balance look-up) holds the
    sandbox's lock: a create awaits its end, the loop stays free, then runs on the loop."""
    server = gateway(config())
    assert create(server).status_code == 201
    sandbox = server.bridge.backend("local")
    inside, release = threading.Event(), threading.Event()
    real_balance = sandbox.balance

    def slow_balance():
        with sandbox.nowait_lock:
            inside.set()
            release.wait(60)
            return real_balance()
    sandbox.balance = slow_balance
    answers: dict[str, int] = {}
    balance = threading.Thread(target=lambda: answers.__setitem__("balance", requests.get(
        f"{server.url}/2010-04-01/Accounts/{SID}/Balance.json", auth=(SID, TOKEN), timeout=60).status_code))
    sender = threading.Thread(target=lambda: answers.__setitem__("create", create(server, Body="after").status_code))
    try:
        balance.start()
        assert inside.wait(60)
        sender.start()
        shared = server._server.config.app.state.gateway._shared
        until(lambda: len(shared.waiters) == 1, "the create awaits the balance look-up's end")
        health = [requests.get(server.url + "/_smsbridge/health", timeout=20).status_code for _ in range(3)]
        waited = "create" not in answers
    finally:
        release.set()
    balance.join(timeout=60)
    sender.join(timeout=60)
    assert health == [200, 200, 200] and waited
    assert answers == {"balance": 200, "create": 201}
    assert calls(server) == {"inline": 2, "thread": 0}  # the create never took a thread


def test_a_key_another_thread_is_sending_waits_off_the_loop_and_sends_once(gateway):
    server = gateway(config())
    bridge = server.bridge
    assert create(server).status_code == 201  # the store opened
    key = "gateway:shop:token-1"
    # Another thread journaled this key and is still sending it (phase "sending").
    earlier = Message(to="+36301234567", text="hi", id="sb_earlier0000000000000001", sender="+15017122661",
                      extra={"gateway_client": "shop", "face": "twilio"})
    assert bridge.journal.begin(earlier, key, attempt="local",
                                fingerprint=fingerprint("+36301234567", "hi", "+15017122661", None)) is None
    done: list[requests.Response] = []
    sender = threading.Thread(target=lambda: done.append(create(server, {"I-Twilio-Idempotency-Token": "token-1"})))
    sender.start()
    until(lambda: calls(server)["thread"] == 1, "the replay went to a worker thread")
    assert requests.get(server.url + "/_smsbridge/health", timeout=20).status_code == 200  # the loop is free
    assert not done
    bridge.journal.accepted(earlier.id, "local", "77", Status.QUEUED)  # the other sender finishes
    sender.join(timeout=60)
    assert [r.status_code for r in done] == [201]
    assert bridge.journal.resolve("twilio", done[0].json()["sid"]) == earlier.id  # its receipt, not a new send
    assert len(bridge.journaled()) == 2  # the first create and the earlier one: nothing sent twice


def test_hold_nowait_takes_every_lock_or_none():
    bridge = Bridge.from_dict(config())
    try:
        journal_lock, sandbox_lock = bridge.journal.nowait_lock, bridge.backend("local").nowait_lock
        hold = bridge.hold_nowait()
        assert hold is not None
        with hold:
            bridge.send("+36301234567", "inside the hold")  # reentrant: the send takes them again
            grabbed: list[bool] = []
            other = threading.Thread(target=lambda: grabbed.append(journal_lock.acquire(blocking=False)))
            other.start()
            other.join()
            assert grabbed == [False]  # held for the whole block
        assert sandbox_lock.acquire(blocking=False)  # released after it
        sandbox_lock.release()
        taken, release = threading.Event(), threading.Event()

        def hold_sandbox() -> None:
            with sandbox_lock:
                taken.set()
                release.wait(60)
        holder = threading.Thread(target=hold_sandbox)
        holder.start()
        try:
            assert taken.wait(60)
            assert bridge.hold_nowait() is None  # the sandbox's lock is another thread's...
            assert journal_lock.acquire(blocking=False)  # ...and the journal's was given back
            journal_lock.release()
        finally:
            release.set()
            holder.join()
    finally:
        bridge.close()


def test_a_journal_on_disk_never_holds_nowait(tmp_path):
    bridge = Bridge.from_dict({**config(), "store": str(tmp_path / "j.sqlite3")})
    try:
        assert bridge.journal.nowait_lock is None and not bridge.never_blocks() and bridge.hold_nowait() is None
    finally:
        bridge.close()
