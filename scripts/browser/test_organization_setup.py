"""An administrator sets up the organisation in a real browser, Alex sees the result, and the audit log shows it all.

Runs after the patient and care-team walkthroughs (pytest takes files in name order), and puts the reply time back,
because it changes what every patient is told.
"""
import datetime
import zoneinfo
import urllib.request
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import BASE
from test_help_page import choose_type, recipient_options, wait_for


def set_date(browser, label, day):
    """A date field, filled as the date picker would: the value is the ISO date whatever the locale shows."""
    field = browser.labelled(label)
    browser.driver.execute_script("arguments[0].value = arguments[1]", field, day)


def fill(browser, label, text):
    field = browser.labelled(label)
    field.clear()
    field.send_keys(text)


def check(browser, label, on):
    box = browser.labelled(label)
    if box.is_selected() != on:
        box.click()


def select_containing(select, text):
    option = next(o for o in select.options if text in o.text)
    select.select_by_visible_text(option.text)


def first_form_with(browser, button):
    return browser.driver.find_element(By.XPATH, f"//form[.//button[normalize-space()='{button}']]")


def set_reply_time(browser, days):
    browser.go("/administration")
    browser.link("Settings").click()
    fill(browser, "Reply time (business days)", str(days))
    browser.submit("Save settings")
    assert "could not" not in browser.text().lower()


def test_admin_sets_up_pharmacy_and_medication_question_and_alex_sees_them(browser):
    org_today = datetime.datetime.now(zoneinfo.ZoneInfo("America/Chicago")).date().isoformat()
    proxy_username = f"casey{uuid.uuid4().hex[:6]}"
    browser.sign_in("admin")
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "Administration"

    # A pool "Pharmacy" with Nina Torres in it.
    browser.link("Pools").click()
    fill(browser, "Pool name", "Pharmacy")
    browser.submit("Create pool")
    select_containing(Select(browser.labelled("Add member")), "Nina Torres")
    browser.submit("Add member")
    assert "Nina Torres" in browser.text()
    browser.shot("40-admin-pool")

    # A message type "Medication Question" offering Pharmacy and the care team, with no attachments.
    browser.go("/administration/message-types")
    browser.link("New message type").click()
    fill(browser, "Name", "Medication Question")
    fill(browser, "Description", "A question about a medicine you take, for the pharmacists or your providers.")
    check(browser, "Patients", True)
    check(browser, "Proxies", True)
    check(browser, "Providers with an active care relationship", True)
    check(browser, "Pharmacy", True)
    check(browser, "Allow attachments", False)
    browser.submit("Create message type")
    assert "Medication Question" in browser.text()
    browser.shot("41-admin-message-types")

    # Alex gets a care relationship with Dr. Lena Park.
    browser.go("/administration/people")
    fill(browser, "Name or username", "alex")
    browser.submit("Search")
    browser.link("Alex Rivera").click()
    alex_page = browser.driver.current_url
    select_containing(Select(browser.labelled("Provider")), "Lena Park")
    select_containing(Select(browser.labelled("Kind")), "Specialist")
    # "From" starts at the organisation's today (Riverbend is in Chicago: not the test machine's UTC date after 18:00
    # there), which is what makes the relationship active at once.
    form = first_form_with(browser, "Add Care Relationship")
    assert form.find_element(By.NAME, "from").get_attribute("value") == org_today
    browser.submit("Add Care Relationship")
    assert "Lena Park" in browser.text()

    # A new proxy, Casey, with access to Alex.
    browser.go("/administration/people/new")
    check(browser, "Proxy", True)
    fill(browser, "Full name", "Casey Rivera")
    fill(browser, "Username", proxy_username)
    browser.submit("Save")
    assert "Casey Rivera" in browser.text()
    browser.driver.get(alex_page)
    fill(browser, "Username of the proxy", proxy_username)
    select_containing(Select(browser.labelled("Relationship to the patient")), "Caregiver")
    form = first_form_with(browser, "Grant Proxy Access")
    assert form.find_element(By.NAME, "from").get_attribute("value") == org_today
    browser.submit("Grant Proxy Access")
    assert "Casey Rivera" in browser.text()
    browser.shot("42-admin-person")

    # The reply time becomes 2 business days.
    set_reply_time(browser, 2)
    browser.submit("Sign Out")

    # Alex: Medication Question, to Pharmacy or Dr. Park, no attachments, and two business days.
    browser.sign_in("alex")
    browser.go("/messages/new")
    choose_type(browser, "Medication Question")
    wait_for(browser, lambda: any("Pharmacy" in text for text in recipient_options(browser)))
    recipients = recipient_options(browser)
    assert any("Lena Park" in text for text in recipients), recipients
    attach = browser.driver.find_elements(By.XPATH, "//*[normalize-space()='Add Attachment']")
    assert not any(element.is_displayed() for element in attach), "Add Attachment offered"
    assert "two business days" in browser.text()
    browser.shot("43-alex-medication-question")
    browser.submit("Sign Out")

    # The audit log shows each change with before and after, exports as CSV, and its chain verifies.
    browser.sign_in("admin")
    browser.go("/administration/audit")
    log = browser.text()
    for action in ["Created a pool", "Added a pool member", "Created a message type", "Added a care relationship",
                   "Added a person", "Granted proxy access", "Changed the settings"]:
        assert action in log, f"{action} missing from the audit log"
    assert "Pharmacy" in log and "Medication Question" in log
    # The reply time's change, before → after.
    assert "3 → 2" in log, log
    browser.shot("44-admin-audit")

    export = browser.driver.find_element(By.XPATH, "//a[contains(., 'CSV')]").get_attribute("href")
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in browser.driver.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(export, headers={"Cookie": cookie})) as reply:
        assert reply.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in reply.headers["Content-Disposition"]
        rows = reply.read().decode().splitlines()
    assert len(rows) > 5 and "sequence" in rows[0]

    browser.submit("Verify chain")
    wait_for(browser, lambda: "intact" in browser.text().lower())

    set_reply_time(browser, 3)
