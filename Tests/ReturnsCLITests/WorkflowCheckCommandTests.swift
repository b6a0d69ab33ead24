import Foundation
@testable import ReturnsTestSupport
import Testing

@Suite("returns workflow check on folders, as a user runs it")
struct WorkflowCheckCommandTests {
    static let workflows = TestDatabase.packageRoot.appendingPathComponent("Workflows")

    /// A copy of the shipped Workflows folder, to break on purpose.
    func copyOfWorkflows() throws -> URL {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("wf-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.workflows, to: folder)
        return folder
    }

    /// Appends `text` to the file at `path` and answers the line number the appended text starts on.
    func append(_ text: String, to file: URL) throws -> Int {
        let old = try String(contentsOf: file, encoding: .utf8)
        let separated = old.hasSuffix("\n") ? old : old + "\n"
        try (separated + text).write(to: file, atomically: true, encoding: .utf8)
        return separated.filter { $0 == "\n" }.count + 1
    }

    @Test("a folder is checked whole; a valid copy of Workflows passes, in text and JSON")
    func validFolder() async throws {
        let folder = try copyOfWorkflows()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await CLI.run(["workflow", "check", folder.path], database: nil)
        #expect(result.code == 0, "\(result.text)")
        for name in ["keep-it", "specialist", "standard"] {
            #expect(result.output.contains("ok \(folder.path)/\(name).yaml: \(name)@"), "\(result.output)")
        }
        #expect(!result.output.contains("cannot read this file"))

        let json = try await CLI.run(["workflow", "check", folder.path, "--json"], database: nil)
        #expect(json.code == 0, "\(json.text)")
        let answer = try CLI.json(json.output)
        #expect(answer["valid"] as? Bool == true)
        #expect((answer["workflows"] as? [String])?.count == 3)
        #expect((answer["problems"] as? [Any])?.isEmpty == true)

        // The shipped folder named relatively, the way the issue reported it ("Workflows:1: cannot read this file").
        let shipped = try await CLI.run(["workflow", "check", "Workflows"], database: nil)
        #expect(shipped.code == 0, "\(shipped.text)")
        #expect(shipped.output.contains("ok Workflows/standard.yaml: standard@4"))
    }

    @Test("a folder's broken policy, template and status texts are each reported as file:line and exit 1")
    func brokenFolder() async throws {
        let folder = try copyOfWorkflows()
        defer { try? FileManager.default.removeItem(at: folder) }
        let policyLine = try append("refund_speed: fast\n", to: folder.appendingPathComponent("policy.yaml"))
        let template = folder.appendingPathComponent("notifications/en/received.mustache")
        let templateLine = try append("{{! text }}\nThe text part again.\n", to: template)
        let status = folder.appendingPathComponent("status/de.yaml")
        let texts = try String(contentsOf: status, encoding: .utf8)
        let withoutOrder = texts.split(separator: "\n", omittingEmptySubsequences: false).filter {
            !$0.hasPrefix("  order:")
        }
        #expect(withoutOrder.count < texts.split(separator: "\n", omittingEmptySubsequences: false).count)
        try withoutOrder.joined(separator: "\n").write(to: status, atomically: true, encoding: .utf8)

        let result = try await CLI.run(["workflow", "check", folder.path], database: nil)
        #expect(result.code == 1, "\(result.text)")
        for expected in [
            "\(folder.path)/policy.yaml:\(policyLine): unknown key 'refund_speed'",
            "\(folder.path)/notifications/en/received.mustache:\(templateLine): the part 'text' appears twice",
            "\(folder.path)/status/de.yaml:1: labels.order is missing",
        ] {
            #expect(result.output.contains(expected), "missing \(expected) in:\n\(result.output)")
        }

        let json = try await CLI.run(["workflow", "check", folder.path, "--json"], database: nil)
        #expect(json.code == 1)
        let answer = try CLI.json(json.output)
        #expect(answer["valid"] as? Bool == false)
        let problems = try #require(answer["problems"] as? [[String: Any]])
        func located(_ file: String) -> [Int] {
            problems.filter {
                $0["file"] as? String == folder.path + "/" + file && $0["severity"] as? String == "error"
            }.compactMap { $0["line"] as? Int }
        }
        #expect(located("policy.yaml") == [policyLine])
        #expect(located("notifications/en/received.mustache") == [templateLine])
        #expect(located("status/de.yaml") == [1])
    }

    @Test("folders and files mix; a file inside a folder given whole is checked once; a missing path exits 2")
    func mixedPaths() async throws {
        let folder = try copyOfWorkflows()
        defer { try? FileManager.default.removeItem(at: folder) }
        let other = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("wf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: other) }
        let broken = other.appendingPathComponent("broken.yaml")
        try "workflow: [unclosed\nversion: 1\n".write(to: broken, atomically: true, encoding: .utf8)

        let mixed = try await CLI.run(
            ["workflow", "check", folder.path, folder.appendingPathComponent("standard.yaml").path, broken.path],
            database: nil)
        #expect(mixed.code == 1, "\(mixed.text)")
        #expect(mixed.output.contains("\(broken.path):"))
        #expect(mixed.output.contains("not valid YAML"))
        #expect(mixed.output.components(separatedBy: "ok \(folder.path)/standard.yaml:").count == 2, "\(mixed.output)")
        #expect(mixed.output.contains("ok \(folder.path)/keep-it.yaml: keep-it@"))

        let missing = folder.appendingPathComponent("nowhere").path
        let result = try await CLI.run(["workflow", "check", folder.path, missing], database: nil)
        #expect(result.code == 2, "\(result.text)")
        #expect(result.output.contains("\(missing): no such file or folder"))
        #expect(result.output.contains("ok \(folder.path)/standard.yaml: standard@"))

        let json = try await CLI.run(["workflow", "check", missing, "--json"], database: nil)
        #expect(json.code == 2)
        let answer = try CLI.json(json.output)
        #expect(answer["valid"] as? Bool == false)
        let problem = try #require((answer["problems"] as? [[String: Any]])?.first)
        #expect(problem["file"] as? String == missing)
        #expect(problem["line"] as? Int == 0)
        #expect(problem["message"] as? String == "no such file or folder")
    }

    @Test("a folder without workflows says so and exits 1")
    func emptyFolder() async throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("wf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await CLI.run(["workflow", "check", folder.path], database: nil)
        #expect(result.code == 1, "\(result.text)")
        #expect(result.output.contains("no workflow files found in \(folder.path)"))
    }
}
