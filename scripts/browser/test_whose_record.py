"""Whose record (issue 16): Jordan, who acts for Alex and Sam, sees on every page whose messages he is viewing, with
the switch and each person's unread count; switching keeps him on the page he was on, with JavaScript off too, and at
phone width the banner fits. Today asks whom a new message is for."""
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_help_page import wait_for
from test_live_updates import alex_writes_to_dr_chen, dr_chen_replies, unread


def banner(browser):
    return browser.driver.find_element(By.CSS_SELECTOR, ".viewing-banner").text


def unread_shown_for(browser, person):
    """The count the switch shows beside a person: "Alex Rivera (spouse) – 2 unread"."""
    option = next(o.text for o in Select(browser.labelled("Viewing:")).options if o.text.startswith(person))
    found = re.search(r"– (\d+) unread", option)
    return int(found.group(1)) if found else 0


def wider(browser):
    """What reaches past a 390 px screen, to name in a failure."""
    return browser.driver.execute_script(
        "return Array.from(document.querySelectorAll('body *'))"
        ".filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 12)")


def test_jordan_sees_whose_messages_on_every_page_and_each_persons_count(browser, plain_browser):
    browser.sign_in("alex")
    conversation = alex_writes_to_dr_chen(browser)
    browser.go("/today")
    assert not browser.driver.find_elements(By.CSS_SELECTOR, ".viewing-banner")
    browser.driver.delete_all_cookies()
    browser.sign_in("mchen")
    dr_chen_replies(browser, conversation, "Your prescription is ready.")

    jordan = plain_browser
    jordan.sign_in("jordan")
    for path in ["/today", "/messages", "/notifications", "/account/security"]:
        jordan.go(path)
        assert banner(jordan).startswith("You are viewing your own messages."), path
    alex_unread = unread_shown_for(jordan, "Alex Rivera")
    assert alex_unread >= 1

    # With JavaScript off: choose, then press Switch; the page stays the one he was on.
    jordan.go("/notifications")
    Select(jordan.labelled("Viewing:")).select_by_visible_text(
        next(o.text for o in Select(jordan.labelled("Viewing:")).options if o.text.startswith("Alex Rivera")))
    jordan.submit("Switch")
    assert jordan.driver.current_url.endswith("/notifications")
    assert banner(jordan).startswith("You are viewing Alex Rivera's messages.")
    assert unread(jordan) == alex_unread

    jordan.driver.set_window_size(390, 844)
    for path in ["/today", "/messages"]:
        jordan.go(path)
        assert "Alex Rivera's messages" in banner(jordan)
        assert jordan.driver.execute_script("return document.documentElement.scrollWidth") <= 390, (path, wider(jordan))
    jordan.shot("whose-record-390")

    # Today: one New Message link for each person, each saying whom it is for.
    jordan.go("/today")
    jordan.link("Start a New Message for Sam Rivera (parent)").click()
    assert "Writing on behalf of Sam Rivera." in jordan.text()


def test_a_mouse_choice_switches_at_once_and_stays_on_the_page(browser):
    browser.sign_in("jordan")
    browser.go("/account/security")
    viewing = Select(browser.labelled("Viewing:"))
    sam = next(o.text for o in viewing.options if o.text.startswith("Sam Rivera"))
    browser.labelled("Viewing:").click()
    viewing.select_by_visible_text(sam)
    wait_for(browser, lambda: "Sam Rivera's messages" in browser.text())
    assert "Sam Rivera's messages" in banner(browser)
    assert browser.driver.current_url.endswith("/account/security")
    browser.shot("whose-record-1280")
