import Fluent
import Foundation
import SQLKit

/// The two statements live updates run besides the pages' own: who may hear of a conversation, and which of a set
/// of sessions are still open. Both read by primary key; `LiveUpdatesQueriesTests` runs them on both databases.
enum LiveUpdatesQueries {
    /// The ids that decide who sees a conversation: its patient (and so their proxies), provider, pool and assignee.
    struct ConversationAudience: Decodable, Sendable {
        let organizationId: UUID
        let patientId: UUID
        let recipientProviderId: UUID?
        let recipientPoolId: UUID?
        let assigneeId: UUID?
    }

    static func audience(of conversation: UUID, on db: any Database) async throws -> ConversationAudience? {
        try await db.sql().raw(
            """
            SELECT organization_id, patient_id, recipient_provider_id, recipient_pool_id, assignee_id
            FROM conversations WHERE id = \(bind: conversation)
            """
        ).first(decoding: ConversationAudience.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    /// A session's start and last activity, when it exists and its user is not deactivated.
    struct SessionTimes: Decodable, Sendable {
        let id: UUID
        let createdAt: Date
        let lastSeenAt: Date
    }

    /// The sessions among `ids` that still exist, for a deactivated user none. Read only: checking a session for a
    /// stream must not keep it alive.
    static func sessions(_ ids: [UUID], on db: any Database) async throws -> [UUID: SessionTimes] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await db.sql().raw(
            """
            SELECT user_sessions.id AS id, user_sessions.created_at AS created_at,
                user_sessions.last_seen_at AS last_seen_at
            FROM user_sessions JOIN users ON users.id = user_sessions.user_id
            WHERE users.deactivated_at IS NULL AND user_sessions.id IN (\(binds: ids))
            """
        ).all(decoding: SessionTimes.self, keyDecodingStrategy: .convertFromSnakeCase)
        return Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
