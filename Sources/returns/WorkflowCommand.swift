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
            abstract: "Check workflow folders and files; print file:line: message for every problem.",
            discussion: """
                Without paths, checks the Workflows folder. A folder is checked whole: every *.yaml workflow in it, \
                its policy.yaml, its notification templates (notifications/<locale>/*.mustache) and its status texts \
                (status/<locale>.yaml). A workflow file is checked with the templates of its folder (give policy.yaml \
                too to check the policy). Folders and files may be mixed.

                Exits 0 when everything is valid (warnings allowed), 1 when a problem is an error or a folder holds \
                no workflow, 2 when a path does not exist (PATH: no such file or folder; line 0 in --json).

                Checks: YAML shape, one initial state, defined states, events, guards and templates, reachable \
                states, a way to a terminal state from every state, a timeout on every waiting state, no duplicate \
                (from, event), the policy's keys and values, every status text locale's labels and state texts, and \
                the notification templates: each parses, uses only variables the engine provides where it is sent \
                (error), and exists in every locale folder (warning otherwise; customers get en).
                """
        )

        @Argument(help: "Workflow folders or files to check (default: the Workflows folder).")
        var paths: [String] = []
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let targets =
                paths.isEmpty
                ? CheckTargets(folder: try await reportingErrors { try Configuration.current.workflowsFolder() })
                : CheckTargets(paths: paths)
            let checked = targets.groups.map { group in
                (folder: group.folder, catalog: WorkflowCatalog.load(folder: group.folder, only: group.files))
            }
            // A folder with nothing to check is a mistake worth failing for, as an empty Workflows folder is.
            let empty = checked.filter { $0.catalog.files.isEmpty && $0.catalog.isValid }.map(\.folder)
            let problems = checked.flatMap(\.catalog.problems)
            let files = checked.flatMap(\.catalog.files)
            if output.json {
                try printJSON(
                    CheckOutput(
                        valid: targets.missing.isEmpty && problems.allSatisfy { $0.severity != .error },
                        workflows: files.map { "\($0.definition.name)@\($0.definition.version)" },
                        problems: targets.missing.map {
                            .init(file: $0, line: 0, message: "no such file or folder", severity: "error")
                        }
                            + problems.map {
                                .init(file: $0.file, line: $0.line, message: $0.message, severity: $0.severity.rawValue)
                            }))
            } else {
                for path in targets.missing { print("\(path): no such file or folder") }
                for problem in problems { print(problem.description) }
                for file in files {
                    print("ok \(WorkflowCatalog.displayPath(file.path)): \(file.definition.name)@\(file.definition.version)")
                }
                for folder in empty { print("no workflow files found in \(folder.path)") }
            }
            if !targets.missing.isEmpty { throw ExitCode(2) }
            if !checked.allSatisfy(\.catalog.isValid) || !empty.isEmpty { throw ExitCode(1) }
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

    /// What `workflow check` reads: each folder whole, each file with the other files given from its folder (their
    /// templates live there, in notifications/<locale>/), and the paths that are not there.
    struct CheckTargets {
        struct Group {
            var folder: URL
            /// Empty for a folder checked whole.
            var files: [String]
        }

        var groups: [Group] = []
        var missing: [String] = []

        init(folder: URL) {
            groups = [Group(folder: folder, files: [])]
        }

        init(paths: [String]) {
            var wholeFolders: Set<String> = []
            for path in paths {
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                    missing.append(path)
                    continue
                }
                let url = URL(fileURLWithPath: path).standardizedFileURL
                if isFolder.boolValue {
                    if wholeFolders.insert(url.path).inserted { groups.append(Group(folder: url, files: [])) }
                    continue
                }
                let folder = url.deletingLastPathComponent()
                if let index = groups.firstIndex(where: { !$0.files.isEmpty && $0.folder.path == folder.path }) {
                    groups[index].files.append(path)
                } else {
                    groups.append(Group(folder: folder, files: [path]))
                }
            }
            // A file in a folder that is checked whole is checked there already.
            groups.removeAll { !$0.files.isEmpty && wholeFolders.contains($0.folder.path) }
        }
    }

    struct Graph: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a workflow's graph as Mermaid or DOT.")

        @Argument(help: "The workflow's name (standard, specialist, keep-it) or a path to its file.")
        var name: String
        @Option(help: "Mermaid (for Markdown) or DOT (for Graphviz).")
        var format: WorkflowGraphFormat = .mermaid

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
            print(file.definition.graph(format: format), terminator: "")
        }
    }
}
