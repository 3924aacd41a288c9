import Fluent

/// The username and password someone chooses for their own new account (signing up with an activation code, or
/// accepting a proxy invitation), checked as the forms show it: each problem by form field.
enum NewCredentials {
    static let usernameTaken = "That username is taken. Choose another."
    static let passwordsDiffer = "The two passwords are not the same. Type it again in both boxes."

    static func problems(
        username: String, password: String, confirmation: String?, rules: PasswordRules, on db: any Database
    ) async throws -> [String: String] {
        var problems: [String: String] = [:]
        if username.isEmpty {
            problems["username"] = "Choose a username."
        } else if !PersonFields.isValid(username: username) {
            problems["username"] = PersonFields.usernameRule
        } else if try await User.query(on: db).filter(\.$username == username).count() > 0 {
            problems["username"] = usernameTaken
        }
        if let problem = rules.problem(with: password, username: username) {
            problems["new_password"] = problem
        } else if password != confirmation {
            problems["confirm_password"] = passwordsDiffer
        }
        return problems
    }
}
