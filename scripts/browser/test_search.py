"""Search, as the issue's people use it: Alex finds the one conversation about a refill among 50 from the Messages
page's search box, at desktop and phone width; Jordan, viewing Alex's messages, does not find Alex's confidential
one; with JavaScript off the search works the same (it is a plain GET form)."""
import json
import urllib.request
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import BASE


def api(browser, method, path, body=None):
    """The JSON API with the browser's own session, as the page's scripts call it (a form's token in X-CSRF-Token)."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in browser.driver.get_cookies())
    headers = {"Cookie": cookies, "Accept": "application/json", "Origin": BASE}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        headers["X-CSRF-Token"] = browser.driver.find_element(By.NAME, "csrf_token").get_attribute("value")
        data = json.dumps(body).encode()
    request = urllib.request.Request(BASE + "/api/v1" + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def write_many(browser, count, word, confidential_subject=None):
    """Alex writes `count` conversations to Dr. Chen through the API, one of them about `word`."""
    browser.go("/messages")
    types = {t["name"]: t["id"] for t in api(browser, "GET", "/message-types")}
    general = types["General Message"]
    chen = next(r for r in api(browser, "GET", f"/recipients?type={general}") if "Chen" in r["name"])
    recipient = {"kind": chen["kind"], "id": chen["id"]}
    topics = ["my knee", "a rash", "sleep", "my appointment", "lab results", "insurance"]
    for n in range(count):
        about = word if n == count // 2 else topics[n % len(topics)]
        api(browser, "POST", "/conversations", {
            "messageTypeId": general, "recipient": recipient, "confidential": False,
            "subject": f"Question {n}", "body": f"A question about {about}.",
        })
    if confidential_subject:
        api(browser, "POST", "/conversations", {
            "messageTypeId": general, "recipient": recipient, "confidential": True,
            "subject": confidential_subject, "body": f"A private question about {word}.",
        })


def search_from_messages(browser, words):
    browser.go("/messages")
    box = browser.labelled("Search messages")
    box.send_keys(words)
    browser.submit("Search")


def result_titles(browser):
    return [row.text for row in browser.driver.find_elements(By.CSS_SELECTOR, ".search-results .row-title")]


def test_alex_finds_the_refill_among_fifty_and_jordan_never_finds_the_confidential_one(browser, plain_browser):
    word = "refill" + uuid.uuid4().hex[:6]
    browser.sign_in("alex")
    write_many(browser, 50, word, confidential_subject=f"Private {word}")

    search_from_messages(browser, word)
    assert "/messages/search?q=" in browser.driver.current_url
    assert sorted(result_titles(browser)) == ["Private " + word, "Question 25"]
    browser.shot("search-results-1100")

    # Narrowed to the Sent folder, on a phone.
    browser.driver.set_window_size(390, 844)
    browser.driver.find_element(By.XPATH, "//summary[normalize-space()='Narrow it down']").click()
    Select(browser.labelled("Folder")).select_by_visible_text("Sent")
    browser.submit("Search")
    assert sorted(result_titles(browser)) == ["Private " + word, "Question 25"]
    assert browser.driver.execute_script("return document.documentElement.scrollWidth") <= 390
    browser.shot("search-results-390")

    # A result opens its conversation.
    browser.link("Question 25").click()
    assert f"A question about {word}." in browser.text()

    # Jordan, with JavaScript off, viewing Alex's messages, finds the shared one only.
    jordan = plain_browser
    jordan.sign_in("jordan")
    jordan.go("/messages")
    viewing = Select(jordan.labelled("Viewing:"))
    alex_option = next(o.text for o in viewing.options if o.text.startswith("Alex Rivera"))
    viewing.select_by_visible_text(alex_option)
    jordan.submit("Switch")
    search_from_messages(jordan, word)
    assert result_titles(jordan) == ["Question 25"]
    assert "Private" not in jordan.text()

    # A date before any of it finds nothing, and says so.
    jordan.go(f"/messages/search?q={word}&to=2020-01-01")
    assert result_titles(jordan) == []
    assert "No conversations match your search." in jordan.text()
