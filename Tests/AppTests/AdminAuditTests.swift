import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor

@testable import App

@Suite struct AdminAuditTests {
    // MARK: Search and paging

    @Test func searchFindsEventsByUserPatientActionAndDates() async throws {
        try await withDemoAPI { demo in
            let log = AuditSeed(demo)
            try await log.add("session.sign_in", by: "alex", on: "2026-11-02T15:00:00Z")
            try await log.add("conversation.read", by: "jordan", for: "alex", on: "2026-11-03T15:00:00Z")
            try await log.add("message.send", by: "mchen", for: "jordan", on: "2026-11-04T15:00:00Z")
            try await log.add("admin.pool.create", by: "admin", on: "2026-11-05T15:00:00Z")
            // Late on 5 November in Chicago is already 6 November in UTC: dates are the organisation's.
            try await log.add("session.sign_out", by: "alex", on: "2026-11-06T04:00:00Z")
            let admin = try await demo.client("admin")

            #expect(try await admin.auditActions("user=alex") == ["session.sign_out", "session.sign_in"])
            #expect(
                try await admin.auditActions("patient=alex")
                    == ["session.sign_out", "conversation.read", "session.sign_in"])
            #expect(try await admin.auditActions("action=session.") == ["session.sign_out", "session.sign_in"])
            #expect(try await admin.auditActions("action=admin.pool.create") == ["admin.pool.create"])
            #expect(
                try await admin.auditActions("from=2026-11-03&to=2026-11-05")
                    == ["session.sign_out", "admin.pool.create", "message.send", "conversation.read"])
            #expect(try await admin.auditActions("to=2026-11-02") == ["session.sign_in"])
        }
    }

    @Test func anUnknownUsernameOrABadDateIsAFieldError() async throws {
        try await withDemoAPI { demo in
            let admin = try await demo.client("admin")
            let unknown = try await admin.get("/admin/audit-events?user=nobody")
            #expect(unknown.status == .unprocessableEntity)
            #expect(unknown.json["field"] as? String == "user")
            let reversed = try await admin.get("/admin/audit-events?from=2026-11-05&to=2026-11-01")
            #expect(reversed.json["field"] as? String == "to")
            #expect(try await admin.get("/admin/audit-events?from=5%20Nov").json["field"] as? String == "from")
            #expect(try await admin.get("/admin/audit-events?cursor=%2B5").json["field"] as? String == "cursor")
            #expect(try await admin.get("/admin/audit-events?to=9999-12-31").json["field"] as? String == "to")
            let lastDay = try await admin.send(.POST, "/admin/audit-events/verify", json: ["to": "9999-12-31"])
            #expect(lastDay.json["field"] as? String == "to")

            try await demo.browser.signIn("admin")
            let page = try await demo.browser.get("/administration/audit?user=nobody&from=2026-13-01")
            #expect(page.status == .unprocessableEntity)
            #expect(page.body.contains("role=\"alert\""))
            #expect(page.body.contains("id=\"audit-user-error\""))
            #expect(page.body.contains("id=\"audit-from-error\""))
        }
    }

    @Test func thePageShowsFiftyNewestFirstWithNextAndPreviousLinks() async throws {
        try await withDemoAPI { demo in
            let log = AuditSeed(demo)
            let start = ISO8601DateFormatter().date(from: "2026-11-01T12:00:00Z")!
            for minute in 0..<120 {
                try await log.add("session.sign_in", by: "alex", at: start.addingTimeInterval(Double(minute) * 60))
            }
            try await demo.browser.signIn("admin")
            // Signing in added one event of its own: 121 in all.
            let first = try await demo.browser.get("/administration/audit?action=session.sign_in")
            #expect(first.status == .ok)
            #expect(first.rowSequences.count == 50)
            #expect(first.rowSequences == first.rowSequences.sorted(by: >))
            #expect(first.link(rel: "prev") == nil)
            let nextPath = try #require(first.link(rel: "next"))
            #expect(nextPath.contains("action=session.sign_in"))

            let second = try await demo.browser.get(nextPath)
            #expect(second.rowSequences.count == 50)
            #expect(second.rowSequences.first! < first.rowSequences.last!)
            let third = try await demo.browser.get(try #require(second.link(rel: "next")))
            #expect(third.rowSequences.count == 21)
            #expect(third.link(rel: "next") == nil)

            let back = try await demo.browser.get(try #require(third.link(rel: "prev")))
            #expect(back.rowSequences == second.rowSequences)
            let top = try await demo.browser.get(try #require(back.link(rel: "prev")))
            #expect(top.rowSequences == first.rowSequences)
            #expect(top.link(rel: "prev") == nil)

            // The API pages the same way, by cursor.
            let admin = try await demo.client("admin")
            let api = try await admin.get("/admin/audit-events?action=session.sign_in&limit=100")
            let cursor = try #require(api.json["nextCursor"] as? String)
            let rest = try await admin.get("/admin/audit-events?action=session.sign_in&limit=100&cursor=\(cursor)")
            #expect((rest.json["items"] as? [Any])?.count == 21)
            #expect(rest.json["nextCursor"] is NSNull || rest.json["nextCursor"] == nil)
        }
    }

    @Test func aRowShowsWhoForWhomTheActionInWordsAndEachChangedField() async throws {
        try await withDemoAPI { demo in
            let log = AuditSeed(demo)
            try await log.add(
                "admin.pool.rename", by: "admin", on: "2026-11-24T15:30:00Z", recordType: "pool",
                change: AuditChange(
                    before: ["name": "Triage", "retired": "no"], after: ["name": "Nurse Triage", "retired": "no"]))
            try await log.add("conversation.read", by: "jordan", for: "alex", on: "2026-11-24T16:00:00Z")
            try await demo.browser.signIn("admin")
            let page = try await demo.browser.get("/administration/audit")
            #expect(page.body.contains("Renamed a pool"))
            #expect(page.body.contains("<strong>name</strong>: Triage → Nurse Triage"))
            #expect(!page.body.contains("<strong>retired</strong>"), "only changed fields are listed")
            #expect(page.body.contains(">2026-11-24 09:30:00</time>"), "times are in the organisation's zone")
            #expect(page.body.contains("Jordan Rivera (jordan)"))
            #expect(page.body.contains("Alex Rivera (alex)"))
            #expect(page.body.contains("Opened a conversation"))
            #expect(page.body.contains("class=\"table-wrap audit-table-wrap\""))
        }
    }

    // MARK: Organisations and roles

    @Test func anotherOrganizationsEventsNeverAppear() async throws {
        try await withDemoAPI { demo in
            let other = try await OtherOrganization.make(demo)
            let log = AuditSeed(demo)
            try await log.add("session.sign_in", by: "alex", on: "2026-11-20T15:00:00Z")
            try await AuditLog.append(
                AuditEntry(action: "session.sign_in", recordType: "user", recordID: other.patient),
                context: AuditContext(
                    organizationID: other.organization, actorID: other.patient, actingForID: nil, address: "10.9.9.9"),
                at: Date(), on: demo.app.db)

            let riverbend = try await demo.client("admin")
            let seen = try await riverbend.get("/admin/audit-events?limit=200")
            #expect(!seen.body.contains(other.patient.uuidString.lowercased()) && !seen.body.contains("10.9.9.9"))
            #expect(
                try await riverbend.get("/admin/audit-events?user=\(other.patientUsername)").status
                    == .unprocessableEntity)

            let theirs = try await APIClient.signedIn(other.adminUsername, app: demo.app, browser: demo.browser)
            let items = try await theirs.get("/admin/audit-events").json["items"] as? [[String: Any]] ?? []
            #expect(items.count == 1)
            #expect(items.first?["address"] as? String == "10.9.9.9")
            let export = try await theirs.get("/admin/audit-events/export?format=ndjson")
            #expect(export.status == .ok)
            #expect(!export.body.contains(demo.user("alex").uuidString.lowercased()))
            #expect(export.body.contains(other.patient.uuidString.lowercased()))
        }
    }

    @Test func onlyAdministratorsReachTheAuditLog() async throws {
        try await withDemoAPI { demo in
            for username in ["alex", "jordan", "mchen", "ntorres"] {
                let client = try await demo.client(username)
                #expect(try await client.get("/admin/audit-events").status == .forbidden)
                #expect(try await client.get("/admin/audit-events/export?format=csv").status == .forbidden)
                #expect(try await client.send(.POST, "/admin/audit-events/verify", json: [:]).status == .forbidden)
            }
            let browser = demo.browser
            try await browser.signIn("alex")
            #expect(try await browser.get("/administration/audit").status == .forbidden)
            #expect(try await browser.get("/administration/audit/export?format=csv").status == .forbidden)
            #expect(try await browser.post("/administration/audit/verify", [:]).status == .forbidden)
            let anonymous = APIClient(browser: browser.newWindow(), token: nil)
            #expect(try await anonymous.get("/admin/audit-events").status == .unauthorized)
        }
    }

    // MARK: Export

    @Test func theCSVExportIsADownloadWithEscapingAndDefusedFormulas() async throws {
        try await withDemoAPI { demo in
            let log = AuditSeed(demo)
            try await log.add(
                "admin.message_type.update", by: "admin", on: "2026-11-20T15:00:00Z", address: "=HYPERLINK(\"x\")",
                change: AuditChange(before: ["name": "Billing, \"old\""], after: ["name": "-Billing"]))
            let alex = try await demo.client("alex")
            let conversation = try await alex.start(
                demo.ids.start("General Message", to: demo.ids.provider("mchen"), body: "My secret symptom text"))
            _ = try await alex.reply(conversation, "Another secret line")
            try await demo.browser.signIn("admin")
            let download = try await demo.browser.get("/administration/audit/export?format=csv")
            #expect(download.status == .ok)
            #expect(download.headers.first(name: .contentDisposition)?.hasPrefix("attachment; filename=") == true)
            #expect(download.headers.first(name: .contentType)?.hasPrefix("text/csv") == true)
            #expect(download.headers.first(name: .transferEncoding) == "chunked", "written as it is read")
            let lines = download.body.components(separatedBy: "\r\n")
            #expect(lines.first == AuditExport.columns.joined(separator: ","))
            let changed = try #require(lines.first { $0.contains("admin.message_type.update") })
            #expect(changed.contains(",\"'=HYPERLINK(\"\"x\"\")\","), "a formula is defused and quoted")
            #expect(changed.contains("\"{\"\"name\"\":\"\"Billing, \\\"\"old\\\"\"\"\"}\""))
            #expect(changed.contains("{\"\"name\"\":\"\"-Billing\"\"}"))
            #expect(download.body.contains(",message.send,"))
            #expect(!download.body.contains("secret symptom"), "no message text, ever")

            // Taking the copy is itself audited, with the search it covered.
            let export = try #require(
                try await AuditEvent.query(on: demo.app.db).filter(\.$action == "admin.audit.export").first())
            #expect(export.actorID == demo.user("admin"))
            #expect(AuditChange(json: export.detail)?.after == ["format": "csv"])
            #expect(try await AuditLog.verify(on: demo.app.db) == .intact(events: 5))
        }
    }

    @Test func theNDJSONExportHasOneEventALineWithItsChange() async throws {
        try await withDemoAPI { demo in
            let log = AuditSeed(demo)
            try await log.add(
                "admin.pool.create", by: "admin", on: "2026-11-20T15:00:00Z", recordType: "pool",
                change: AuditChange(before: nil, after: ["name": "Pharmacy"]))
            try await log.add("session.sign_in", by: "alex", on: "2026-11-21T15:00:00Z")
            let admin = try await demo.client("admin")
            let download = try await admin.get("/admin/audit-events/export?format=ndjson&action=admin.")
            #expect(download.status == .ok)
            #expect(download.headers.first(name: .contentDisposition)?.contains("attachment") == true)
            // Oldest first; the export's own event (admin.audit.export) is written before it and is the last line.
            let lines = download.body.split(separator: "\n").map(String.init)
            #expect(lines.count == 2)
            #expect(lines.last?.contains("\"admin.audit.export\"") == true)
            let event = try #require(
                try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
            #expect(event["action"] as? String == "admin.pool.create")
            #expect(event["before"] is NSNull)
            #expect(event["after"] as? [String: String] == ["name": "Pharmacy"])
            #expect(event["occurred_at"] as? String == "2026-11-20T15:00:00.000Z")
            #expect(event["actor_username"] as? String == "admin")
            #expect(Set(event.keys) == Set(AuditExport.columns))
            #expect(try await admin.get("/admin/audit-events/export?format=xml").status == .unprocessableEntity)
        }
    }

    @Test func auditEventListsExactlyItsReflectedProperties() {
        let event = AuditEvent()
        let reflected = Mirror(reflecting: event).children.compactMap { $0.value as? any AnyProperty }
        #expect(
            Set(event.properties.map { ObjectIdentifier($0 as AnyObject) })
                == Set(reflected.map { ObjectIdentifier($0 as AnyObject) }))
    }

    @Test func csvFieldsFollowRFC4180AndNeverStartAFormula() {
        #expect(AuditExport.csvField("plain") == "plain")
        #expect(AuditExport.csvField("a,b") == "\"a,b\"")
        #expect(AuditExport.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(AuditExport.csvField("two\r\nlines") == "\"two\r\nlines\"")
        #expect(AuditExport.csvField("=1+1") == "'=1+1")
        #expect(AuditExport.csvField("+1") == "'+1")
        #expect(AuditExport.csvField("-1") == "'-1")
        #expect(AuditExport.csvField("@SUM(A1)") == "'@SUM(A1)")
        #expect(AuditExport.csvField("=A1,B1") == "\"'=A1,B1\"")
    }

    // MARK: Verify chain

    @Test func anAlteredRowIsNamedByVerifyChainAndByTheCommand() async throws {
        try await withDemoAPI { demo in
            let log = AuditSeed(demo)
            for day in 1...5 { try await log.add("session.sign_in", by: "alex", on: "2026-11-0\(day)T15:00:00Z") }
            try await demo.browser.signIn("admin")
            let intact = try await demo.browser.post("/administration/audit/verify", [:])
            #expect(intact.status == .ok)
            #expect(intact.body.contains("The audit chain is intact: 6 events checked in the whole log."))
            #expect(try await AuditCommandRun.verify(demo.app).output.contains("The audit chain is intact: 6 events."))

            let altered = try #require(try await AuditEvent.query(on: demo.app.db).filter(\.$sequence == 3).first())
            let sql = demo.app.db.sql()
            try await AuditQueries.removeAppendOnlyGuards(on: sql)
            try await sql.raw("UPDATE audit_events SET action = 'session.sign_out' WHERE sequence = 3").run()
            try await AuditQueries.installAppendOnlyGuards(on: sql)

            let id = altered.id!.uuidString.lowercased()
            let page = try await demo.browser.post("/administration/audit/verify", [:])
            #expect(
                page.body.contains(
                    "The audit chain is broken at event 3 (id \(id), recorded 2026-11-03 09:00:00 America/Chicago)"))
            #expect(page.body.contains("2 events before it are intact."))

            let admin = try await demo.client("admin")
            let api = try await admin.send(.POST, "/admin/audit-events/verify", json: [:])
            #expect(api.json["intact"] as? Bool == false)
            let broken = try #require(api.json["broken"] as? [String: Any])
            #expect(broken["sequence"] as? Int == 3)
            #expect((broken["id"] as? String)?.lowercased() == id)
            #expect(broken["occurredAt"] as? String == "2026-11-03T15:00:00.000Z")

            let run = try await AuditCommandRun.verify(demo.app)
            let failure = try #require(run.error as? AuditVerifyCommand.ChainBroken)
            #expect(failure.event.sequence == 3)
            #expect(failure.description.contains("broken at event 3 (id \(id), occurred 2026-11-03T15:00:00.000Z)"))
            let alias = try await AuditCommandRun.run(demo.app, ["verify-audit"])
            #expect((alias.error as? AuditVerifyCommand.ChainBroken)?.event.sequence == 3)
        }
    }

    @Test func aChangedDetailOrAMissingEventBreaksTheChainToo() async throws {
        try await withDemoAPI { demo in
            let log = AuditSeed(demo)
            try await log.add(
                "admin.settings.update", by: "admin", on: "2026-11-02T15:00:00Z",
                change: AuditChange(before: ["reply_days": "3"], after: ["reply_days": "2"]))
            for day in 3...4 { try await log.add("session.sign_in", by: "alex", on: "2026-11-0\(day)T15:00:00Z") }
            let sql = demo.app.db.sql()
            try await AuditQueries.removeAppendOnlyGuards(on: sql)
            try await sql.raw(
                "UPDATE audit_events SET detail = '{\"after\":{\"reply_days\":\"9\"},\"before\":{\"reply_days\":\"3\"}}' WHERE sequence = 1"
            ).run()
            #expect(try await AuditLog.verify(on: demo.app.db) == .broken(atSequence: 1))
            // The last event removed: the chain head still names it.
            try await sql.raw("DELETE FROM audit_events WHERE sequence = 3").run()
            let report = try await AuditLog.verify(
                on: demo.app.db, range: AuditChainRange(from: date("2026-11-03T00:00:00Z")))
            #expect(report.broken == .init(sequence: 3, id: nil, occurredAt: nil))
            #expect(report.events == 1)
        }
    }

    @Test func aRangeVerifyChecksItsDaysAndTheirLinkToTheEventBefore() async throws {
        try await withDemoAPI { demo in
            let log = AuditSeed(demo)
            for day in 1...6 { try await log.add("session.sign_in", by: "alex", on: "2026-11-0\(day)T15:00:00Z") }
            let sql = demo.app.db.sql()
            try await AuditQueries.removeAppendOnlyGuards(on: sql)
            try await sql.raw("UPDATE audit_events SET address = '10.0.0.1' WHERE sequence = 2").run()
            try await AuditQueries.installAppendOnlyGuards(on: sql)

            let admin = try await demo.client("admin")
            let later = try await admin.send(
                .POST, "/admin/audit-events/verify", json: ["from": "2026-11-04", "to": "2026-11-05"])
            #expect(later.json["intact"] as? Bool == true)
            #expect(later.json["events"] as? Int == 2)
            // From the 3rd: event 3 must still name event 2's stored hash, and it does; event 2 itself is outside.
            let fromThird = try await admin.send(.POST, "/admin/audit-events/verify", json: ["from": "2026-11-03"])
            #expect(fromThird.json["intact"] as? Bool == true)
            let second = try await admin.send(
                .POST, "/admin/audit-events/verify", json: ["from": "2026-11-02", "to": "2026-11-02"])
            #expect((second.json["broken"] as? [String: Any])?["sequence"] as? Int == 2)
            let bad = try await admin.send(.POST, "/admin/audit-events/verify", json: ["from": "2026-11-31"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.json["field"] as? String == "from")

            try await demo.browser.signIn("admin")
            let page = try await demo.browser.post(
                "/administration/audit/verify", ["verify_from": "2026-11-04", "verify_to": "2026-11-05"])
            #expect(page.body.contains("The audit chain is intact: 2 events checked in the chosen dates."))

            let ranged = try await AuditCommandRun.run(
                demo.app, ["audit", "verify", "--from", "2026-11-04", "--to", "2026-11-06"])
            #expect(ranged.error == nil)
            #expect(ranged.output.contains("The audit chain is intact: 3 events."))
            let broken = try await AuditCommandRun.run(demo.app, ["audit", "verify", "--to", "2026-11-02"])
            #expect((broken.error as? AuditVerifyCommand.ChainBroken)?.event.sequence == 2)
            let usage = try await AuditCommandRun.run(demo.app, ["audit", "verify", "--from", "yesterday"])
            #expect(usage.error is CommandUsageError)
        }
    }
}

private func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

/// Appends events straight to the log, as the services would, at given times.
private struct AuditSeed {
    let demo: DemoAPI

    init(_ demo: DemoAPI) { self.demo = demo }

    func add(
        _ action: String, by actor: String, for patient: String? = nil, on day: String, recordType: String? = nil,
        address: String = "192.0.2.1", change: AuditChange? = nil
    ) async throws {
        try await add(
            action, by: actor, for: patient, at: date(day), recordType: recordType, address: address, change: change)
    }

    func add(
        _ action: String, by actor: String, for patient: String? = nil, at when: Date, recordType: String? = nil,
        address: String = "192.0.2.1", change: AuditChange? = nil
    ) async throws {
        let organization = try await User.find(demo.user(actor), on: demo.app.db)!.$organization.id
        try await AuditLog.append(
            AuditEntry(action: action, recordType: recordType, recordID: nil, change: change),
            context: AuditContext(
                organizationID: organization, actorID: demo.user(actor), actingForID: patient.map(demo.user),
                address: address),
            at: when, on: demo.app.db)
    }
}

/// A second organisation with its own administrator and patient.
private struct OtherOrganization {
    let organization: UUID
    let patient: UUID
    let patientUsername = "pat.other"
    let adminUsername = "ada.other"

    static func make(_ demo: DemoAPI) async throws -> OtherOrganization {
        let world = try await WorldBuilder.make(demo.app, name: "Lakeside Clinic")
        let patient = try await world.person("Pat Other", roles: [.patient])
        _ = try await world.person("Ada Other", roles: [.admin])
        return OtherOrganization(organization: world.organization, patient: patient)
    }
}

/// Runs a `carebox` command inside the test's application, with its output captured.
enum AuditCommandRun {
    struct Result {
        let output: String
        let error: (any Error)?
    }

    static func verify(_ app: Application) async throws -> Result {
        try await run(app, ["audit", "verify"])
    }

    static func run(_ app: Application, _ arguments: [String]) async throws -> Result {
        let console = CapturingConsole()
        var context = CommandContext(console: console, input: CommandInput(arguments: ["carebox"] + arguments))
        context.application = app
        let group = AsyncCommands(commands: app.asyncCommands.commands).group()
        do {
            try await console.run(group, with: context)
            return Result(output: console.text, error: nil)
        } catch {
            return Result(output: console.text, error: error)
        }
    }
}

private final class CapturingConsole: Console, @unchecked Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    private let info = NIOLockedValueBox<[AnySendableHashable: any Sendable]>([:])

    var text: String { lines.withLockedValue { $0.joined() } }
    var size: (width: Int, height: Int) { (120, 40) }
    var userInfo: [AnySendableHashable: any Sendable] {
        get { info.withLockedValue { $0 } }
        set { info.withLockedValue { $0 = newValue } }
    }

    func input(isSecure: Bool) -> String { "" }
    func output(_ text: ConsoleText, newLine: Bool) {
        lines.withLockedValue { $0.append(text.description + (newLine ? "\n" : "")) }
    }
    func clear(_ type: ConsoleClear) {}
    func report(error: String, newLine: Bool) {
        lines.withLockedValue { $0.append(error + (newLine ? "\n" : "")) }
    }
}

extension TestBrowser.Page {
    /// The sequence numbers of the audit rows shown, top to bottom.
    var rowSequences: [Int64] {
        body.components(separatedBy: "<tr id=\"event-").dropFirst().compactMap { Int64($0.prefix { $0.isNumber }) }
    }

    /// The href of the link with this rel, as the page has it (HTML-unescaped).
    func link(rel: String) -> String? {
        guard
            let tail = body.components(separatedBy: "rel=\"\(rel)\"").first?.components(separatedBy: "<a href=\"").last,
            body.contains("rel=\"\(rel)\"")
        else { return nil }
        return String(tail.prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
    }
}

extension APIClient {
    /// The actions of the events a search finds, newest first.
    fileprivate func auditActions(_ query: String) async throws -> [String] {
        let reply = try await get("/admin/audit-events?\(query)")
        #expect(reply.status == .ok, "\(query): \(reply.body)")
        return (reply.json["items"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
    }
}
