"""Live updates in two signed-in browsers: Dr. Chen replies, and Alex's open pages show it within 2 s, with no reload.
The second test runs the same with two `carebox serve` processes on one PostgreSQL database (CAREBOX_URL_2, started
by scripts/browser-tests when DATABASE_URL is set), one browser on each. The third has Alex's browser come in through
haproxy (CAREBOX_URL_PROXIED), which sends /events to the lean listener of CAREBOX_EVENTS_ADDRESS, as a clinic's
reverse proxy would."""
import os
import time
import uuid

import pytest
from selenium.webdriver.common.by import By

from conftest import BASE, Browser, _driver
from test_help_page import choose_recipient, choose_type, wait_for, write_message

SECOND = os.environ.get("CAREBOX_URL_2")
PROXIED = os.environ.get("CAREBOX_URL_PROXIED")


class BrowserOn(Browser):
    """A browser on a chosen server."""

    def __init__(self, driver, base):
        super().__init__(driver)
        self.base = base

    def go(self, path):
        self.driver.get(self.base + path)


@pytest.fixture
def two_browsers():
    drivers = [_driver(), _driver()]
    for driver in drivers:
        driver.implicitly_wait(3)
    yield drivers
    for driver in drivers:
        driver.quit()


def badge_label(browser):
    return browser.driver.find_element(By.CSS_SELECTOR, "a.nav-messages").get_attribute("aria-label")


def unread(browser):
    label = badge_label(browser)
    return 0 if label == "Messages" else int(label.split(", ")[1].split(" ")[0])


def mark_page(browser):
    """Marks the loaded page: a reload (or any navigation) would lose the mark."""
    browser.driver.execute_script("window.__liveMark = 'still here';")


def page_kept(browser):
    return browser.driver.execute_script("return window.__liveMark;") == "still here"


def within_two_seconds(browser, condition):
    start = time.monotonic()
    wait_for(browser, condition, timeout=2)
    return time.monotonic() - start


def alex_writes_to_dr_chen(alex):
    marker = f"live-{uuid.uuid4().hex[:6]}"
    alex.go("/messages/new")
    choose_type(alex, "General Message")
    choose_recipient(alex, "Maya Chen")
    alex.labelled("Subject").send_keys(marker)
    write_message(alex, "Is my prescription ready?")
    alex.button("Send").click()
    wait_for(alex, lambda: "sent=1" in alex.driver.current_url)
    return alex.driver.current_url.split("?")[0].split("/messages/")[1]


def dr_chen_replies(chen, conversation, text):
    chen.go(f"/messages/{conversation}")
    write_message(chen, text)
    chen.button("Send").click()
    wait_for(chen, lambda: text in chen.text())


def run(alex, chen, name):
    alex.sign_in("alex")
    chen.sign_in("mchen")
    conversation = alex_writes_to_dr_chen(alex)

    # The badge, on the Inbox.
    alex.go("/messages")
    before = unread(alex)
    mark_page(alex)
    time.sleep(0.5)  # the stream is open
    dr_chen_replies(chen, conversation, "Yes, it is ready for pickup.")
    took = within_two_seconds(alex, lambda: unread(alex) == before + 1)
    assert page_kept(alex), "the Inbox was reloaded"
    alex.shot(f"{name}-badge")

    # The open conversation.
    alex.go(f"/messages/{conversation}")
    assert "Yes, it is ready for pickup." in alex.text()
    mark_page(alex)
    after_reading = unread(alex)
    time.sleep(0.5)
    dr_chen_replies(chen, conversation, "The pharmacy closes at six.")
    took = max(took, within_two_seconds(alex, lambda: "The pharmacy closes at six." in alex.text()))
    assert page_kept(alex), "the conversation was reloaded"
    # Seen on the open page, so read: the badge does not count it.
    wait_for(alex, lambda: unread(alex) == after_reading)
    alex.shot(f"{name}-conversation")
    print(f"{name}: slowest update {took:.2f} s")


def test_dr_chen_replies_and_alexs_badge_and_open_conversation_follow(two_browsers):
    alex, chen = (Browser(driver) for driver in two_browsers)
    run(alex, chen, "30-live")


@pytest.mark.skipif(not SECOND, reason="needs a second server on the same PostgreSQL (CAREBOX_URL_2)")
def test_the_same_across_two_servers_on_one_postgresql(two_browsers):
    alex = BrowserOn(two_browsers[0], SECOND)
    chen = BrowserOn(two_browsers[1], BASE)
    run(alex, chen, "31-live-two-servers")


@pytest.mark.skipif(not PROXIED, reason="needs haproxy in front of the server (CAREBOX_URL_PROXIED)")
def test_the_same_through_a_reverse_proxy_and_the_lean_listener(two_browsers):
    alex = BrowserOn(two_browsers[0], PROXIED)
    chen = Browser(two_browsers[1])
    run(alex, chen, "32-live-lean-listener")
