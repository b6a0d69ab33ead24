import Foundation

/// What a benchmark reads beside the binary, as the composition root resolved it.
public struct BenchmarkFolders: Sendable {
    public var schema: URL
    public var workflows: URL
    /// Where pgbench is looked for first (the server binaries' folder); nil looks in the usual places.
    public var postgresBinDirectory: String?

    public init(schema: URL, workflows: URL, postgresBinDirectory: String?) {
        self.schema = schema
        self.workflows = workflows
        self.postgresBinDirectory = postgresBinDirectory
    }
}
