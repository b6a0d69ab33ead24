import PostgresNIO

/// What went wrong in the database layer, with what the operator needs to act.
public enum StoreError: Error, CustomStringConvertible {
    case unreachable(target: String, detail: String)
    /// The connection closed while a statement was in flight; whether a transaction in flight committed is unknown
    /// to this process (a retry with the same idempotency key finds out).
    case connectionLost
    case migrationChanged(file: String, applied: String, now: String)
    case migrationFailed(file: String, statement: Int, detail: String)
    case workflowNotDeployed(name: String, version: Int?)
    case workflowChangedWithoutNewVersion(name: String, version: Int)

    public var description: String {
        switch self {
        case .unreachable(let target, let detail):
            return "cannot reach PostgreSQL at \(target): \(detail). Check DATABASE_URL, or unset it to use the embedded cluster"
        case .connectionLost:
            return "the connection to PostgreSQL closed during the operation; retry once the database is back"
        case .migrationChanged(let file, let applied, let now):
            return "migration \(file) was changed after it was applied (checksum \(applied.prefix(12)) applied, "
                + "\(now.prefix(12)) now); restore the file and put the change in a new migration"
        case .migrationFailed(let file, let statement, let detail):
            return "migration \(file), statement \(statement), failed: \(detail); nothing of it was applied"
        case .workflowNotDeployed(let name, let version):
            return "workflow '\(name)'\(version.map { " version \($0)" } ?? "") is not deployed; "
                + "check Workflows/\(name).yaml exists and passes `returns workflow check`"
        case .workflowChangedWithoutNewVersion(let name, let version):
            return "Workflows/\(name).yaml changed but still says version \(version), which is already deployed with "
                + "other content; raise its version so returns in flight keep the one they started with"
        }
    }

    /// A PostgreSQL error as the operator should read it: the server's message and code, not just the error type.
    public static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let code = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                let detail = error.serverInfo?[.detail].map { "; \($0)" } ?? ""
                return message + detail + code
            }
            return String(reflecting: error)
        }
        return String(describing: error)
    }

    /// Whether `error` is PostgreSQL's, or the connection's to it, as opposed to one of this program's own.
    public static func isDatabaseError(_ error: any Error) -> Bool {
        error is PSQLError
    }

    /// Whether a database error says the connection failed, not the statement: no server error code at all, or
    /// SQLSTATE class 08 (connection exception) or 57 (the server is shutting down, restarting, or an operator ended
    /// this connection, as `pg_terminate_backend` does).
    public static func isConnectionFailure(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        guard let state = error.serverInfo?[.sqlState] else { return true }
        return state.hasPrefix("08") || state.hasPrefix("57")
    }
}
