"""Issue 11, finding 6: what the user typed survives a refused attachment and JavaScript being off."""
import urllib.error
import urllib.parse
import urllib.request
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import BASE, PASSWORD
from test_help_page import choose_recipient, choose_type, wait_for, write_message

REFUSED = "can't be attached"


def a_program(tmp_path):
    """A file of a type no organisation accepts (its content decides, not its name)."""
    path = tmp_path / "tool.exe"
    path.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200))
    return str(path)


def start_plain_message(browser, marker, text):
    """Without JavaScript: type, Next, recipient, subject and text."""
    browser.go("/messages/new")
    choose_type(browser, "General Message")
    browser.submit("Next")
    Select(browser.labelled("To")).select_by_visible_text("Dr. Maya Chen – Family Medicine")
    browser.labelled("Subject").send_keys(marker)
    browser.labelled("Message").send_keys(text)


def open_draft(browser, marker):
    browser.go("/messages?folder=drafts")
    browser.driver.find_element(By.PARTIAL_LINK_TEXT, marker).click()


def drafts_named(browser, marker):
    browser.go("/messages?folder=drafts")
    return len(browser.driver.find_elements(By.PARTIAL_LINK_TEXT, marker))


def retype(field, text):
    field.clear()
    field.send_keys(text)


def end_session(browser):
    """What an idle timeout looks like to the server: the browser's session cookie names a session that is over."""
    browser.driver.delete_cookie("carebox_session")
    browser.driver.add_cookie(
        {"name": "carebox_session", "value": uuid.uuid4().hex, "path": "/", "httpOnly": True, "sameSite": "Lax"})


def sign_in_here(browser, username):
    """Signs in on the sign-in page the browser is showing."""
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "Sign In"
    browser.labelled("Username").send_keys(username)
    browser.labelled("Password").send_keys(PASSWORD)
    browser.submit("Sign In")


# ---- Finding 6: without JavaScript, edits are kept; a refused file loses nothing ---------------------------------


def test_without_javascript_an_edited_draft_sends_the_edited_text(plain_browser):
    browser = plain_browser
    marker = f"edit-{uuid.uuid4().hex[:6]}"
    browser.sign_in("alex")
    start_plain_message(browser, marker, "The old text")
    browser.submit("Close")
    open_draft(browser, marker)
    retype(browser.labelled("Message"), "The edited text")
    browser.submit("Send")
    assert "You can expect a reply by" in browser.text()
    assert "The edited text" in browser.text()
    assert "The old text" not in browser.text()


def test_without_javascript_a_refused_file_keeps_the_draft_its_version_and_the_text(plain_browser, tmp_path):
    browser = plain_browser
    marker = f"refused-{uuid.uuid4().hex[:6]}"
    browser.sign_in("alex")
    start_plain_message(browser, marker, "First version")
    browser.submit("Close")
    open_draft(browser, marker)
    retype(browser.labelled("Message"), "Second version")
    browser.labelled("Add Attachment").send_keys(a_program(tmp_path))
    browser.submit("Send")
    assert REFUSED in browser.text()
    assert browser.labelled("Message").get_attribute("value") == "Second version"
    browser.shot("20-refused-attachment")
    # Close keeps the draft: no conflict, no second draft, the text that was typed.
    browser.submit("Close")
    assert "Conflict" not in browser.text()
    assert "Your draft was saved." in browser.text()
    assert drafts_named(browser, marker) == 1
    open_draft(browser, marker)
    assert browser.labelled("Message").get_attribute("value") == "Second version"
    # And Send after a refusal sends it.
    browser.labelled("Add Attachment").send_keys(a_program(tmp_path))
    browser.submit("Send")
    assert REFUSED in browser.text()
    browser.submit("Send")
    assert "You can expect a reply by" in browser.text()
    assert "Second version" in browser.text()
    assert drafts_named(browser, marker) == 0


def test_without_javascript_a_refused_file_on_a_new_message_makes_one_draft(plain_browser, tmp_path):
    browser = plain_browser
    marker = f"new-refused-{uuid.uuid4().hex[:6]}"
    browser.sign_in("alex")
    start_plain_message(browser, marker, "Not saved before")
    browser.labelled("Add Attachment").send_keys(a_program(tmp_path))
    browser.submit("Send")
    assert REFUSED in browser.text()
    assert browser.labelled("Message").get_attribute("value") == "Not saved before"
    browser.submit("Close")
    assert "Your draft was saved." in browser.text()
    assert drafts_named(browser, marker) == 1


def test_with_javascript_a_refused_file_stays_explained_while_autosave_works(browser, tmp_path):
    marker = f"js-refused-{uuid.uuid4().hex[:6]}"
    browser.sign_in("alex")
    browser.go("/messages/new")
    assert "Up to 5 files, 10 MB each" in browser.text()  # the demo organisation's limits
    choose_type(browser, "General Message")
    choose_recipient(browser, "Maya Chen")
    browser.labelled("Subject").send_keys(marker)
    write_message(browser, "Text first")
    wait_for(browser, lambda: browser.driver.find_element(By.CSS_SELECTOR, ".save-state").text == "Saved")
    browser.labelled("Add Attachment").send_keys(a_program(tmp_path))
    wait_for(browser, lambda: REFUSED in browser.text())
    write_message(browser, ", then more")
    wait_for(browser, lambda: browser.driver.find_element(By.CSS_SELECTOR, ".save-state").text == "Saved")
    assert REFUSED in browser.text()
    error = browser.driver.find_element(By.XPATH, f"//*[contains(., \"{REFUSED}\") and @role='alert']")
    assert error.is_displayed()
    browser.shot("21-refused-attachment-javascript")
    assert drafts_named(browser, marker) == 1
