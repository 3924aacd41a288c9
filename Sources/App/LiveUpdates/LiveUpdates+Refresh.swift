import Domain
import Fluent
import Foundation
import NIOCore

extension LiveUpdates {
    /// Looks at a stream's user afresh and sends what changed for them: the session (ended: the stream ends), then,
    /// through the pages' own rules and SQL scope, the unread count, the viewed conversation's latest message number,
    /// and whether an In Basket conversation they work changed. A conversation they may not see is never mentioned:
    /// its check fails as the page's would (404), and nothing is sent.
    func refresh(_ stream: LiveStream, touched: [UUID]) async {
        guard let db = self.db else { return }
        do {
            let now = config.clock.now()
            guard let found = try await CredentialLookup.session(hash: stream.tokenHash, on: db),
                found.user.sessionID == stream.sessionID, let createdAt = found.createdAt,
                let lastSeenAt = found.lastSeenAt,
                config.sessionPolicy.isAlive(createdAt: createdAt, lastSeenAt: lastSeenAt, now: now)
            else {
                close(stream, reason: "session-ended")
                return
            }
            let context: MessagingContext
            do {
                context = try await MessagingContext.resolve(
                    user: found.user, organizations: organizations, at: now, from: nil, on: db)
            } catch let error as MessagingError where error == .notFound {
                close(stream, reason: "unavailable")
                return
            }
            locked { stream.audience = LiveStream.Audience(context) }
            let store = MessagingStore(db: db, writes: writes, context: context)
            var out = ""

            let reading = ReadConversation(store: store)
            let unread = try await reading.unreadInbox(patient: try await reading.viewedPatient(chosen: stream.viewing))
            if locked({ stream.lastUnread != unread }) {
                locked { stream.lastUnread = unread }
                out += LiveMessage.unread(unread)
            }

            if let id = stream.conversationID, let row = try await visible(id, in: store) {
                let seq = row.conversation.lastMessageSeq
                let isNew = locked {
                    guard seq > stream.lastSeq else { return false }
                    stream.lastSeq = seq
                    return true
                }
                if isNew { out += LiveMessage.message(in: id, seq: seq) }
            }

            if stream.watchesInBasket, context.actor.roles.contains(where: \.isCareTeam) {
                for id in touched {
                    guard try await visible(id, in: store)?.side == .careTeam else { continue }
                    out += LiveMessage.inBasket
                    break
                }
            }
            if !out.isEmpty { write(stream, ByteBuffer(string: out)) }
        } catch {
            // The database did not answer: this refresh is lost, the next event or reconnection catches up.
            logger.debug("Live update refresh failed", metadata: ["error": "\(type(of: error))"])
        }
    }

    /// The conversation as the pages would show it to the store's actor, or nil where they would answer 404.
    private func visible(_ id: UUID, in store: MessagingStore) async throws -> VisibleConversation? {
        do {
            return try await store.conversation(id, withState: false)
        } catch let error as MessagingError where error == .notFound {
            return nil
        }
    }
}
