"""Mr. Okafor forgets his password at phone width: "Forgot password?" emails him a link (read from the real SMTP server
scripts/test starts), the link sets a new password, the browser he was still signed in on (JavaScript off) is signed
out, and the link does not work twice. He is the only one who uses his account in these tests."""
import email
import json
import os
import pathlib
import re
import time

import pytest
from selenium.webdriver.common.by import By

MAILDIR = os.environ.get("CAREBOX_TEST_SMTP_DIR")


def links_in_emails(address, pattern):
    """Every match of `pattern` in the emails to `address`, oldest first."""
    links = []
    for envelope in sorted(pathlib.Path(MAILDIR).glob("*.json")):
        if address not in json.loads(envelope.read_text()).get("rcpt_tos", []):
            continue
        message = email.message_from_bytes(envelope.with_suffix(".eml").read_bytes())
        body = message.get_payload(decode=True).decode()
        links += re.findall(pattern, body)
    return links


def wait_for_links(address, pattern, more_than=0):
    """The matches of `pattern` in the emails to `address` once there are more than `more_than` (the delivery worker
    sends within a few seconds)."""
    for _ in range(100):
        links = links_in_emails(address, pattern)
        if len(links) > more_than:
            return links
        time.sleep(0.2)
    raise AssertionError(f"no email with {pattern} reached the SMTP server")


RESET_LINK = r"/reset-password\?token=[A-Za-z0-9_-]+"


@pytest.mark.skipif(not MAILDIR, reason="needs the SMTP server of scripts/smtp-server")
def test_a_forgotten_password_is_reset_through_the_emailed_link(browser, plain_browser):
    plain_browser.sign_in("bokafor")
    before = len(links_in_emails("bokafor@example.org", RESET_LINK))

    browser.driver.set_window_size(390, 844)
    browser.go("/sign-in")
    browser.link("Forgot password?").click()
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "Forgot Password"
    assert browser.driver.execute_script("return document.documentElement.scrollWidth") <= 390
    browser.labelled("Username or email address").send_keys("bokafor")
    browser.submit("Email Me a Link")
    assert "we have sent it a link" in browser.text()
    browser.shot("forgot-password-sent-390")

    link = wait_for_links("bokafor@example.org", RESET_LINK, more_than=before)[-1]

    browser.go(link)
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "Reset Password"
    new = "amber meadow compass"
    browser.labelled("New password").send_keys(new)
    browser.labelled("New password again").send_keys(new)
    browser.shot("reset-password-390")
    browser.submit("Save New Password")
    assert "Your password has been reset" in browser.text()
    browser.driver.find_element(By.ID, "username").send_keys("bokafor")
    browser.driver.find_element(By.ID, "password").send_keys(new)
    browser.submit("Sign In")
    assert "/sign-in" not in browser.driver.current_url

    plain_browser.go("/care-team")
    assert "/sign-in" in plain_browser.driver.current_url
    assert "Your session has ended" in plain_browser.text()

    browser.go(link)
    assert "expired or has already been used" in browser.text()
