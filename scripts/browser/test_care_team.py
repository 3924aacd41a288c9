"""The care team's side in a real browser: Nurse Triage works a Medical Question, Dr. Chen writes to Sam."""
import re
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_help_page import choose_recipient, choose_type, wait_for, write_message
from test_whose_record import wider


def view(browser, person):
    """Chooses whose messages to view; an option reads "Alex Rivera (spouse)", then "– 2 unread" when there are any."""
    viewing = Select(browser.labelled("Viewing:"))
    viewing.select_by_value(next(o.get_attribute("value") for o in viewing.options if o.get_attribute("textContent").strip().startswith(person)))


def test_nurse_triage_claims_replies_and_marks_done_and_alex_sees_it(browser):
    marker = f"triage-{uuid.uuid4().hex[:6]}"
    browser.sign_in("alex")
    browser.go("/messages/new")
    choose_type(browser, "Medical Question")
    choose_recipient(browser, "Nurse Triage")
    browser.labelled("Subject").send_keys(marker)
    write_message(browser, "I have a rash on my arm")
    browser.button("Send").click()
    wait_for(browser, lambda: "sent=1" in browser.driver.current_url)
    conversation_url = browser.driver.current_url.split("?")[0]
    browser.submit("Sign Out")

    browser.sign_in("ntorres")
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "In Basket"
    browser.driver.find_element(By.XPATH, "//nav[@aria-label='In Basket filters']//a[contains(., 'Nurse Triage')]").click()
    row = browser.driver.find_element(By.XPATH, f"//tr[td[normalize-space()='{marker}']]")
    assert "Alex Rivera" in row.text and "1988-04-12" in row.text and "Medical Question" in row.text
    browser.shot("10-in-basket")
    # On a phone the In Basket is a list of cards that fits the screen.
    size = browser.driver.get_window_size()
    browser.driver.set_window_size(390, 844)
    browser.driver.refresh()
    card = browser.driver.find_element(By.XPATH, f"//tr[td[normalize-space()='{marker}']]")
    assert card.value_of_css_property("display") == "block"
    assert browser.driver.execute_script("return document.documentElement.scrollWidth") <= 390, wider(browser)
    browser.shot("10-in-basket-390")
    browser.driver.set_window_size(size["width"], size["height"])
    row = browser.driver.find_element(By.XPATH, f"//tr[td[normalize-space()='{marker}']]")
    row.find_element(By.LINK_TEXT, "Alex Rivera").click()
    assert re.search(r"Alex Rivera, \d+ years old, born April 12, 1988", browser.text())
    browser.button("Claim").click()
    wait_for(browser, lambda: "Assignee: Nina Torres, RN" in browser.text())
    assert "You claimed this conversation." in browser.text()
    assert browser.driver.find_elements(By.XPATH, "//a[.='Next in queue' or .='Back to In Basket']")
    write_message(browser, "Please send a photo of the rash.")
    browser.button("Send").click()
    wait_for(browser, lambda: "Please send a photo of the rash." in browser.text())
    browser.button("Mark as Done").click()
    wait_for(browser, lambda: "Status: Done" in browser.text())
    assert "Marked as Done." in browser.text()
    browser.shot("11-care-team-conversation")
    browser.submit("Sign Out")

    browser.sign_in("alex")
    badge = browser.driver.find_element(By.CSS_SELECTOR, ".nav-messages")
    assert badge.get_attribute("aria-label") == "Messages, 1 unread"
    browser.driver.get(conversation_url)
    assert "Please send a photo of the rash." in browser.text()
    assert "Read by care team" in browser.text()


def test_dr_chen_writes_to_sam_and_jordan_answers_for_him(browser):
    marker = f"sam-{uuid.uuid4().hex[:6]}"
    browser.sign_in("mchen")
    browser.link("New Message").click()
    Select(browser.labelled("Patient")).select_by_visible_text("Sam Rivera (born 2016-02-03)")
    Select(browser.labelled("Message")).select_by_visible_text("General Message")
    browser.labelled("Subject").send_keys(marker)
    write_message(browser, "Sam is due for his vaccines.")
    browser.button("Send").click()
    wait_for(browser, lambda: "sent=1" in browser.driver.current_url)
    browser.submit("Sign Out")

    browser.sign_in("jordan")
    browser.link("Messages").click()
    view(browser, "Sam Rivera (parent)")
    wait_for(browser, lambda: marker in browser.text())
    browser.driver.find_element(By.PARTIAL_LINK_TEXT, marker).click()
    write_message(browser, "Thank you, we will book it.")
    browser.button("Send").click()
    wait_for(browser, lambda: "Jordan Rivera on behalf of Sam Rivera" in browser.text())
