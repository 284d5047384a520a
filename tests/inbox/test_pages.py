"""The /ui pages as HTML (the browser tests drive them; these check what the server sends),
and the text analysis behind the message page."""
from __future__ import annotations

import requests
from hypothesis import given
from hypothesis import strategies as st

from smsbridge.gateway.inbox.service import analysis
from smsbridge.text import GSM7_BASIC, GSM7_EXTENSION, analyse, split

HOSTILE = '<script>alert(1)</script> & "quotes" <img src=x onerror=alert(2)>'


def test_pages_escape_what_callers_sent(inbox_gateway, api, twilio):
    twilio.messages.create(to="+36301234567", from_="+15005550006", body=HOSTILE)
    message_id = api("GET", "/api/v1/messages").json()["messages"][0]["id"]
    for path in ("/ui", f"/ui/messages/{message_id}", f"/ui/messages/{message_id}/panel", "/ui/rows"):
        page = api("GET", path)
        assert page.status_code == 200, path
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, path


def test_pages_load_nothing_from_elsewhere(api):
    page = api("GET", "/ui")
    assert "http://" not in page.text.replace("http://127.0.0.1", "") and "https://" not in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    for name, kind in (("inbox.css", "text/css"), ("inbox.js", "text/javascript"), ("icon.svg", "image/svg+xml")):
        asset = api("GET", f"/ui/static/{name}")
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind)
        assert "https://" not in asset.text
    assert api("GET", "/ui/static/..%2F__init__.py").status_code == 404
    assert api("GET", "/ui/static/service.py").status_code == 404


def test_unknown_message_page_is_404(api):
    assert api("GET", "/ui/messages/sb_nope").status_code == 404


def test_bad_search_on_the_page_is_400_not_500(api):
    assert api("GET", "/ui?status=lost").status_code == 400


def test_without_a_simulator_there_are_no_chaos_switches(gateway, tmp_path):
    real = {"backends": {"vendor": {"plugin": "twilio", "account_sid": "AC" + "3" * 32, "auth_token": "t",
                                    "base_url": "http://127.0.0.1:9"}}, "store": str(tmp_path / "j.sqlite3"),
            "gateway": {"ui": True}}
    server = gateway(real)
    page = requests.get(server.url + "/ui", timeout=5)
    assert page.status_code == 200 and 'id="chaos"' not in page.text
    assert requests.get(server.url + "/api/v1/chaos", timeout=5).json() == {}


def test_the_message_page_shows_the_hungarian_analysis(api, twilio):
    twilio.messages.create(to="+36301234567", from_="+15005550006", body="Győr–Sopron: ő és ű")
    message_id = api("GET", "/api/v1/messages").json()["messages"][0]["id"]
    page = api("GET", f"/ui/messages/{message_id}").text
    assert page.count('<mark class="ucs2"') == 2 * 4  # ő – ő ű, in the text and in its one segment
    assert "Transliterated alternative" in page and "Györ-Sopron: ö és ü" in page


sms_text = st.text(alphabet=st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENSION) + list("őűáí€😀—")), max_size=400)


@given(sms_text)
def test_analysis_parts_are_the_providers_segments(text):
    result = analysis(text)
    info = analyse(text)
    assert [p["text"] for p in result["parts"]] == split(text)
    assert "".join(p["text"] for p in result["parts"]) == text
    assert result["segments"] == info.segments == len(result["parts"])
    assert sum(p["units"] for p in result["parts"]) == info.units
    assert all(p["units"] <= info.per_segment for p in result["parts"])
    forcing = set(result["ucs2_characters"])
    assert (info.encoding == "gsm7") == (not forcing)
    assert not forcing & (GSM7_BASIC | GSM7_EXTENSION)
    alt = result["transliterated"]
    if alt is not None:
        assert alt["saving"] == info.segments - alt["segments"]
