"""Rows that tell the story (issue 16): Alex's rows show a preview of the last message, who wrote it, a paperclip and
where the conversation stands; after reading Dr. Chen's answer Alex marks it unread again with a plain form (no
JavaScript), and the Messages badge counts it again. At phone width the row and its buttons fit the screen."""
import uuid

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_help_page import choose_type, wait_for
from test_live_updates import dr_chen_replies, unread
from test_whose_record import wider


def row(browser, marker):
    return browser.driver.find_element(
        By.XPATH, f"//li[contains(@class, 'message-row')][.//span[@class='row-title'][contains(., '{marker}')]]")


def row_is_unread(browser, marker):
    try:
        return "unread" in row(browser, marker).get_attribute("class").split()
    except WebDriverException:  # the Inbox was being replaced under the read
        return False


def test_rows_tell_the_story_and_a_read_conversation_can_be_marked_unread(plain_browser, browser, tmp_path):
    alex, chen = plain_browser, browser
    marker = f"rows-{uuid.uuid4().hex[:6]}"
    readings = tmp_path / "readings.txt"
    readings.write_text("Monday 121/79\nTuesday 118/80\n")
    alex.sign_in("alex")
    alex.go("/messages/new")
    choose_type(alex, "General Message")
    alex.submit("Next")
    Select(alex.labelled("To")).select_by_visible_text("Dr. Maya Chen – Family Medicine")
    alex.labelled("Subject").send_keys(marker)
    alex.labelled("Message").send_keys("My blood pressure readings for the week are attached.")
    alex.labelled("Add Attachment").send_keys(str(readings))
    alex.button("Send").click()
    wait_for(alex, lambda: "You can expect a reply by" in alex.text())
    conversation = alex.driver.current_url.split("?")[0].split("/messages/")[1]

    alex.go("/messages?folder=sent")
    mine = row(alex, marker)
    assert "You: My blood pressure readings for the week are attached." in mine.text
    assert "Waiting for a reply, expected by" in mine.text
    assert mine.find_elements(By.CSS_SELECTOR, ".paperclip[aria-label='Has attachments']")

    chen.sign_in("mchen")
    dr_chen_replies(chen, conversation, "Thank you, these look fine.")

    alex.go("/messages")
    answered = row(alex, marker)
    assert "Dr. Maya Chen: Thank you, these look fine." in answered.text
    assert "Replied" in answered.text
    assert row_is_unread(alex, marker)
    before = unread(alex)

    alex.go(f"/messages/{conversation}")
    assert "Thank you, these look fine." in alex.text()
    alex.go("/messages")
    assert not row_is_unread(alex, marker)
    assert unread(alex) == before - 1

    row(alex, marker).find_element(By.XPATH, ".//button[normalize-space()='Mark as Unread']").click()
    wait_for(alex, lambda: row_is_unread(alex, marker))
    assert unread(alex) == before
    alex.shot("rows-mark-unread-1280")

    alex.driver.set_window_size(390, 844)
    alex.go("/messages")
    assert "Dr. Maya Chen: Thank you, these look fine." in row(alex, marker).text
    assert alex.driver.execute_script("return document.documentElement.scrollWidth") <= 390, wider(alex)
    alex.shot("rows-390")
