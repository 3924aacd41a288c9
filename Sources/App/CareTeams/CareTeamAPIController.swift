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
        guard let filter = CareTeamService.Filter(text) else {
            throw MessagingError(
                .unprocessableEntity, "invalid_filter",
                "filter must be open, unread, assigned, overdue, done or pool:<id>.",
                field: "filter")
        }
        return try await request.careTeam().inBasket(filter).encodeResponse(for: request)
    }

    @Sendable func claim(request: Request) async throws -> ConversationResponse {
        try await request.careTeam().claim(try request.uuidParameter("conversationID"))
    }

    @Sendable func assignees(request: Request) async throws -> [PersonResponse] {
        try await request.careTeam().assignees(for: try request.uuidParameter("conversationID"))
    }

    struct AssignRequest: Content {
        var assigneeId: UUID?
    }

    @Sendable func assign(request: Request) async throws -> ConversationResponse {
        let input = try request.content.decode(AssignRequest.self)
        return try await request.careTeam().assign(try request.uuidParameter("conversationID"), to: input.assigneeId)
    }

    @Sendable func done(request: Request) async throws -> ConversationResponse {
        try await request.careTeam().markDone(try request.uuidParameter("conversationID"))
    }

    @Sendable func reopen(request: Request) async throws -> ConversationResponse {
        try await request.careTeam().reopen(try request.uuidParameter("conversationID"))
    }
}

extension CareTeamService.InBasketResponse: Content {}

extension Request {
    func careTeam() async throws -> CareTeamService {
        CareTeamService(db: db, writes: application.writes, context: try await messagingContext())
    }
}
