"""The inbox in headless Chromium (Debian's chromium + chromium-driver, driven by selenium),
with messages sent through the official Twilio SDK.  Also takes the screenshots in
docs/img/ (inbox.png, message.png) that README and docs/inbox.md show.

Skipped when Chromium is missing, except under ``CI=true``, where that is a failure.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "docs" / "img"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HUNGARIAN = "Árvíztűrő tükörfúrógép: ez a magyar üzenet hosszabb hetven karakternél, így két részben megy ki."
FROM = "+15005550006"


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run under CI: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1360,900", "--force-device-scale-factor=1",
                 "--lang=en-US", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: Any, condition: Callable[[Any], Any], timeout: float = 15) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def text(driver: Any, selector: str) -> str:
    """An element's text, read in the page: the live parts are replaced as events come."""
    return str(driver.execute_script("const e = document.querySelector(arguments[0]); return e ? e.innerText : ''",
                                     selector))


def click(driver: Any, selector: str) -> None:
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(20):
        try:
            css(driver, selector)[0].click()
            return
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"could not click {selector}")


def open_inbox(driver: Any, url: str) -> None:
    driver.get(url + "/ui")
    wait(driver, lambda d: css(d, "#live.on"))  # the event stream is connected


def open_message(driver: Any, url: str, body: str) -> None:
    open_inbox(driver, url)
    message_id = wait(driver, lambda d: d.execute_script(
        "return [...document.querySelectorAll('tr.msg')].filter(r => r.innerText.includes(arguments[0]))"
        ".map(r => r.dataset.id)[0]", body[:20]))
    click(driver, f'tr.msg[data-id="{message_id}"] td.text')
    wait(driver, lambda d: css(d, "body[data-page=message] #live.on"))


def shot(driver: Any, name: str) -> None:
    """The whole page, as tall as its content."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    chrome = driver.execute_script("return window.outerHeight - window.innerHeight")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1360, int(height) + int(chrome))
    driver.save_screenshot(str(IMAGES / name))
    driver.set_window_size(1360, 900)


def test_a_message_sent_through_the_twilio_sdk_appears_without_reloading(browser, inbox_gateway, twilio):
    open_inbox(browser, inbox_gateway.url)
    browser.execute_script("window.__same_page = 'yes'")
    twilio.messages.create(to="+36301234567", from_=FROM, body="Your code is 482 193")
    wait(browser, lambda d: "Your code is 482 193" in text(d, "#rows"))
    row = text(browser, "tr.msg")
    assert "+36301234567" in row and "shop" in row and "twilio" in row
    assert browser.execute_script("return window.__same_page") == "yes"  # no reload happened
    assert text(browser, "#count") == "1"


def test_search_narrows_the_live_list(browser, inbox_gateway, twilio):
    twilio.messages.create(to="+36301111111", from_=FROM, body="pizza")
    twilio.messages.create(to="+36302222222", from_=FROM, body="invoice")
    open_inbox(browser, inbox_gateway.url)
    wait(browser, lambda d: len(css(d, "tr.msg")) == 2)
    css(browser, "#search input[name=q]")[0].send_keys("3630222")
    wait(browser, lambda d: "invoice" in text(d, "#rows") and "pizza" not in text(d, "#rows"))
    assert "q=3630222" in browser.current_url


def test_the_message_page_shows_two_segments_and_highlights_ucs2(browser, inbox_gateway, twilio):
    twilio.messages.create(to="+36301234567", from_=FROM, body=HUNGARIAN)
    open_message(browser, inbox_gateway.url, HUNGARIAN)
    wait(browser, lambda d: css(d, "#status .s-delivered"))  # settled: no more live swaps
    assert browser.execute_script("return document.querySelectorAll('#segments .segment').length") == 2
    assert text(browser, "#encoding") == "UCS-2" and text(browser, "#segment-count") == "2"
    marked = set(browser.execute_script("return [...document.querySelectorAll('#text mark.ucs2')]"
                                        ".map(m => m.textContent)"))
    assert marked == {"Á", "í", "ű", "ő", "ó", "ú"}
    alternative = text(browser, "#transliterated")
    assert "GSM-7" in alternative and "saves 1 segment" in alternative
    assert "Arviztürö" in alternative


def test_fail_is_what_the_twilio_sdk_fetches(browser, inbox_gateway, twilio):
    sent = twilio.messages.create(to="+36301234567", from_=FROM, body="Your parcel arrives today")
    open_message(browser, inbox_gateway.url, "Your parcel arrives today")
    css(browser, "#fail-code")[0].send_keys("30003")
    click(browser, "#btn-fail")
    wait(browser, lambda d: css(d, "#status .s-failed"))
    assert "30003" in text(browser, "#timeline")
    fetched = twilio.messages(sent.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", 30003)


def test_reply_calls_the_inbound_webhook(browser, inbox_gateway, twilio, receiver):
    twilio.messages.create(to="+36309876543", from_=FROM, body="Reply YES to confirm")
    open_message(browser, inbox_gateway.url, "Reply YES to confirm")
    css(browser, "#reply-text")[0].send_keys("YES")
    click(browser, "#btn-reply")
    [hook] = receiver.wait(1, where=lambda r: r["path"] == "/sms/inbound")
    assert hook["params"]["From"] == "+36309876543" and hook["params"]["Body"] == "YES"
    assert hook["params"]["To"] == FROM
    wait(browser, lambda d: "YES" in text(d, "#replies"))


def test_chaos_switch_makes_the_next_sdk_send_a_503(browser, inbox_gateway, twilio):
    open_inbox(browser, inbox_gateway.url)
    field = css(browser, '#chaos input[name=failure_rate][data-backend=local]')[0]
    field.clear()
    field.send_keys("1")
    css(browser, "#chaos-apply")[0].click()
    wait(browser, lambda d: css(d, "#chaos-badge")[0].is_displayed())
    with pytest.raises(TwilioRestException) as caught:
        twilio.messages.create(to="+36301234567", from_=FROM, body="during an outage")
    assert caught.value.status == 503
    css(browser, "#chaos-off")[0].click()
    wait(browser, lambda d: not css(d, "#chaos-badge")[0].is_displayed())


def test_screenshots_for_the_docs(browser, inbox_gateway, twilio, api, receiver):
    """A realistic inbox: several clients' worth of traffic, outcomes forced, a reply."""
    sends = [("+36301234567", "Your verification code is 482 193. It expires in 10 minutes."),
             ("+447911123456", "Hi Anna, your table for 4 at 19:30 is confirmed. Reply C to cancel."),
             ("+36209876543", HUNGARIAN),
             ("+4915112345678", "Ihre Bestellung #10293 wurde versandt – Lieferung morgen."),
             ("+14155552671", "Reminder: dentist appointment tomorrow at 9:00 AM. Reply YES to confirm."),
             ("+33612345678", "Votre colis arrive aujourd'hui entre 14h et 16h."),
             ("+36301112233", "Invoice INV-2026-114 for €49.90 is ready: https://shop.example/i/114")]
    sent = [twilio.messages.create(to=to, from_=FROM, body=body, status_callback=receiver.url + "/status")
            for to, body in sends]
    ids = {m["to"]: m["id"] for m in api("GET", "/api/v1/messages").json()["messages"]}
    api("POST", f"/api/v1/messages/{ids['+4915112345678']}/fail", json={"error_code": "30003"})
    api("POST", f"/api/v1/messages/{ids['+33612345678']}/expire", json={})
    api("POST", f"/api/v1/messages/{ids['+14155552671']}/reply", json={"text": "YES"})
    api("PUT", "/api/v1/chaos", json={"local": {"latency": 0.0}})
    receiver.wait(len(sent), where=lambda r: r["path"] == "/status")
    open_inbox(browser, inbox_gateway.url)
    wait(browser, lambda d: len(css(d, "tr.msg")) == len(sends))
    wait(browser, lambda d: not d.execute_script(
        "return [...document.querySelectorAll('tr.msg .status')].filter(s => /queued|sent/.test(s.innerText)).length"))
    shot(browser, "inbox.png")
    open_message(browser, inbox_gateway.url, HUNGARIAN)
    css(browser, "#reply-text")[0].send_keys("Köszönöm, megkaptam!")
    click(browser, "#btn-reply")
    wait(browser, lambda d: "Köszönöm" in text(d, "#replies"))
    wait(browser, lambda d: "no callbacks" not in text(d, "#callbacks"), timeout=20)
    shot(browser, "message.png")
    assert (IMAGES / "inbox.png").stat().st_size > 10_000 and (IMAGES / "message.png").stat().st_size > 10_000
