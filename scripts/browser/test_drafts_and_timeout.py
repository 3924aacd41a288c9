"""Issue 11, findings 6 and 7: what the user typed survives a refused attachment, JavaScript being off, and a session
that timed out; and a warning comes before the timeout.

A timed-out session is simulated the way the server sees one: the browser's session cookie names a session that no
longer exists. The warning is tested with Chromium's virtual time, which moves the page's clock (and its timers)
forward without waiting; the timeout and the warning's lead time come from the server's page."""
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


def page_token(browser):
    """The CSRF token the page carries (bound to the session once signed in)."""
    return browser.driver.find_element(By.CSS_SELECTOR, "input[name=csrf_token]").get_attribute("value")


def end_session(browser):
    """What an idle timeout looks like: the browser keeps its session cookie, and the server has ended that session.
    Signing out with the same cookie from outside the browser ends it on the server without the browser knowing."""
    cookies = {c["name"]: c["value"] for c in browser.driver.get_cookies()}
    request = urllib.request.Request(
        BASE + "/sign-out", data=urllib.parse.urlencode({"csrf_token": page_token(browser)}).encode(), method="POST",
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
    try:
        urllib.request.urlopen(request)
    except urllib.error.HTTPError as error:
        assert error.code in (302, 303), error.code


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


def test_with_javascript_a_draft_changed_in_another_window_keeps_saying_so(browser):
    """Autosave never covers that message with a later "Saving…" or "Saved": the draft cannot be saved from here."""
    marker = f"js-conflict-{uuid.uuid4().hex[:6]}"
    conflict = "This draft was changed in another window. Reload to see it."
    browser.sign_in("alex")
    browser.go("/messages/new")
    choose_type(browser, "General Message")
    choose_recipient(browser, "Maya Chen")
    browser.labelled("Subject").send_keys(marker)
    write_message(browser, "Written here")
    state = lambda: browser.driver.find_element(By.CSS_SELECTOR, ".save-state").text
    wait_for(browser, lambda: state() == "Saved")
    first = browser.driver.current_window_handle
    browser.driver.switch_to.new_window("tab")
    open_draft(browser, marker)
    write_message(browser, ", and there")
    wait_for(browser, lambda: state() == "Saved")
    browser.driver.switch_to.window(first)
    write_message(browser, ", and here again")
    wait_for(browser, lambda: state() == conflict)
    # Every text the status takes from now on is recorded.
    browser.driver.execute_script("""
        window.__states = [];
        var state = document.querySelector(".save-state");
        new MutationObserver(function () { window.__states.push(state.textContent); })
            .observe(state, { childList: true, characterData: true, subtree: true });""")
    write_message(browser, ", still typing")
    browser.driver.execute_script("return new Promise(function (done) { setTimeout(done, 2500); });")
    assert state() == conflict
    assert all(text == conflict for text in browser.driver.execute_script("return window.__states;"))


def all_drafts(browser):
    browser.go("/messages?folder=drafts")
    return len(browser.driver.find_elements(By.CSS_SELECTOR, "form[action$='/discard']"))


def test_with_javascript_a_file_chosen_on_an_untouched_message_leaves_no_draft_when_refused(browser, tmp_path):
    browser.sign_in("alex")
    before = all_drafts(browser)
    browser.go("/messages/new")
    choose_type(browser, "General Message")
    browser.labelled("Add Attachment").send_keys(a_program(tmp_path))
    wait_for(browser, lambda: REFUSED in browser.text())
    assert all_drafts(browser) == before


def test_with_javascript_a_chosen_photo_is_attached_and_its_location_removed_said(browser, tmp_path):
    marker = f"js-photo-{uuid.uuid4().hex[:6]}"
    browser.sign_in("alex")
    browser.go("/messages/new")
    choose_type(browser, "General Message")
    choose_recipient(browser, "Maya Chen")
    browser.labelled("Subject").send_keys(marker)
    write_message(browser, "A photo of the rash")
    wait_for(browser, lambda: browser.driver.find_element(By.CSS_SELECTOR, ".save-state").text == "Saved")
    path = tmp_path / "rash.jpg"
    path.write_bytes(JPEG_WITH_LOCATION)
    browser.labelled("Add Attachment").send_keys(str(path))
    wait_for(browser, lambda: "rash.jpg" in browser.driver.find_element(By.CSS_SELECTOR, "form .attachment-list").text)
    attached = browser.driver.find_element(By.CSS_SELECTOR, "form .attachment-list")
    assert "Location removed" in attached.text
    browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", attached)
    browser.shot("22-location-removed")
    assert drafts_named(browser, marker) == 1


def _le(value, size=4):
    return value.to_bytes(size, "little")


def _jpeg_with_location():
    """A 4 x 4 JPEG whose Exif says where it was taken (GPS latitude) and which way up it is."""
    tiff = b"II*\x00" + _le(8) + _le(2, 2)
    tiff += b"\x12\x01\x03\x00" + _le(1) + b"\x06\x00\x00\x00"
    tiff += b"\x25\x88\x04\x00" + _le(1) + _le(38) + _le(0)
    tiff += _le(2, 2) + b"\x01\x00\x02\x00" + _le(2) + b"N\x00\x00\x00"
    tiff += b"\x02\x00\x05\x00" + _le(3) + _le(68) + _le(0)
    tiff += _le(41) + _le(1) + _le(52) + _le(1) + _le(3) + _le(1)
    exif = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    sof0 = bytes([0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x04, 0x00, 0x04, 0x03, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0])
    sos = bytes([0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3F, 0x00])
    return b"\xff\xd8" + app1 + sof0 + sos + b"\x00\x00\xff\xd9"


JPEG_WITH_LOCATION = _jpeg_with_location()


# ---- Finding 7: a warning before the timeout; a timed-out message comes back as a draft --------------------------


def advance_clock(browser, milliseconds):
    """Moves the page's clock and timers forward (Chromium's virtual time) as if that much time had passed."""
    browser.driver.execute_cdp_cmd("Emulation.setVirtualTimePolicy", {"policy": "advance", "budget": milliseconds})


def warning_dialogs(browser):
    return [d for d in browser.driver.find_elements(By.CSS_SELECTOR, "[role=alertdialog]") if d.is_displayed()]


def test_a_warning_comes_before_the_session_times_out_and_keeps_it(browser):
    browser.sign_in("alex")
    browser.go("/messages/new")
    body = browser.driver.find_element(By.TAG_NAME, "body")
    lasts, warning = int(body.get_attribute("data-session-seconds")), int(body.get_attribute("data-session-warning"))
    assert warning == 120 and 14 * 60 <= lasts <= 15 * 60  # the default 15-minute idle timeout, 2 minutes' warning

    advance_clock(browser, (lasts - warning - 10) * 1000)
    wait_for(browser, lambda: browser.driver.execute_script("return performance.now()") > (lasts - warning - 10) * 1000)
    assert not warning_dialogs(browser)
    advance_clock(browser, 20_000)
    wait_for(browser, lambda: warning_dialogs(browser))
    dialog = warning_dialogs(browser)[0]
    assert "Stay signed in?" in dialog.text
    focused = browser.driver.switch_to.active_element
    assert dialog.find_elements(By.XPATH, ".//*") and focused in dialog.find_elements(By.XPATH, ".//*")
    browser.shot("22-stay-signed-in")
    # From the keyboard: the focused button keeps the session (an authenticated request) and closes the warning.
    assert focused.text == "Stay signed in"
    focused.send_keys(Keys.ENTER)
    wait_for(browser, lambda: not warning_dialogs(browser))
    # Left alone after that, the page says the session is over and how to keep what was typed.
    advance_clock(browser, (lasts + 10) * 1000)
    wait_for(browser, lambda: any("You have been signed out" in d.text for d in warning_dialogs(browser)))
    assert "Select Send or Close and sign in again" in warning_dialogs(browser)[0].text


def test_keep_alive_needs_a_session_and_the_csrf_header(browser):
    browser.sign_in("alex")
    cookies = {c["name"]: c["value"] for c in browser.driver.get_cookies()}
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())

    def post(headers):
        request = urllib.request.Request(BASE + "/session/keep-alive", data=b"", method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert post({"Cookie": header}) == 403
    # Signed in, the token is the session's own (on the page), not the cookie set before signing in.
    assert post({"Cookie": header, "X-CSRF-Token": cookies["carebox_csrf"]}) == 403
    assert post({"Cookie": header, "X-CSRF-Token": page_token(browser)}) == 204
    assert post({"Cookie": f"carebox_csrf={cookies['carebox_csrf']}", "X-CSRF-Token": cookies["carebox_csrf"]}) == 401


def test_without_javascript_a_message_sent_after_the_timeout_comes_back_as_a_draft(plain_browser):
    browser = plain_browser
    marker = f"timeout-{uuid.uuid4().hex[:6]}"
    browser.sign_in("alex")
    start_plain_message(browser, marker, "Typed while the session ran out <b>&amp;</b>")
    end_session(browser)
    browser.submit("Send")
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "Sign In"
    assert "This form has expired" not in browser.text()
    assert "kept as a draft" in browser.text()
    browser.shot("23-sign-in-after-timeout")
    sign_in_here(browser, "alex")
    # Back at the message, as a draft the user must send themselves; nothing was sent.
    assert "/messages/new?draft=" in browser.driver.current_url
    assert browser.labelled("Subject").get_attribute("value") == marker
    assert browser.labelled("Message").get_attribute("value") == "Typed while the session ran out <b>&amp;</b>"
    assert "Dr. Maya Chen" in Select(browser.labelled("To")).first_selected_option.text
    browser.go("/messages?folder=sent")
    assert marker not in browser.text()
    assert drafts_named(browser, marker) == 1


def test_with_javascript_a_reply_written_after_the_timeout_comes_back_as_a_draft(browser):
    marker = f"timeout-reply-{uuid.uuid4().hex[:6]}"
    browser.sign_in("alex")
    browser.go("/messages/new")
    choose_type(browser, "General Message")
    choose_recipient(browser, "Omar Haddad")
    browser.labelled("Subject").send_keys(marker)
    write_message(browser, "Question first")
    browser.button("Send").click()
    wait_for(browser, lambda: "sent=1" in browser.driver.current_url)
    conversation = browser.driver.current_url.split("?")[0]
    end_session(browser)
    write_message(browser, "Written after the timeout")
    browser.submit("Send")
    assert "kept as a draft" in browser.text()
    sign_in_here(browser, "alex")
    assert browser.driver.current_url.split("#")[0].split("?")[0] == conversation
    assert "Written after the timeout" in browser.driver.find_element(By.CSS_SELECTOR, ".editor").text
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, ".timeline .message")) == 1


def test_carried_text_becomes_a_draft_only_after_a_real_sign_in(browser):
    """A form on another site cannot sign in (no CSRF token), so it cannot plant a draft."""
    marker = f"forged-{uuid.uuid4().hex[:6]}"
    form = urllib.parse.urlencode(
        {"username": "alex", "password": PASSWORD, "unsent": "new", "subject": marker, "body_text": "forged"}).encode()
    try:
        urllib.request.urlopen(urllib.request.Request(BASE + "/sign-in", data=form, method="POST"))
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 403
    browser.sign_in("alex")
    assert drafts_named(browser, marker) == 0
