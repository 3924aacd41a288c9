"""Fixtures for the browser tests: a headless Chromium signed in as a demo user, against the server in CAREBOX_URL."""
import os
import pathlib
import time

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ.get("CAREBOX_URL", "http://127.0.0.1:8080")
SHOTS = pathlib.Path(os.environ.get("CAREBOX_SCREENSHOTS", "/tmp/carebox-screenshots"))
PASSWORD = "carebox-demo"


def _driver(javascript=True):
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,900"]:
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    # Debian's driver; Selenium Manager would try to download one.
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    return webdriver.Chrome(options=options, service=service)


class Browser:
    def __init__(self, driver):
        self.driver = driver

    def go(self, path):
        self.driver.get(BASE + path)

    def sign_in(self, username):
        self.go("/sign-in")
        self.driver.find_element(By.ID, "username").send_keys(username)
        self.driver.find_element(By.ID, "password").send_keys(PASSWORD)
        self.button("Sign In").click()
        for _ in range(50):
            if "/sign-in" not in self.driver.current_url:
                return
            time.sleep(0.1)
        raise AssertionError(f"{username} could not sign in")

    def button(self, text):
        return self.driver.find_element(By.XPATH, f"//button[normalize-space()='{text}']")

    def submit(self, text):
        """Presses a button that loads a new page, and waits for the new page. Sign Out goes through here: going to
        the sign-in page before the signed-out page arrived could cancel the sign-out, and the next person then signed
        in from the last one's page (seen once: Nina Torres landed on Alex's Today)."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        self.button(text).click()

        def replaced(driver):
            try:
                return staleness_of(page)(driver)
            except WebDriverException:  # Chromium may report the old page's node as gone in other words
                return True

        WebDriverWait(self.driver, 10).until(replaced)

    def link(self, text):
        return self.driver.find_element(By.XPATH, f"//a[normalize-space()='{text}' or .//text()[normalize-space()='{text}']]")

    def labelled(self, label):
        """The control a visible label names, as a person finds it (read again if the page was still changing)."""
        for attempt in range(10):
            try:
                element = self.driver.find_element(
                    By.XPATH, f"//label[normalize-space()='{label}' or normalize-space(text())='{label}']")
                return self.driver.find_element(By.ID, element.get_attribute("for"))
            except WebDriverException:
                if attempt == 9:
                    raise
                time.sleep(0.2)

    def text(self):
        """The page's visible text, read again if the page changed under the read."""
        for _ in range(10):
            try:
                return self.driver.find_element(By.TAG_NAME, "body").text
            except WebDriverException:  # the page changed under the read (stale or replaced node)
                time.sleep(0.2)
        return ""

    def shot(self, name):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SHOTS / f"{name}.png"))


@pytest.fixture
def browser():
    driver = _driver()
    driver.implicitly_wait(3)
    yield Browser(driver)
    driver.quit()


@pytest.fixture
def plain_browser():
    """A browser with JavaScript switched off: the core flows must still work."""
    driver = _driver(javascript=False)
    driver.implicitly_wait(1)
    yield Browser(driver)
    driver.quit()
