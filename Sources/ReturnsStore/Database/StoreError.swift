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
    /// A lock (a return's row, most often) was held by another session for longer than the transaction may wait;
    /// nothing was written, and the same command can be sent again shortly.
    case lockTimeout(limit: String)
    /// A statement ran longer than the transaction allows, and was cancelled; nothing was written.
    case statementTimeout(limit: String)

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
        case .lockTimeout(let limit):
            return "another session held a lock this needs for longer than \(limit) (lock_timeout); nothing was "
                + "written, retry shortly"
        case .statementTimeout(let limit):
            return "a statement ran longer than \(limit) (statement_timeout) and was cancelled; nothing was written"
        case .workflowChangedWithoutNewVersion(let name, let version):
            return "Workflows/\(name).yaml changed but still says version \(version), which is already deployed with "
                + "other content; raise its version so returns in flight keep the one they started with"
        }
    }

    /// `error`, or the timeout it stands for when PostgreSQL cut a wait short under `limits`: SQLSTATE 55P03
    /// (lock_not_available) or 57014 (query_canceled; this program never cancels a statement otherwise).
    static func limited(_ error: any Error, by limits: TransactionLimits) -> any Error {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return error }
        switch state {
        case "55P03" where limits.lockTimeout != nil: return StoreError.lockTimeout(limit: limits.lockSetting)
        case "57014" where limits.statementTimeout != nil:
            return StoreError.statementTimeout(limit: limits.statementSetting)
        default: return error
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
    /// this connection, as `pg_terminate_backend` does), or 25006 (the server is a replica that refuses writes: the
    /// connection reached a primary being demoted in a switchover; `Database.transaction` closes it).
    public static func isConnectionFailure(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        guard let state = error.serverInfo?[.sqlState] else { return true }
        return state.hasPrefix("08") || state.hasPrefix("57") || state == "25006"
    }
}
