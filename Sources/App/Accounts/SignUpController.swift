import Domain
import Fluent
import Vapor

/// "Sign Up with an Activation Code" (docs/accounts.md): the code the clinic gave, the patient's date of birth, and the
/// username and password they choose, on one page that works without JavaScript. A wrong code and a wrong date of
/// birth get the same answer, and count against the address as failed sign-ins do; five wrong dates of birth void
/// the code. Nothing about the username or password is judged until the code and date of birth are right.
struct SignUpController: RouteCollection {
    static let path = "/sign-up"
    /// What failed tries are filed under in `sign_in_attempts`: not a username anyone can have (no `#`).
    static let attemptName = "#activation-code"

    func boot(routes: any RoutesBuilder) throws {
        routes.get("sign-up", use: show)
        routes.post("sign-up", use: signUp)
    }

    struct Form: Content {
        var activation_code: String?
        var birth_date: String?
        var username: String?
        var new_password: String?
        var confirm_password: String?
    }

    struct Page: Encodable {
        let layout: LayoutModel
        let code: String
        let birthDate: String
        let username: String
        let minimumLength: Int
        /// Said at the top: a wrong code or birth date, or too many tries.
        let error: String?
        let errors: [String: String]
        let errorSummary: [ErrorSummaryItem]
    }

    static let wrongCodeOrBirthDate =
        "The activation code or date of birth is not right. Check both and try again, or ask your clinic for a new code."

    @Sendable func show(request: Request) async throws -> Response {
        if let user = request.auth.get(SignedInUser.self) {
            return request.redirect(to: user.landingPage.rawValue)
        }
        return try await render(request, Form(), status: .ok)
    }

    @Sendable func signUp(request: Request) async throws -> Response {
        let form = try request.content.decode(Form.self)
        let (now, address) = (request.now, request.clientAddress)
        var missing: [String: String] = [:]
        if (form.activation_code ?? "").isEmpty { missing["activation_code"] = "Enter the activation code." }
        if (form.birth_date ?? "").isEmpty { missing["birth_date"] = "Enter your date of birth." }
        guard missing.isEmpty else { return try await render(request, form, errors: missing) }

        if let wait = try await throttled(request) {
            return wait.marking(
                try await render(request, form, error: wait.sentence("Too many tries."), status: .tooManyRequests))
        }
        let sql = request.db.sql()
        let code = try await ActivationCodes.usable(form.activation_code ?? "", at: now, on: sql)
        guard let code, let birthDate = code.birthDate, CalendarDate(form.birth_date ?? "")?.description == birthDate
        else {
            try await request.application.writes.transaction(on: request.db) { db in
                try await SignInAttempt(username: Self.attemptName, address: address, succeeded: false, at: now)
                    .create(on: db)
                if let code { try await ActivationCodes.recordFailure(of: code.id, at: now, on: db.sql()) }
                try await AuditLog.append(
                    AuditEntry(
                        action: "account.activate", recordType: code == nil ? nil : "user",
                        recordID: code?.patientID, outcome: "failure"),
                    context: AuditContext(
                        organizationID: code?.organizationID, actorID: nil, actingForID: nil, address: address),
                    at: now, on: db)
            }
            return try await render(request, form, error: Self.wrongCodeOrBirthDate)
        }

        let username = User.normalize(username: form.username ?? "")
        let password = form.new_password ?? ""
        let errors = try await NewCredentials.problems(
            username: username, password: password, confirmation: form.confirm_password,
            rules: request.application.passwordRules, on: request.db)
        guard errors.isEmpty else { return try await render(request, form, errors: errors) }

        let hash = try await request.password.async.hash(password)
        let token: String?
        do {
            token = try await request.application.writes.transaction(on: request.db) { db -> String? in
                // Of two sign-ups with one code at once, only one finds it unused.
                guard try await ActivationCodes.use(code.id, at: now, on: db.sql()) else { return nil }
                try await db.sql().raw(
                    """
                    UPDATE users SET username = \(bind: username), password_hash = \(bind: hash), \
                    must_change_password = \(bind: false), version = version + 1 \
                    WHERE id = \(bind: code.patientID) AND username IS NULL
                    """
                ).run()
                try await AuditLog.append(
                    AuditEntry(action: "account.activate", recordType: "user", recordID: code.patientID),
                    context: AuditContext(
                        organizationID: code.organizationID, actorID: code.patientID, actingForID: nil,
                        address: address),
                    at: now, on: db)
                return try await SessionStore(request: request, database: db).start(for: code.patientID)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // The username was taken between the check and the write.
            return try await render(request, form, errors: ["username": NewCredentials.usernameTaken])
        }
        guard let token else { return try await render(request, form, error: Self.wrongCodeOrBirthDate) }
        let response = request.redirect(to: LandingPage.today.rawValue, redirectType: .normal)
        response.cookies[SessionStore.cookieName] = SessionStore.cookie(
            token, secure: request.config.secureCookies, policy: request.config.sessionPolicy)
        return response
    }

    /// Minutes to wait when this address has failed too often lately, at sign-in or here.
    private func throttled(_ request: Request) async throws -> Wait? {
        let throttle = request.config.signInThrottle
        let failures = try await SignInAttempt.query(on: request.db).filter(\.$address == request.clientAddress)
            .filter(\.$succeeded == false).filter(\.$deviceID == nil)
            .filter(\.$attemptedAt > throttle.windowStart(now: request.now)).all(\.$attemptedAt)
        guard case .wait(let until) = throttle.decide(accountFailures: [], addressFailures: failures, now: request.now)
        else { return nil }
        return Wait(until: until, now: request.now)
    }

    /// The form again with what was typed, but never a password; 422 unless told otherwise.
    private func render(
        _ request: Request, _ form: Form, error: String? = nil, errors: [String: String] = [:],
        status: HTTPStatus = .unprocessableEntity
    ) async throws -> Response {
        let page = Page(
            layout: LayoutModel(request: request, title: "Sign Up"), code: form.activation_code ?? "",
            birthDate: form.birth_date ?? "", username: form.username ?? "",
            minimumLength: PasswordRules.minimumLength, error: error, errors: errors,
            errorSummary: ErrorSummaryItem.list(
                errors, order: ["activation_code", "birth_date", "username", "new_password", "confirm_password"]))
        return try await request.view.render("sign-up", page).encodeResponse(status: status, for: request)
    }
}
