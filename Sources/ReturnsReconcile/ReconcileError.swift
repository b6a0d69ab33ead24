/// Why a reconciliation could not run. Each case carries where the problem is and what to do about it.
public enum ReconcileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A problem in the file at a line and column (1-based; the column is the CSV column number).
    case badRow(file: String, line: Int, column: Int, reason: String)
    /// The file cannot be read at all.
    case unreadable(file: String, reason: String)
    /// The command line asks for something impossible (a bad --map, an unknown partner).
    case usage(String)
    /// Several problems, one per line, all found before anything was applied.
    case many([ReconcileError])

    public var description: String {
        switch self {
        case .badRow(let file, let line, let column, let reason): "\(file):\(line):\(column): \(reason)"
        case .unreadable(let file, let reason): "\(file): \(reason)"
        case .usage(let reason): reason
        case .many(let problems): problems.map(\.description).joined(separator: "\n")
        }
    }
}
