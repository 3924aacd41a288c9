import Foundation

/// The actions the audit log records, in words an administrator reads, and the families the search offers.
enum AuditActions {
    struct Choice: Sendable, Equatable {
        let value: String
        let label: String
    }

    /// Families first (a value ending in a dot matches every action that starts with it), then single actions.
    static let families: [Choice] = [
        Choice(value: "admin.", label: "All administration changes"),
        Choice(value: "session.", label: "All sign-ins and sign-outs"),
        Choice(value: "conversation.", label: "All conversation actions"),
        Choice(value: "message.", label: "All message actions"),
        Choice(value: "draft.", label: "All draft actions"),
        Choice(value: "attachment.", label: "All attachment actions"),
    ]

    static let words: [String: String] = [
        "session.sign_in": "Signed in",
        "session.sign_out": "Signed out",
        "conversation.start": "Started a conversation",
        "conversation.read": "Opened a conversation",
        "conversation.edit": "Edited a conversation's details",
        "conversation.claim": "Claimed a conversation",
        "conversation.assign": "Assigned a conversation",
        "conversation.done": "Marked a conversation done",
        "conversation.reopen": "Reopened a conversation",
        "message.send": "Sent a message",
        "draft.list": "Listed drafts",
        "draft.read": "Opened a draft",
        "draft.save": "Saved a draft",
        "draft.discard": "Discarded a draft",
        "attachment.upload": "Uploaded an attachment",
        "attachment.download": "Downloaded an attachment",
        "admin.settings.update": "Changed the settings",
        "admin.holiday.add": "Added a holiday",
        "admin.holiday.remove": "Removed a holiday",
        "admin.holiday.load_federal": "Loaded US federal holidays",
        "admin.message_type.create": "Created a message type",
        "admin.message_type.update": "Changed a message type",
        "admin.message_type.reorder": "Moved a message type",
        "admin.message_type.retire": "Retired a message type",
        "admin.message_type.restore": "Restored a message type",
        "admin.pool.create": "Created a pool",
        "admin.pool.rename": "Renamed a pool",
        "admin.pool.retire": "Retired a pool",
        "admin.pool.restore": "Restored a pool",
        "admin.pool.member.add": "Added a pool member",
        "admin.pool.member.remove": "Removed a pool member",
        "admin.person.create": "Added a person",
        "admin.person.update": "Changed a person's details",
        "admin.person.deactivate": "Deactivated an account",
        "admin.person.reactivate": "Reactivated an account",
        "admin.person.temporary_password": "Set a temporary password",
        "admin.care_relationship.create": "Added a care relationship",
        "admin.care_relationship.end": "Ended a care relationship",
        "admin.proxy_grant.create": "Granted proxy access",
        "admin.proxy_grant.revoke": "Revoked proxy access",
        "admin.audit.export": "Exported the audit log",
    ]

    static var single: [Choice] {
        words.keys.sorted().map { Choice(value: $0, label: words[$0]!) }
    }

    /// "Signed in", "Created a pool"; an action without words (a newer one) as its code.
    static func describe(_ action: String) -> String {
        words[action] ?? action
    }

    /// Lower-case words joined by dots, at most 64 characters; a trailing dot names a family.
    static func isWellFormed(_ action: String) -> Bool {
        guard (1...64).contains(action.count), !action.hasPrefix(".") else { return false }
        let parts = action.split(separator: ".", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            if part.isEmpty { return index == parts.count - 1 && index > 0 }
            guard part.allSatisfy({ ("a"..."z").contains($0) || $0 == "_" }) else { return false }
        }
        return true
    }
}
