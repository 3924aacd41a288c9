import Vapor

/// Every route collection, on one screen.
func routes(_ app: Application) throws {
    let web = app.grouped(SessionAuthenticator(), CSRFMiddleware())
    try web.register(collection: SignInController())

    let signedIn = web.grouped(RequireSignIn())
    try signedIn.register(collection: HomeController())
}
