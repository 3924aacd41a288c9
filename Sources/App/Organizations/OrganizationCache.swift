import Domain
import Fluent
import NIOConcurrencyHelpers
import Vapor

/// Each organisation's messaging settings, business calendar and message types, kept in memory for a short while. Every messaging
/// request needs them, and they change rarely (an administrator editing the organisation), so reading them twice a
/// request was the largest fixed cost of a request. A change is seen by every server within `lifetime` seconds.
final class OrganizationCache: Sendable {
    struct Entry: Sendable {
        let settings: OrganizationSettings
        let calendar: BusinessCalendar
        /// In the order patients see them.
        let messageTypes: [MessageTypeSettings]
    }

    static let lifetime: TimeInterval = 30
    private let entries = NIOLockedValueBox<[UUID: (entry: Entry, expires: Date)]>([:])

    /// The organisation's settings and calendar; nil if it does not exist or its time zone is unknown.
    func entry(for id: UUID, at now: Date, on db: any Database) async throws -> Entry? {
        if let cached = entries.withLockedValue({ $0[id] }), cached.expires > now { return cached.entry }
        guard let organization = try await Organization.find(id, on: db),
            let timeZone = TimeZone(identifier: organization.timeZone)
        else { return nil }
        let holidays = try await OrganizationHoliday.query(on: db).filter(\.$organization.$id == id).all(\.$date)
        let types = try await MessageType.query(on: db).filter(\.$organization.$id == id).with(\.$pools)
            .sort(\.$position).all()
        let entry = Entry(
            settings: OrganizationSettings(organization),
            calendar: BusinessCalendar(timeZone: timeZone, holidays: Set(holidays.compactMap(CalendarDate.init))),
            messageTypes: types.map(MessageTypeSettings.init))
        entries.withLockedValue { $0[id] = (entry, now.addingTimeInterval(Self.lifetime)) }
        return entry
    }

    /// Drops what this server holds for the organisation, so its next request reads the change just made. Other
    /// servers see it when their entry expires, within `lifetime`.
    func forget(_ id: UUID) {
        _ = entries.withLockedValue { $0.removeValue(forKey: id) }
    }
}

extension Application {
    private struct OrganizationCacheKey: StorageKey {
        typealias Value = OrganizationCache
    }

    var organizations: OrganizationCache {
        get {
            guard let cache = storage[OrganizationCacheKey.self] else { fatalError("configure(_:_:) has not run") }
            return cache
        }
        set { storage[OrganizationCacheKey.self] = newValue }
    }
}

/// A message type as messaging uses it: its rule, and what lists show.
struct MessageTypeSettings: Sendable {
    let id: UUID
    let name: String
    let description: String
    let rule: MessageTypeRule

    /// Retired pools are left out: they are offered no more, whichever types name them.
    init(_ type: MessageType) {
        id = type.id!
        name = type.name
        description = type.description
        rule = MessageTypeRule(
            id: MessageTypeID(type.id!), offersCareTeam: type.offersCareTeam,
            pools: Set(type.pools.filter { $0.retiredAt == nil }.compactMap(\.id).map(PoolID.init)),
            allowsConfidentiality: type.allowsConfidentiality, allowsAttachments: type.allowsAttachments,
            startedBy: type.starters, retired: type.retiredAt != nil)
    }
}
