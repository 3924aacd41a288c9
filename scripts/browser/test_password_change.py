"""Dr. Park changes her password at phone width: a common password is refused with the reason beside the field, a
good one is kept, and the other browser she was signed in on (JavaScript off) is signed out. She is the only one who
uses her account in these tests, so the new password stays."""
from selenium.webdriver.common.by import By

from conftest import PASSWORD


def fill(browser, label, text):
    field = browser.labelled(label)
    field.clear()
    field.send_keys(text)


def change(browser, current, new, again):
    fill(browser, "Current password", current)
    fill(browser, "New password", new)
    fill(browser, "New password again", again)
    browser.submit("Save New Password")


def test_a_new_password_signs_out_the_other_browser(browser, plain_browser):
    browser.driver.set_window_size(390, 844)
    browser.sign_in("lpark")
    plain_browser.sign_in("lpark")

    browser.link("Security").click()
    browser.link("Change Password").click()
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "Change Password"
    # The page fits a phone: nothing wider than the window.
    assert browser.driver.execute_script("return document.documentElement.scrollWidth") <= 390

    change(browser, PASSWORD, "qwerty123456", "qwerty123456")
    assert "too easy to guess" in browser.text()
    assert browser.labelled("New password").get_attribute("aria-invalid") == "true"
    browser.shot("password-refused-390")

    new = "quiet harbour lantern"
    change(browser, PASSWORD, new, new)
    assert "Your password has been changed" in browser.text()
    browser.shot("password-changed-390")

    plain_browser.go("/care-team")
    assert "/sign-in" in plain_browser.driver.current_url
    assert "Your session has ended" in plain_browser.text()
    plain_browser.driver.find_element(By.ID, "username").send_keys("lpark")
    plain_browser.driver.find_element(By.ID, "password").send_keys(new)
    plain_browser.submit("Sign In")
    assert "/sign-in" not in plain_browser.driver.current_url
