/// One thing wrong with a workflow file, located by line so an editor can jump to it.
public struct WorkflowProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var file: String
    public var line: Int
    public var message: String
    public var severity: Severity

    public init(file: String, line: Int, message: String, severity: Severity = .error) {
        self.file = file
        self.line = line
        self.message = message
        self.severity = severity
    }

    /// `file:line: message`, the form compilers use.
    public var description: String {
        "\(file):\(line): \(severity == .warning ? "warning: " : "")\(message)"
    }
}
