"""A new patient joins: an administrator adds Riley's record (no username) with a care relationship with Dr. Chen and
issues an activation code to print, at phone width; Riley, in a browser without JavaScript, signs up with the code
and date of birth, lands on Today, and sends Dr. Chen a message."""
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_help_page import choose_type, wait_for
from test_organization_setup import check, fill, first_form_with, select_containing, set_date


def test_an_administrator_issues_a_code_and_a_new_patient_signs_up_and_sends_a_message(browser, plain_browser):
    suffix = uuid.uuid4().hex[:6]
    browser.driver.set_window_size(390, 844)
    browser.sign_in("admin")
    browser.go("/administration/people/new")
    check(browser, "Patient", True)
    fill(browser, "Full name", f"Riley Shah {suffix}")
    set_date(browser, "Date of birth", "1988-02-29")
    browser.submit("Save")
    select_containing(Select(browser.labelled("Provider")), "Maya Chen")
    browser.submit("Add Care Relationship")
    assert "Maya Chen" in browser.text()

    browser.submit("Issue Activation Code to Print")
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "Activation Code"
    code = browser.driver.find_element(By.ID, "activation-code").text
    assert len(code) == 11 and code[5] == "-"
    assert browser.driver.execute_script("return document.documentElement.scrollWidth") <= 390
    browser.shot("activation-code-390")

    riley = plain_browser
    riley.go("/sign-in")
    riley.link("Sign up with an activation code").click()
    # A wrong date of birth first: refused, and the code still works after.
    riley.labelled("Activation code").send_keys(code.lower())
    set_date(riley, "Date of birth", "1988-03-01")
    fill(riley, "Username", f"riley{suffix}")
    fill(riley, "Password", "lantern harbour quiet")
    fill(riley, "Password again", "lantern harbour quiet")
    riley.submit("Sign Up")
    assert "The activation code or date of birth is not right" in riley.text()
    set_date(riley, "Date of birth", "1988-02-29")
    fill(riley, "Password", "lantern harbour quiet")
    fill(riley, "Password again", "lantern harbour quiet")
    riley.submit("Sign Up")
    assert riley.driver.current_url.endswith("/today")
    assert f"Riley Shah {suffix}" in riley.text()

    riley.go("/messages/new")
    choose_type(riley, "General Message")
    riley.submit("Next")
    Select(riley.labelled("To")).select_by_visible_text("Dr. Maya Chen – Family Medicine")
    riley.labelled("Subject").send_keys(f"first message {suffix}")
    riley.labelled("Message").send_keys("Hello from my new account")
    riley.button("Send").click()
    wait_for(riley, lambda: "You can expect a reply by" in riley.text())
