import Fluent
import SQLKit

extension Database {
    /// The SQLKit view of a Fluent database, for indexes and the few queries Fluent cannot express. Both drivers
    /// Carebox supports are SQL databases, so this always succeeds.
    func sql() -> any SQLDatabase {
        guard let sql = self as? any SQLDatabase else {
            preconditionFailure("Carebox runs on SQL databases only (SQLite, PostgreSQL)")
        }
        return sql
    }
}
