/// How a person is named on pages: "Dr. Maya Chen", "Nina Torres, RN", "Alex Rivera".
public struct PersonName: Hashable, Sendable {
    public let name: String
    public let title: String?
    public let credentials: String?

    public init(name: String, title: String? = nil, credentials: String? = nil) {
        self.name = name
        self.title = title
        self.credentials = credentials
    }

    public var displayName: String {
        let titled = [title, name].compactMap { $0 }.joined(separator: " ")
        return credentials.map { "\(titled), \($0)" } ?? titled
    }
}
