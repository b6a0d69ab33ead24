import Foundation
@testable import ReturnsTestSupport
import Testing

@Suite("returns staff, as an operator runs it")
struct StaffCommandTests {
    /// Runs the binary with `input` on standard input (a pipe, not a terminal), as `printf … | returns …` does.
    static func run(_ arguments: [String], input: String, database: String) async throws
        -> (code: Int32, output: String, errors: String)
    {
        try await offThePool { try runBlocking(arguments, input: input, database: database) }
    }

    static func runBlocking(_ arguments: [String], input: String, database: String) throws
        -> (code: Int32, output: String, errors: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        process.currentDirectoryURL = TestDatabase.packageRoot
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = database
        process.environment = environment
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
    }

    @Test("staff add reads the password from standard input; list shows the member; revoke ends them; mistakes say what to do")
    func addListRevoke() async throws {
        let settings = try await TestDatabase.makeDatabase()
        let url = CLI.url(settings)
        let added = try await Self.run(["staff", "add", "Fin@Example.com", "--role", "finance"], input: "a long secret phrase\n", database: url)
        #expect(added.code == 0, "\(added.errors)")
        #expect(added.output.contains("staff fin@example.com added as finance"))
        let short = try await Self.run(["staff", "add", "x@example.com", "--role", "ops"], input: "short\n", database: url)
        #expect(short.code == 64 && short.errors.contains("at least 12 characters"), "\(short.errors)")
        let noPartner = try await Self.run(["staff", "add", "p@example.com", "--role", "partner"], input: "a long secret phrase\n", database: url)
        #expect(noPartner.code == 64 && noPartner.errors.contains("--role partner needs --partner NAME"))
        let empty = try await Self.run(["staff", "add", "e@example.com", "--role", "ops"], input: "", database: url)
        #expect(empty.code != 0 && empty.errors.contains("no password on standard input"))
        let list = try await CLI.run(["staff", "list"], database: settings)
        #expect(list.output.contains("fin@example.com") && list.output.contains("active") && !list.output.contains("x@example.com"))
        let stored = try await CLI.run(["staff", "list", "--json"], database: settings)
        #expect(!stored.output.contains("a long secret phrase") && !stored.output.contains("scrypt"))
        let revoked = try await CLI.run(["staff", "revoke", "fin@example.com"], database: settings)
        #expect(revoked.code == 0 && revoked.output.contains("revoked; 0 sessions ended"), "\(revoked.text)")
        #expect(try await CLI.run(["staff", "list"], database: settings).output.contains("revoked"))
        let unknown = try await CLI.run(["staff", "revoke", "nobody@example.com"], database: settings)
        #expect(unknown.code == 2 && unknown.errors.contains("no staff member nobody@example.com"))
    }
}
