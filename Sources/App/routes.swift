import Vapor

/// Every route collection, on one screen.
func routes(_ app: Application) throws {
    let web = app.grouped(SessionAuthenticator(), CSRFMiddleware())
    try web.register(collection: SignInController())

    let signedIn = web.grouped(RequireSignIn())
    try signedIn.register(collection: HomeController())
    try signedIn.register(collection: MessagesController())
    try signedIn.register(collection: CareTeamController())

    let api = app.grouped("api", "v1")
    try api.register(collection: OpenAPIController())
    let signedInAPI = api.grouped(SessionAuthenticator(), APIAuthenticator())
    try signedInAPI.register(collection: APITokensController())
    try signedInAPI.register(collection: MessagingAPIController())
    try signedInAPI.register(collection: AttachmentsAPIController())
    try signedInAPI.register(collection: CareTeamAPIController())
}
