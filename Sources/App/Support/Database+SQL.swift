import Fluent
import FluentSQL
import SQLKit

extension Database {
    /// The SQLKit view of a Fluent database, for indexes and the queries written as SQL. Both drivers Carebox
    /// supports are SQL databases, so this always succeeds.
    func sql() -> any SQLDatabase {
        guard let sql = self as? any SQLDatabase else {
            preconditionFailure("Carebox runs on SQL databases only (SQLite, PostgreSQL)")
        }
        return sql
    }

    /// Models read with a SQL statement that selects their table's columns (`SELECT messages.* …`). The queries on
    /// every request are written this way: Fluent's query builder names and escapes every column of every
    /// statement, which cost more than running it.
    func models<M: Model>(_ type: M.Type, _ query: SQLQueryString) async throws -> [M] {
        try await sql().raw(query).all().map { try $0.decode(fluentModel: M.self) }
    }
}
