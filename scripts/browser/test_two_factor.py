"""Nina Torres, RN, sets up two-step verification at phone width: the QR code the page draws is read off the screen by
zbarimg, as her phone's camera would, and the codes come from pyotp (neither written for Carebox). She signs out and
back in with a code, a replayed code is refused in another browser (JavaScript off), and a recovery code works once.
She turns it off at the end, as the other tests sign in as her with a password alone."""
import base64
import subprocess
import tempfile
import time
import urllib.parse

import pyotp
from selenium.webdriver.common.by import By

from conftest import PASSWORD


def read_qr_code(browser):
    """The text of the QR code on the page, read from a screenshot of it."""
    image = browser.driver.find_element(By.CSS_SELECTOR, "img.qr-code")
    with tempfile.NamedTemporaryFile(suffix=".png") as png:
        png.write(base64.b64decode(image.screenshot_as_base64))
        png.flush()
        found = subprocess.run(["zbarimg", "--quiet", "--raw", png.name], capture_output=True, text=True, check=True)
    return found.stdout.strip()


def enter_code(browser, code):
    browser.labelled("Code").send_keys(code)
    browser.submit("Verify")


def sign_in_with_password(browser):
    browser.go("/sign-in")
    browser.driver.find_element(By.ID, "username").send_keys("ntorres")
    browser.driver.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.submit("Sign In")


def test_ntorres_sets_up_two_step_verification_and_signs_in_with_codes(browser, plain_browser):
    browser.driver.set_window_size(390, 844)
    browser.sign_in("ntorres")
    browser.link("Security").click()
    assert "Off." in browser.text()
    browser.link("Set Up Two-Step Verification").click()
    browser.submit("Set Up Two-Step Verification")
    assert browser.driver.execute_script("return document.documentElement.scrollWidth") <= 390
    browser.shot("two-factor-set-up-390")

    address = urllib.parse.urlparse(read_qr_code(browser))
    assert (address.scheme, address.netloc) == ("otpauth", "totp")
    assert urllib.parse.unquote(address.path).endswith(":ntorres")
    secret = urllib.parse.parse_qs(address.query)["secret"][0]
    # The key to type by hand is the same secret.
    assert browser.driver.find_element(By.ID, "secret-key").text.replace(" ", "") == secret
    totp = pyotp.TOTP(secret)

    browser.labelled("Code from the app").send_keys(totp.now())
    browser.submit("Turn On")
    assert "Save these recovery codes now" in browser.text()
    recovery_codes = [item.text for item in browser.driver.find_elements(By.CSS_SELECTOR, "#recovery-codes code")]
    assert len(recovery_codes) == 10
    browser.shot("two-factor-recovery-codes-390")
    browser.link("Continue").click()
    browser.submit("Sign Out")

    # The password alone is not enough now. The code of the next 30 seconds is accepted (one step either side is),
    # and is newer than the one that set it up.
    sign_in_with_password(browser)
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "Enter Your Code"
    browser.shot("two-factor-code-390")
    code = totp.at(time.time() + 30)
    enter_code(browser, code)
    assert "/care-team" in browser.driver.current_url

    # The same code again, in another browser, is refused.
    sign_in_with_password(plain_browser)
    enter_code(plain_browser, code)
    assert "That code did not work" in plain_browser.text()
    # A recovery code works, once.
    enter_code(plain_browser, recovery_codes[0])
    assert "You have 9 left" in plain_browser.text()
    plain_browser.submit("Sign Out")
    sign_in_with_password(plain_browser)
    enter_code(plain_browser, recovery_codes[0])
    assert "That code did not work" in plain_browser.text()

    # The Security page lists the sign-ins, the unfinished one too.
    browser.link("Security").click()
    assert "On since" in browser.text()
    assert "Code not given" in browser.text()
    browser.shot("security-390")
    browser.link("Manage Two-Step Verification").click()
    browser.labelled("Password").send_keys(PASSWORD)
    browser.submit("Turn Off")
    assert "Two-step verification is off" in browser.text()
