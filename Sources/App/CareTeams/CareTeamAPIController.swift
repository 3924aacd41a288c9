import Vapor

/// The care team's routes under `/api/v1`: the In Basket, and claiming, assigning, Done and reopen.
struct CareTeamAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("in-basket", use: inBasket)
        let conversation = routes.grouped("conversations", ":conversationID")
        conversation.post("claim", use: claim)
        conversation.get("assignees", use: assignees)
        conversation.post("assign", use: assign)
        conversation.post("done", use: done)
        conversation.post("reopen", use: reopen)
    }

    @Sendable func inBasket(request: Request) async throws -> Response {
        let text = try? request.query.get(String.self, at: "filter")
        guard let filter = InBasketFilter(text) else {
            throw MessagingError(
                .unprocessableEntity, "invalid_filter",
                "filter must be open, unread, assigned, overdue, done or pool:<id>.",
                field: "filter")
        }
        let page = try request.pageQuery()
        return try await request.careTeamWork().inBasket(filter, cursor: page.cursor, limit: page.limit)
            .encodeResponse(for: request)
    }

    @Sendable func claim(request: Request) async throws -> ConversationResponse {
        try await request.careTeamWork().claim(try request.uuidParameter("conversationID"))
    }

    @Sendable func assignees(request: Request) async throws -> [PersonResponse] {
        try await request.careTeamWork().assignees(for: try request.uuidParameter("conversationID"))
    }

    struct AssignRequest: Content {
        var assigneeId: UUID?
        /// Who the caller saw holding it: the assignment happens only if that is still so. Without it, only a
        /// conversation held by no one, by the caller or by the assignee already is assigned.
        var expectedAssigneeId: UUID?
    }

    @Sendable func assign(request: Request) async throws -> ConversationResponse {
        let input = try request.content.decode(AssignRequest.self)
        return try await request.careTeamWork().assign(
            try request.uuidParameter("conversationID"), to: input.assigneeId, expected: input.expectedAssigneeId)
    }

    @Sendable func done(request: Request) async throws -> ConversationResponse {
        try await request.careTeamWork().markDone(try request.uuidParameter("conversationID"))
    }

    @Sendable func reopen(request: Request) async throws -> ConversationResponse {
        try await request.careTeamWork().reopen(try request.uuidParameter("conversationID"))
    }
}

extension CareTeamWork.InBasketResponse: Content {}
