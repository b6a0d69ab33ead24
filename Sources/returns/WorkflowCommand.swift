import ArgumentParser
import Foundation
import ReturnsCore
import ReturnsEngine

struct WorkflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow", abstract: "Check workflow files and draw their graphs.",
        subcommands: [Check.self, Graph.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check workflow files; print file:line: message for every problem.",
            discussion: """
                Without paths, checks every *.yaml in the Workflows folder. Exits 0 when all are valid, 1 otherwise. \
                Checks: YAML shape, one initial state, defined states, events, guards and templates, reachable \
                states, a way to a terminal state from every state, a timeout on every waiting state, no duplicate \
                (from, event), and the notification templates: each parses, uses only variables the engine provides \
                where it is sent (error), and exists in every locale folder (warning otherwise; customers get en).
                """
        )

        @Argument(help: "Workflow files to check (default: all in the Workflows folder).")
        var paths: [String] = []
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let folder: URL
            if let first = paths.first {
                // Templates live beside the workflow file, in notifications/<locale>/.
                folder = URL(fileURLWithPath: first).deletingLastPathComponent()
            } else {
                folder = try await reportingErrors { try Configuration.current.workflowsFolder() }
            }
            let catalog = WorkflowCatalog.load(folder: folder, only: paths)
            if output.json {
                try printJSON(
                    CheckOutput(
                        valid: catalog.isValid, workflows: catalog.files.map { "\($0.definition.name)@\($0.definition.version)" },
                        problems: catalog.problems.map {
                            .init(file: $0.file, line: $0.line, message: $0.message, severity: $0.severity.rawValue)
                        }))
            } else {
                for problem in catalog.problems { print(problem.description) }
                for file in catalog.files {
                    print("ok \(WorkflowCatalog.displayPath(file.path)): \(file.definition.name)@\(file.definition.version)")
                }
                if catalog.files.isEmpty && catalog.problems.isEmpty { print("no workflow files found in \(folder.path)") }
            }
            if !catalog.isValid || (catalog.files.isEmpty && catalog.problems.isEmpty) { throw ExitCode(1) }
        }

        struct CheckOutput: Encodable {
            struct Problem: Encodable {
                var file: String
                var line: Int
                var message: String
                var severity: String
            }
            var valid: Bool
            var workflows: [String]
            var problems: [Problem]
        }
    }

    struct Graph: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a workflow's graph as Mermaid or DOT.")

        @Argument(help: "The workflow's name (standard, specialist, keep-it) or a path to its file.")
        var name: String
        @Option(help: "mermaid or dot.")
        var format: String = "mermaid"

        func validate() throws {
            if WorkflowGraphFormat(rawValue: format) == nil { throw ValidationError("--format must be mermaid or dot") }
        }

        func run() async throws {
            let catalog: WorkflowCatalog
            if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                catalog = WorkflowCatalog.load(
                    folder: URL(fileURLWithPath: name).deletingLastPathComponent(), only: [name])
            } else {
                catalog = WorkflowCatalog.load(folder: try await reportingErrors { try Configuration.current.workflowsFolder() })
            }
            let wanted = name.hasSuffix(".yaml") || name.hasSuffix(".yml") ? catalog.files.first : catalog.workflow(named: name)
            guard let file = wanted else {
                for problem in catalog.problems { printError(problem.description) }
                printError("no valid workflow '\(name)'; known: \(catalog.files.map(\.definition.name).joined(separator: ", "))")
                throw ExitCode(2)
            }
            print(file.definition.graph(format: WorkflowGraphFormat(rawValue: format) ?? .mermaid), terminator: "")
        }
    }
}
