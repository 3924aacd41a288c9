/// What a login may do. One login can hold several roles: a parent is a patient and a proxy for a child.
public enum Role: String, Codable, CaseIterable, Sendable {
    case patient
    case proxy
    case provider
    case staff
    case admin

    /// Providers and staff answer messages; they share the care-team home.
    public var isCareTeam: Bool { self == .provider || self == .staff }
}

/// The page a user lands on after signing in.
public enum LandingPage: String, Sendable, Equatable {
    case today = "/today"
    case careTeam = "/care-team"
    case administration = "/administration"

    /// Patients and proxies land on Today even if they also work for the care team: the patient portal is the
    /// portal's front door. Care-team members without a patient side land on their home, admins on theirs.
    public static func `for`(_ roles: Set<Role>) -> LandingPage {
        if roles.contains(.patient) || roles.contains(.proxy) { return .today }
        if roles.contains(where: \.isCareTeam) { return .careTeam }
        return .administration
    }
}
