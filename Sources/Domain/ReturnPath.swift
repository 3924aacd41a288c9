/// Where to go back to after signing in. Only a path on this site is accepted, so a crafted sign-in link can never
/// send a user elsewhere (an open redirect).
public struct ReturnPath: Equatable, Sendable {
    public let path: String

    public init?(_ candidate: String?) {
        guard let candidate, candidate.hasPrefix("/"), !candidate.hasPrefix("//"), candidate.count <= 2048,
            !candidate.contains("\\"),
            !candidate.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }),
            !candidate.hasPrefix("/sign-in"), !candidate.hasPrefix("/sign-out")
        else { return nil }
        self.path = candidate
    }
}
