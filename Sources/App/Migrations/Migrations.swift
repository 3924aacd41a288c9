import Fluent

/// Every migration, in the order they run. Append only: a migration that has landed is never edited or reordered.
enum CareboxMigrations {
    static let all: [any Migration] = [
        CreateOrganizations(),
        CreateOrganizationHolidays(),
        CreateUsers(),
        CreateUserRoles(),
        CreatePools(),
        CreatePoolMembers(),
        CreateCareRelationships(),
        CreateProxyGrants(),
        CreateMessageTypes(),
        CreateMessageTypePools(),
        CreateUserSessions(),
        CreateSignInAttempts(),
        CreateConversations(),
        CreateMessages(),
        CreateConversationEvents(),
        CreateDrafts(),
        CreateConversationStates(),
        CreateAuditEvents(),
        CreateAPITokens(),
        CreateAttachments(),
        AddCareTeamFieldsToConversations(),
        AddSequencesToMessaging(),
        AddRequestHashToMessages(),
        AddUploadSafeguards(),
        CreateTrustedDevices(),
        AddAdministration(),
        AddVersionsToCareRelationshipsAndProxyGrants(),
        AddAuditEventIndexes(),
        AddNotifications(),
    ]
}
