"""The patient help page, followed literally in a real browser, plus drafts, replies, Edit, proxies and hostile input.

Each test makes its own conversations, so the tests run in any order against one demo server."""
import time
import urllib.request
import uuid

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


def view(browser, person):
    """Chooses whose messages to view; an option reads "Alex Rivera (spouse)", then "– 2 unread" when there are any."""
    viewing = Select(browser.labelled("Viewing:"))
    viewing.select_by_value(next(o.get_attribute("value") for o in viewing.options if o.get_attribute("textContent").strip().startswith(person)))


def wait_for(browser, condition, timeout=5):
    WebDriverWait(browser.driver, timeout).until(lambda _: condition())


def choose_type(browser, name):
    browser.driver.find_element(By.XPATH, f"//fieldset[legend[normalize-space()='Message']]//label[normalize-space()='{name}']").click()


def recipient_options(browser):
    return browser.driver.execute_script(
        "return Array.from(document.getElementById('recipient').options).map(function (o) { return o.text; });")


def choose_recipient(browser, name):
    """Step 3: type the recipient's name in the To box, then pick them from the list."""
    wait_for(browser, lambda: any(name in text for text in recipient_options(browser)))
    browser.driver.find_element(By.ID, "recipient-filter").send_keys(name.split()[-1])
    wait_for(browser, lambda: any(name in text for text in recipient_options(browser)))
    option = next(text for text in recipient_options(browser) if name in text)
    Select(browser.labelled("To")).select_by_visible_text(option)


def write_message(browser, text):
    editor = browser.driver.find_element(By.CSS_SELECTOR, ".editor")
    editor.click()
    editor.send_keys(text)


def download(browser, url):
    """Fetches a link as the signed-in browser would, with its cookies."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in browser.driver.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookies})) as response:
        assert response.headers["Content-Disposition"].startswith("attachment;")
        return response.read()


def no_dialog(browser):
    try:
        browser.driver.switch_to.alert
        return False
    except NoAlertPresentException:
        return True


def test_alex_follows_the_help_page_step_by_step(browser, tmp_path):
    subject_marker = f"help-{uuid.uuid4().hex[:6]}"
    browser.sign_in("alex")
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "Today"
    browser.shot("01-today")

    # Step 1, the alternative: Messages at the top of any page, then New Message (+).
    browser.link("Messages").click()
    assert browser.driver.find_element(By.ID, "new-message").text.strip() == "+ New Message"
    browser.shot("02-inbox")
    # Step 1: from Today, in the Actions section, select Start a New Message.
    browser.go("/today")
    actions = browser.driver.find_element(By.XPATH, "//section[h2[normalize-space()='Actions']]")
    actions.find_element(By.LINK_TEXT, "Start a New Message").click()
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "New Message"
    assert "allow up to three business days for a response" in browser.text()
    assert "Call 911 if you are experiencing a medical emergency." in browser.text()

    # Step 2: from the Message list, select the type of message.
    choose_type(browser, "General Message")
    # Step 3: in the To box, select or type the recipient's name; only eligible providers are listed.
    wait_for(browser, lambda: any("Maya Chen" in text for text in recipient_options(browser)))
    offered = recipient_options(browser)
    assert not any("Lena Park" in o for o in offered)
    assert "call the provider's office" in browser.driver.find_element(By.ID, "recipient-note").text
    choose_recipient(browser, "Maya Chen")
    # Step 4: optionally, a subject.
    browser.labelled("Subject").send_keys(f"Knee {subject_marker}")
    # Step 5: switch the Confidentiality toggle to On.
    toggle = browser.driver.find_element(By.ID, "confidential")
    assert toggle.get_attribute("role") == "switch"
    browser.driver.find_element(By.CSS_SELECTOR, "label.toggle").click()
    assert toggle.is_selected()
    assert "cannot be seen by authorized representatives" in browser.text()
    # Step 6: the message, formatted with the toolbar.
    write_message(browser, "My knee hurts ")
    bold = browser.driver.find_element(By.CSS_SELECTOR, ".toolbar button.tool-bold")
    # Its name is what it shows (WCAG 2.5.3), and it says whether bold is on where the cursor is.
    assert bold.text == "Bold" and bold.get_attribute("aria-label") is None
    assert bold.get_attribute("aria-pressed") == "false"
    bold.click()
    assert bold.get_attribute("aria-pressed") == "true"
    browser.driver.find_element(By.CSS_SELECTOR, ".editor").send_keys("since Monday")
    link = browser.driver.find_element(By.CSS_SELECTOR, ".toolbar button.tool-createLink")
    assert link.get_attribute("aria-pressed") is None
    # Step 7: optionally, select Add Attachment to add an attachment.
    wait_for(browser, lambda: browser.driver.find_element(By.CSS_SELECTOR, ".save-state").text == "Saved")
    pdf = b"%PDF-1.4\n% Carebox browser test\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
    (tmp_path / "lab-results.pdf").write_bytes(pdf)
    browser.labelled("Add Attachment").send_keys(str(tmp_path / "lab-results.pdf"))
    wait_for(browser, lambda: "lab-results.pdf" in browser.driver.find_element(By.CSS_SELECTOR, ".attachment-list").text)
    browser.shot("03-new-message")
    # Step 8: Send. The completed message is displayed.
    browser.button("Send").click()
    wait_for(browser, lambda: "/messages/" in browser.driver.current_url and "sent=1" in browser.driver.current_url)
    body = browser.text()
    assert f"Knee {subject_marker}" in body
    assert "My knee hurts" in body
    assert browser.driver.find_element(By.CSS_SELECTOR, ".message-body strong").text == "since Monday"
    assert "You can expect a reply by " in body
    assert "Confidential" in body
    browser.shot("04-conversation")
    # The attachment came with it, and downloads back byte for byte.
    link = browser.driver.find_element(By.CSS_SELECTOR, ".timeline .attachment a")
    assert link.text == "lab-results.pdf"
    assert download(browser, link.get_attribute("href")) == pdf


def test_a_closed_draft_is_found_in_drafts_and_sent_from_there(browser):
    marker = f"draft-{uuid.uuid4().hex[:6]}"
    browser.sign_in("alex")
    browser.go("/messages/new")
    choose_type(browser, "Prescription Renewal")
    choose_recipient(browser, "Omar Haddad")
    browser.labelled("Subject").send_keys(marker)
    write_message(browser, "Please renew my prescription.")
    # To save a draft, close the message draft without sending it.
    browser.button("Close").click()
    wait_for(browser, lambda: "saved=1" in browser.driver.current_url)
    # You can view drafts in the Drafts folder by selecting Drafts from the drop-down list on the Inbox page.
    browser.link("Messages").click()
    Select(browser.labelled("Folder")).select_by_visible_text("Drafts")
    wait_for(browser, lambda: "folder=drafts" in browser.driver.current_url)
    browser.shot("05-drafts")
    browser.driver.find_element(By.PARTIAL_LINK_TEXT, marker).click()
    # Resumed with every field filled.
    assert browser.labelled("Subject").get_attribute("value") == marker
    assert "Omar Haddad" in Select(browser.labelled("To")).first_selected_option.text
    assert browser.driver.find_element(By.CSS_SELECTOR, "input[name=message_type]:checked").get_attribute("id") == \
        browser.driver.find_element(By.XPATH, "//label[normalize-space()='Prescription Renewal']").get_attribute("for")
    assert "Please renew my prescription." in browser.driver.find_element(By.CSS_SELECTOR, ".editor").text
    browser.button("Send").click()
    wait_for(browser, lambda: "sent=1" in browser.driver.current_url)
    assert "Please renew my prescription." in browser.text()
    browser.go("/messages?folder=drafts")
    assert marker not in browser.text()


def test_leaving_the_page_keeps_the_draft(browser):
    marker = f"leave-{uuid.uuid4().hex[:6]}"
    browser.sign_in("alex")
    browser.go("/messages/new")
    choose_type(browser, "General Message")
    browser.labelled("Subject").send_keys(marker)
    write_message(browser, "Started, not finished")
    wait_for(browser, lambda: browser.driver.find_element(By.CSS_SELECTOR, ".save-state").text == "Saved")
    assert "Saved" in browser.text()
    browser.go("/today")
    browser.go("/messages?folder=drafts")
    assert marker in browser.text()


def test_reply_and_edit_the_subject(browser):
    marker = f"reply-{uuid.uuid4().hex[:6]}"
    browser.sign_in("alex")
    browser.go("/messages/new")
    choose_type(browser, "Medical Question")
    choose_recipient(browser, "Nurse Triage")
    browser.labelled("Subject").send_keys(marker)
    write_message(browser, "First message")
    browser.button("Send").click()
    wait_for(browser, lambda: "sent=1" in browser.driver.current_url)

    # You can reply to any message by opening the conversation, entering a response, and selecting Send.
    write_message(browser, "A follow-up")
    browser.button("Send").click()
    wait_for(browser, lambda: len(browser.driver.find_elements(By.CSS_SELECTOR, ".timeline .message")) == 2)
    assert "A follow-up" in browser.text()

    # Select Edit at the top of an open conversation to edit its details.
    browser.link("Edit").click()
    subject = browser.labelled("Subject")
    subject.clear()
    subject.send_keys(f"{marker} renamed")
    browser.shot("06-edit")
    browser.button("Save").click()
    wait_for(browser, lambda: "Subject changed from" in browser.text())
    assert f"Subject changed from “{marker}” to “{marker} renamed” by Alex Rivera" in browser.text()


def test_jordan_never_sees_the_confidential_conversation_and_writes_for_sam(browser):
    marker = f"secret-{uuid.uuid4().hex[:6]}"
    browser.sign_in("alex")
    browser.go("/messages/new")
    choose_type(browser, "General Message")
    choose_recipient(browser, "Maya Chen")
    browser.labelled("Subject").send_keys(marker)
    browser.driver.find_element(By.CSS_SELECTOR, "label.toggle").click()
    write_message(browser, "Only for my doctor")
    browser.button("Send").click()
    wait_for(browser, lambda: "sent=1" in browser.driver.current_url)
    browser.submit("Sign Out")

    browser.sign_in("jordan")
    browser.link("Messages").click()
    view(browser, "Alex Rivera (spouse)")
    wait_for(browser, lambda: "Alex Rivera" in Select(browser.labelled("Viewing:")).first_selected_option.text)
    for folder in ["Inbox", "Sent", "Archived"]:
        Select(browser.labelled("Folder")).select_by_visible_text(folder)
        time.sleep(0.3)
        assert marker not in browser.text()

    view(browser, "Sam Rivera (parent)")
    wait_for(browser, lambda: "Sam Rivera" in Select(browser.labelled("Viewing:")).first_selected_option.text)
    browser.link("New Message").click()
    assert "Writing on behalf of Sam Rivera" in browser.text()
    assert not browser.driver.find_elements(By.ID, "confidential")  # proxies are not offered confidentiality
    choose_type(browser, "General Message")
    choose_recipient(browser, "Maya Chen")
    write_message(browser, "Sam has a fever")
    browser.button("Send").click()
    wait_for(browser, lambda: "sent=1" in browser.driver.current_url)
    assert "Jordan Rivera on behalf of Sam Rivera" in browser.text()
    browser.shot("07-proxy")


def test_hostile_text_renders_inert(browser):
    browser.sign_in("alex")
    browser.go("/messages/new")
    choose_type(browser, "General Message")
    choose_recipient(browser, "Maya Chen")
    browser.labelled("Subject").send_keys('<script>alert("subject")</script>')
    write_message(browser, '<img src=x onerror=alert(1)> <script>alert("body")</script> javascript:alert(1)')
    browser.button("Send").click()
    wait_for(browser, lambda: "sent=1" in browser.driver.current_url)
    assert no_dialog(browser)
    assert '<script>alert("subject")</script>' in browser.driver.find_element(By.TAG_NAME, "h1").text
    body = browser.driver.find_element(By.CSS_SELECTOR, ".message-body")
    assert "<img src=x onerror=alert(1)>" in body.text
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "main script, .message-body img, [onerror]")
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "a[href^='javascript']")

    # A link smuggled into the document the editor posts is refused, and nothing is sent.
    browser.go("/messages/new")
    choose_type(browser, "General Message")
    choose_recipient(browser, "Maya Chen")
    write_message(browser, "click me")
    browser.driver.execute_script(
        "var f=document.querySelector('form.compose'); f.removeEventListener; "
        "f.querySelector('input[name=body_json]').value = JSON.stringify({type:'doc',content:[{type:'paragraph',"
        "content:[{type:'text',text:'click me',link:'javascript:alert(1)'}]}]});"
        "document.querySelector('.editor').remove();"
        "f.querySelector('textarea').removeAttribute('data-rich-text');")
    browser.driver.execute_script(
        "var f=document.querySelector('form.compose'); var a=document.createElement('input');"
        "a.type='hidden'; a.name='action'; a.value='send'; f.appendChild(a); HTMLFormElement.prototype.submit.call(f);")
    wait_for(browser, lambda: "Links must start with" in browser.text())
    assert no_dialog(browser)
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "a[href^='javascript']")


def test_without_javascript_a_message_can_still_be_written_and_sent(plain_browser):
    marker = f"nojs-{uuid.uuid4().hex[:6]}"
    browser = plain_browser
    browser.sign_in("alex")
    browser.go("/messages/new")
    choose_type(browser, "General Message")
    browser.submit("Next")
    Select(browser.labelled("To")).select_by_visible_text("Dr. Maya Chen – Family Medicine")
    browser.labelled("Subject").send_keys(marker)
    browser.labelled("Message").send_keys("Typed in a plain text box")
    browser.button("Send").click()
    wait_for(browser, lambda: "You can expect a reply by" in browser.text())
    assert marker in browser.text()
    browser.shot("08-without-javascript")


def test_without_javascript_a_file_is_attached_with_the_form(plain_browser, tmp_path):
    browser = plain_browser
    path = tmp_path / "notes.txt"
    path.write_text("Blood pressure 120/80\n")
    browser.sign_in("alex")
    browser.go("/messages/new")
    choose_type(browser, "General Message")
    browser.submit("Next")
    Select(browser.labelled("To")).select_by_visible_text("Dr. Maya Chen – Family Medicine")
    browser.labelled("Message").send_keys("Readings attached")
    browser.labelled("Add Attachment").send_keys(str(path))
    browser.button("Send").click()
    wait_for(browser, lambda: "You can expect a reply by" in browser.text())
    assert "notes.txt" in browser.text()


def test_a_reply_can_carry_an_attachment(browser, tmp_path):
    path = tmp_path / "photo.png"
    # A real PNG header (a 2 x 2 image): uploads are read to their header, and a file that is not an image is refused.
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([0, 0, 0, 13]) + b"IHDR" + bytes([0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0, 0, 0]) + bytes(4) + bytes(64))
    browser.sign_in("alex")
    browser.go("/messages/new")
    choose_type(browser, "General Message")
    choose_recipient(browser, "Omar Haddad")
    write_message(browser, "Question first")
    browser.button("Send").click()
    wait_for(browser, lambda: "sent=1" in browser.driver.current_url)
    write_message(browser, "Here is the photo")
    wait_for(browser, lambda: browser.driver.find_element(By.CSS_SELECTOR, ".save-state").text == "Saved")
    browser.labelled("Add Attachment").send_keys(str(path))
    wait_for(browser, lambda: "photo.png" in browser.driver.find_element(By.CSS_SELECTOR, "form .attachment-list").text)
    browser.button("Send").click()
    wait_for(browser, lambda: len(browser.driver.find_elements(By.CSS_SELECTOR, ".timeline .message")) == 2)
    assert "photo.png" in browser.driver.find_elements(By.CSS_SELECTOR, ".timeline .message")[1].text


def test_the_keyboard_moves_through_viewing_without_switching_until_enter(browser):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.expected_conditions import staleness_of

    browser.sign_in("jordan")
    browser.go("/messages")
    select = browser.labelled("Viewing:")
    before = Select(select).first_selected_option.get_attribute("value")
    select.send_keys(Keys.ARROW_DOWN)
    time.sleep(0.5)
    # Still the same page: the arrow only moved the choice, and the Switch button is offered.
    assert Select(select).first_selected_option.get_attribute("value") != before
    assert browser.button("Switch").is_displayed()
    chosen = Select(select).first_selected_option.get_attribute("value")
    page = browser.driver.find_element(By.TAG_NAME, "html")
    select.send_keys(Keys.ENTER)
    WebDriverWait(browser.driver, 10).until(staleness_of(page))
    assert Select(browser.labelled("Viewing:")).first_selected_option.get_attribute("value") == chosen
