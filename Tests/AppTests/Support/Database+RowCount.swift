import Fluent
import SQLKit

@testable import App

extension Database {
    /// How many rows a table holds; throws if it does not exist.
    func rowCount(of table: String) async throws -> Int {
        try await sql().select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from(table).first(decodingColumn: "n", as: Int.self) ?? 0
    }
}
