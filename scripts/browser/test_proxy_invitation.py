"""Alex shares his messages at phone width: he invites Casey by email from Sharing; the invitation reaches the real
SMTP server scripts/test starts; Casey (JavaScript off) follows its link, makes an account, and sees Alex's
conversation but not his confidential one; Alex stops sharing, and Casey's next request is refused."""
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_help_page import choose_recipient, choose_type, wait_for, write_message
from test_organization_setup import fill
from test_password_reset import MAILDIR, wait_for_links


def send(browser, subject, confidential=False):
    """Alex writes to Dr. Chen; answers the conversation's path."""
    browser.go("/messages/new")
    choose_type(browser, "General Message")
    choose_recipient(browser, "Maya Chen")
    browser.labelled("Subject").send_keys(subject)
    if confidential:
        browser.driver.find_element(By.CSS_SELECTOR, "label.toggle").click()
    write_message(browser, "For the invitation test")
    browser.button("Send").click()
    wait_for(browser, lambda: "sent=1" in browser.driver.current_url)
    return "/" + browser.driver.current_url.split("/", 3)[3].split("?")[0]


@pytest.mark.skipif(not MAILDIR, reason="needs the SMTP server of scripts/smtp-server")
def test_alex_invites_casey_who_sees_his_messages_until_he_stops_sharing(browser, plain_browser):
    suffix = uuid.uuid4().hex[:6]
    address = f"casey+{suffix}@example.org"
    browser.driver.set_window_size(390, 844)
    browser.sign_in("alex")
    shared = send(browser, f"shared {suffix}")
    private = send(browser, f"private {suffix}", confidential=True)

    browser.link("Sharing").click()
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "Sharing"
    fill(browser, "Their email address", address)
    Select(browser.labelled("How they are related to you")).select_by_visible_text("Caregiver")
    browser.submit("Send Invitation")
    assert "The invitation was sent" in browser.text()
    assert address in browser.text()
    assert browser.driver.execute_script("return document.documentElement.scrollWidth") <= 390
    browser.shot("sharing-invited-390")

    casey = plain_browser
    casey.go(wait_for_links(address, r"/invitation\?token=[A-Za-z0-9_-]+")[-1])
    assert "Alex Rivera" in casey.text()
    fill(casey, "Your full name", f"Casey Rivera {suffix}")
    fill(casey, "Username", f"casey{suffix}")
    fill(casey, "Password", "lantern harbour quiet")
    fill(casey, "Password again", "lantern harbour quiet")
    casey.submit("Make Account and Accept")
    assert "/today" in casey.driver.current_url
    assert "You accepted the invitation. You can now read and send messages for Alex Rivera" in casey.text()
    casey.go(shared)
    assert f"shared {suffix}" in casey.text()
    casey.go(private)
    assert f"private {suffix}" not in casey.text()

    browser.go("/sharing")
    assert f"Casey Rivera {suffix}" in browser.text()
    browser.shot("sharing-proxy-390")
    browser.driver.find_element(
        By.XPATH, f"//button[@aria-label='Stop sharing with Casey Rivera {suffix}']").click()
    wait_for(browser, lambda: "Sharing has stopped" in browser.text())

    casey.go(shared)
    assert f"shared {suffix}" not in casey.text()

