import Domain
import Testing

struct BrowserDescriptionTests {
    @Test(arguments: [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "Chrome on Linux"
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                + "Version/17.1 Mobile/15E148 Safari/604.1", "Safari on iPhone"
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
                + "Safari/537.36 Edg/120.0.0.0", "Edge on Windows"
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Firefox on Mac"
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile "
                + "Safari/537.36", "Chrome on Android"
        ),
        ("curl/8.5.0", "curl"),
        ("AsyncHTTPClient", "Unknown browser"),
        ("", "Unknown browser"),
    ])
    func namesTheBrowserAndSystem(agent: String, expected: String) {
        #expect(BrowserDescription.describe(agent) == expected)
    }

    @Test func noHeaderIsAnUnknownBrowser() {
        #expect(BrowserDescription.describe(nil) == "Unknown browser")
    }
}
