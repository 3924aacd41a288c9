"""Print (issue 16): "Print" on a conversation opens the browser's print dialog, and the printed page is the thread
alone, with the patient, the dates and the attachment names, and no navigation, banner, buttons or reply box; the
browser saves it as a PDF."""
import base64
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_help_page import choose_type, wait_for


def shown(browser, selector):
    return [e for e in browser.driver.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]


def test_a_conversation_prints_as_the_thread_alone(plain_browser, browser, tmp_path):
    marker = f"print-{uuid.uuid4().hex[:6]}"
    readings = tmp_path / "readings.txt"
    readings.write_text("Monday 121/79\n")
    alex = plain_browser
    alex.sign_in("alex")
    alex.go("/messages/new")
    choose_type(alex, "General Message")
    alex.submit("Next")
    Select(alex.labelled("To")).select_by_visible_text("Dr. Maya Chen – Family Medicine")
    alex.labelled("Subject").send_keys(marker)
    alex.labelled("Message").send_keys("My readings for the week.")
    alex.labelled("Add Attachment").send_keys(str(readings))
    alex.button("Send").click()
    wait_for(alex, lambda: "You can expect a reply by" in alex.text())
    address = alex.driver.current_url.split("?")[0]
    # Without JavaScript there is no Print button that would do nothing; the browser's own Print uses the same sheet.
    assert not shown(alex, ".print-button")

    browser.sign_in("alex")
    browser.driver.get(address)
    assert shown(browser, ".print-button")
    browser.driver.execute_script("window.print = function () { window.__printed = true; };")
    browser.button("Print").click()
    assert browser.driver.execute_script("return window.__printed === true;")

    browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    for hidden in [".site-header", ".reply", ".page-actions"]:
        assert not shown(browser, hidden), hidden
    printed = browser.text()
    for expected in [marker, "Alex Rivera", "Dr. Maya Chen", "My readings for the week.", "readings.txt"]:
        assert expected in printed, expected
    assert "Sign Out" not in printed and "Save Draft" not in printed
    browser.shot("print-conversation")
    pdf = base64.b64decode(browser.driver.print_page())
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
