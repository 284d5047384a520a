"""Failover hands each backend the *original* message under its own settings (issue 11 item 5).

The first backend is simpleSMS REST at a port nothing listens on (refused: nothing left, so
failover is safe). The fallback is a sandbox whose SQLite file is the "server": it shows the
exact text, sender, number and segment count it was given.
"""
from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsbridge import Bridge, InvalidMessage, ProviderUnavailable

HUNGARIAN = "Árvíztűrő tükörfúrógép, szép ősz"  # 32 chars: UCS-2 unless transliterated


def config(tmp_path, free_port, **fallback):
    return {
        "backends": {
            "primary": {"plugin": "simplesms-rest", "username": "u", "password": "p", "domain": "d.hu",
                        "base_url": f"http://127.0.0.1:{free_port}/rest/SMSapi/", "timeout": 2,
                        "sender": "Primary", "transliterate": True, "max_segments": 6},
            "fallback": {"plugin": "sandbox", "path": str(tmp_path / "fallback.sqlite3"),
                         "sender": "Fallback", "transliterate": False, "max_segments": 1, **fallback},
        },
        "routes": [{"backends": ["primary", "fallback"]}],
        "store": str(tmp_path / "journal.sqlite3"),
    }


def received(tmp_path):
    if not (tmp_path / "fallback.sqlite3").exists():
        return []  # the sandbox creates its file on first use: never called
    with sqlite3.connect(tmp_path / "fallback.sqlite3") as db:
        return db.execute("SELECT to_number, sender, text, segments FROM sms").fetchall()


def test_fallback_gets_the_original_text_its_own_sender_and_no_transliteration(tmp_path, free_port):
    with Bridge.from_dict(config(tmp_path, free_port)) as bridge:
        receipt = bridge.send("+36301234567", HUNGARIAN)
    assert receipt.backend == "fallback"
    assert (receipt.sender, receipt.encoding, receipt.segments) == ("Fallback", "ucs2", 1)
    assert received(tmp_path) == [("+36301234567", "Fallback", HUNGARIAN, 1)]


def test_an_explicit_sender_wins_on_every_backend(tmp_path, free_port):
    cfg = config(tmp_path, free_port)
    cfg["backends"]["primary"]["ignore_sender"] = True  # simpleSMS has no sender field (issue 19)
    with Bridge.from_dict(cfg) as bridge:
        assert bridge.send("+36301234567", "hi", sender="Caller").sender == "Caller"
    assert received(tmp_path) == [("+36301234567", "Caller", "hi", 1)]


def test_a_text_over_the_fallbacks_max_segments_is_not_sent_there(tmp_path, free_port):
    text = HUNGARIAN * 3  # 96 chars: 1 GSM-7 segment for the primary, 2 UCS-2 segments for the fallback
    with Bridge.from_dict(config(tmp_path, free_port)) as bridge:
        with pytest.raises(ProviderUnavailable) as info:
            bridge.send("+36301234567", text)
        record = bridge.record(info.value.message_id)
        assert record.status.value == "failed"
        outcomes = [a.get("outcome") or "" for a in record.attempts]
        assert outcomes[0].startswith("not accepted")
        assert any("skipped" in o and "segments" in o for o in outcomes)
    assert received(tmp_path) == []  # the fallback never saw a 2-part message


def test_fallback_transliterates_when_it_says_so(tmp_path, free_port):
    cfg = config(tmp_path, free_port, transliterate=True)
    cfg["backends"]["primary"]["transliterate"] = False
    with Bridge.from_dict(cfg) as bridge:
        receipt = bridge.send("+36301234567", HUNGARIAN * 3)
    assert (receipt.backend, receipt.encoding, receipt.segments) == ("fallback", "gsm7", 1)
    assert received(tmp_path)[0][2] == "Arviztürö tükörfurogép, szép ösz" * 3


def test_fallback_reads_a_national_number_with_its_own_default_region(tmp_path, free_port):
    cfg = config(tmp_path, free_port, default_region="AT")
    cfg["defaults"] = {"default_region": "HU"}
    cfg["routes"] = [{"match": {"country": "HU"}, "backends": ["primary", "fallback"]}]
    with Bridge.from_dict(cfg) as bridge:
        with pytest.raises(ProviderUnavailable) as info:  # HU national, routed as HU; not a number in AT
            bridge.send("06 30 123 4567", "hi")
        outcomes = [a.get("outcome") or "" for a in bridge.record(info.value.message_id).attempts]
        assert any(o.startswith("skipped") and "06 30 123 4567" in o for o in outcomes), outcomes
    assert received(tmp_path) == []  # skipped, never sent to a number the fallback reads otherwise


def test_first_backend_limits_are_checked_before_anything_is_journaled(tmp_path, free_port):
    cfg = config(tmp_path, free_port)
    cfg["backends"]["primary"]["max_segments"] = 1
    cfg["backends"]["primary"]["transliterate"] = False
    with Bridge.from_dict(cfg) as bridge:
        with pytest.raises(InvalidMessage) as info:
            bridge.send("+36301234567", HUNGARIAN * 3)
        assert info.value.reason == "too_long"
        assert bridge.journaled() == []


TEXTS = st.text(alphabet=st.sampled_from(list("abc XYZ.,!") + list("áéőűÁŐ€{") + ["😀"]), min_size=1, max_size=200)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS, first=st.fixed_dictionaries({"transliterate": st.booleans(), "max_segments": st.integers(1, 4)}),
       second=st.fixed_dictionaries({"transliterate": st.booleans(), "max_segments": st.integers(1, 4),
                                     "sender": st.sampled_from([None, "Second", "+36201234567"])}),
       caller_sender=st.sampled_from([None, "Caller"]))
def test_the_fallback_sends_exactly_the_original_under_its_own_settings(tmp_path_factory, text, first, second,
                                                                          caller_sender):
    from smsbridge import text as text_mod

    path = tmp_path_factory.mktemp("fb") / "fallback.sqlite3"
    config = {"backends": {"first": {"plugin": "sandbox", "chaos": {"failure_rate": 1.0}, "sender": "First",
                                     **first},
                           "second": {"plugin": "sandbox", "path": str(path), **second}},
              "routes": [{"backends": ["first", "second"]}]}
    first_body = text_mod.transliterate(text) if first["transliterate"] else text
    body = text_mod.transliterate(text) if second["transliterate"] else text
    fits_first = text.strip() and text_mod.analyse(first_body).segments <= first["max_segments"]
    fits_second = text_mod.analyse(body).segments <= second["max_segments"]
    with Bridge.from_dict(config) as bridge:
        if not fits_first:
            with pytest.raises(InvalidMessage):
                bridge.send("+36301234567", text, sender=caller_sender)
            assert bridge.journaled() == []
            return
        if not fits_second:
            with pytest.raises(ProviderUnavailable):
                bridge.send("+36301234567", text, sender=caller_sender)
            assert not path.exists() or sqlite3.connect(path).execute("SELECT COUNT(*) FROM sms").fetchone()[0] == 0
            return
        receipt = bridge.send("+36301234567", text, sender=caller_sender)
    sender = caller_sender or second["sender"]
    assert (receipt.backend, receipt.sender, receipt.segments) == ("second", sender, text_mod.analyse(body).segments)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT text, sender FROM sms").fetchall() == [(body, sender)]
