import Foundation
import Testing
import Vapor

@testable import App

/// A page that refuses a form says so first: its title starts with "Error: ", its summary takes focus, and each line
/// of the summary links to the field it is about (an element of that id is on the page).
@Suite struct ErrorSummaryTests {
    @Test func refusedFormsAreTitledLinkedAndFocused() async throws {
        try await withDemoAPI { demo in
            let alex = demo.browser.newWindow()
            try await alex.signIn("alex")
            let admin = demo.browser.newWindow()
            try await admin.signIn("admin")
            let refused: [(TestBrowser, String, [String: String], title: String, links: [String])] = [
                (
                    alex, "/messages", ["action": "send", "subject": "", "body_text": ""], "Error: New Message",
                    ["#message_type-error"]
                ),
                (
                    alex, "/account/password", ["current_password": "wrong", "new_password": "short"],
                    "Error: Change Password", ["#current_password", "#new_password"]
                ),
                (
                    admin, "/administration/people", ["name": "", "birth_date": "soon", "email": "nope"],
                    "Error: Add a Person", ["#roles-error", "#name", "#email"]
                ),
                (admin, "/administration/holidays", ["date": "", "name": ""], "Error: Holidays", ["#date"]),
            ]
            for (browser, path, fields, title, links) in refused {
                let page = try await browser.post(path, fields)
                #expect(page.status == .unprocessableEntity, "\(path)")
                #expect(page.body.contains("<title>\(title) · Carebox</title>"), "\(path)")
                #expect(
                    page.body.contains("class=\"error-summary\" role=\"alert\" tabindex=\"-1\" autofocus"), "\(path)")
                for link in links {
                    #expect(page.body.contains("<li><a href=\"\(link)\">"), "\(path) \(link)")
                    #expect(page.body.contains("id=\"\(link.dropFirst())\""), "\(path) has no \(link)")
                }
            }
            // A search that cannot run answers as a refused form too.
            let search = try await alex.get("/messages/search?q=refill&from=2026-13-01")
            #expect(search.status == .unprocessableEntity)
            #expect(search.body.contains("<title>Error: Search Messages · Carebox</title>"))
            #expect(search.body.contains("<li><a href=\"#from\">"))
            // A page that is fine has no such title.
            #expect(try await alex.get("/messages/new").body.contains("<title>New Message · Carebox</title>"))
        }
    }
}
