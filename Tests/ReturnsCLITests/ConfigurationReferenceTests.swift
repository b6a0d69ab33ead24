import Foundation
@testable import ReturnsTestSupport
import Testing

/// The README's configuration reference is checked against the code, so neither drifts from the other.
@Suite("Configuration reference")
struct ConfigurationReferenceTests {
    static let readme = (try? String(
        contentsOf: TestDatabase.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    /// Variables the code reads: `environment["X"]`, `value("X")` and every quoted `RETURNS_*` name.
    static func variablesInCode() throws -> Set<String> {
        let sources = TestDatabase.packageRoot.appendingPathComponent("Sources")
        let reads = try Regex(#"(?:environment\[|value\()"([A-Z_]+)"[\])]|"(RETURNS_[A-Z_]+)""#)
        var names: Set<String> = []
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for match in text.matches(of: reads) {
                if let name = match.output[1].substring ?? match.output[2].substring { names.insert(String(name)) }
            }
        }
        // Set for child processes (initdb, psql; PGPASSWORD for the psql baseline of `bench reconcile`): not
        // configuration of returns.
        return names.subtracting(["LC_ALL", "PGPASSWORD"])
    }

    /// Variables in the README's environment table: rows starting with a `NAME` cell.
    static func variablesInReadme() throws -> Set<String> {
        let row = try Regex(#"(?m)^\| `([A-Z_]+)`(?:, `([A-Z_]+)`)? \|"#)
        var names: Set<String> = []
        for match in readme.matches(of: row) {
            for index in 1...2 { if let name = match.output[index].substring { names.insert(String(name)) } }
        }
        return names
    }

    @Test("every environment variable the code reads is in the README's table, and nothing else is")
    func environment() async throws {
        let code = try Self.variablesInCode()
        let documented = try Self.variablesInReadme()
        #expect(code.count >= 15)
        #expect(code.subtracting(documented).isEmpty, "read by the code but not in the README")
        #expect(documented.subtracting(code).isEmpty, "in the README but read nowhere")
    }

    @Test("every option of `returns serve --help` is in the README")
    func serveOptions() async throws {
        let help = try await CLI.run(["serve", "--help"], database: nil).output
        let options = Set(help.matches(of: try Regex(#"--[a-z][a-z-]+"#)).map { String(help[$0.range]) })
        #expect(options.contains("--pool-size"))
        #expect(options.subtracting(["--help"]).filter { !Self.readme.contains($0) }.isEmpty)
    }

    @Test("only the composition root reads the environment; the libraries receive settings")
    func oneCompositionRoot() async throws {
        let sources = TestDatabase.packageRoot.appendingPathComponent("Sources")
        // Reading a variable, as opposed to handing the whole environment on to a child process.
        let read = try Regex(#"processInfo\.environment\[|environment\["[A-Z_]+"\](?!\s*=[^=])"#)
        var readers: [String] = []
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            if text.contains(read) { readers.append(file) }
        }
        #expect(readers == ["returns/Configuration.swift"])
    }
}
