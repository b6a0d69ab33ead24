import Foundation
import ReturnsCore
import ReturnsStore

/// A workflow file as read from disk: its definition, its text and the text's SHA-256 (what gets pinned).
public struct WorkflowFile: Sendable {
    public var path: String
    public var source: String
    public var definition: WorkflowDefinition

    public var sha256: String { sha256Hex(source) }
}

/// The workflows of a `Workflows/` folder, with the notification templates beside them.
public struct WorkflowCatalog: Sendable {
    public var files: [WorkflowFile]
    public var templates: Set<String>
    public var problems: [WorkflowProblem]
    /// The return policy from `policy.yaml`; without one, everything is returnable and nothing is deducted.
    public var policy: ReturnPolicy
    /// What the customer status page says, per locale, from `status/<locale>.yaml`.
    public var statusTexts = StatusTextCatalog(locales: [:])

    /// The reasons a customer may give for a "no" to "Did we resolve your problem?": the English texts' codes.
    public var feedbackReasons: [String] { statusTexts.texts(for: "en").texts.feedbackReasons.keys.sorted() }

    public var isValid: Bool { !problems.contains { $0.severity == .error } }

    public func workflow(named name: String) -> WorkflowFile? { files.first { $0.definition.name == name } }

    /// Each workflow paired with each of its states that `include` picks, as two arrays of one length (for `unnest`).
    public func statePairs(_ include: (WorkflowState) -> Bool) -> (workflows: [String], states: [String]) {
        let pairs = files.flatMap { file in file.definition.states.filter(include).map { (file.definition.name, $0.name) } }
        return (pairs.map(\.0), pairs.map(\.1))
    }

    /// The states where a return has ended.
    public var terminalStates: (workflows: [String], states: [String]) { statePairs(\.isTerminal) }

    /// The states where a return has finished for the customer: its end, or its money sent with only closing to
    /// follow (`CustomerReturns.settledStates`).
    public var finishedStates: (workflows: [String], states: [String]) {
        statePairs { $0.isTerminal || CustomerReturns.settledStates.contains($0.name) }
    }

    /// The notification templates beside the workflows, per locale, for the dispatcher.
    public var notifications = NotificationTemplates(byLocale: [:], errors: [])

    /// Reads and checks every `*.yaml` in `folder` (policy files aside), or the given files.
    public static func load(folder: URL, only paths: [String] = []) -> WorkflowCatalog {
        let templates = templateNames(in: folder.appendingPathComponent("notifications/en"))
        let isPolicy = { (path: String) in URL(fileURLWithPath: path).lastPathComponent == "policy.yaml" }
        var targets = paths.filter { !isPolicy($0) }
        if paths.isEmpty {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            targets = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.filter { $0 != "policy.yaml" }
                .sorted().map { folder.appendingPathComponent($0).path }
        }
        var files: [WorkflowFile] = []
        var problems: [WorkflowProblem] = []
        var policy = ReturnPolicy.permissive
        let policyPaths = paths.isEmpty ? [folder.appendingPathComponent("policy.yaml").path] : paths.filter(isPolicy)
        for policyPath in policyPaths where FileManager.default.fileExists(atPath: policyPath) {
            guard let text = try? String(contentsOfFile: policyPath, encoding: .utf8) else {
                problems.append(WorkflowProblem(file: displayPath(policyPath), line: 1, message: "cannot read this file"))
                continue
            }
            let (loaded, policyProblems) = PolicyLoader.load(yaml: text, file: displayPath(policyPath))
            problems += policyProblems
            if let loaded { policy = loaded }
        }
        let validator = WorkflowValidator(knownTemplates: templates)
        for path in targets {
            let display = displayPath(path)
            guard let source = try? String(contentsOfFile: path, encoding: .utf8) else {
                problems.append(WorkflowProblem(file: display, line: 1, message: "cannot read this file"))
                continue
            }
            let (definition, loadProblems) = WorkflowLoader.load(yaml: source, file: display)
            problems += loadProblems
            guard let definition else { continue }
            let checkProblems =
                validator.problems(in: definition, file: display) + EngineContract.problems(in: definition, file: display)
            problems += checkProblems
            if let other = files.first(where: { $0.definition.name == definition.name }) {
                problems.append(
                    WorkflowProblem(
                        file: display, line: 1,
                        message: "workflow '\(definition.name)' is also defined in \(displayPath(other.path))"))
            }
            if loadProblems.isEmpty && checkProblems.isEmpty {
                files.append(WorkflowFile(path: path, source: source, definition: definition))
            }
        }
        let notifications = NotificationTemplates.load(folder: folder.appendingPathComponent("notifications"))
        problems += notifications.problems(for: files)
        // The engine sends these itself, whatever the workflows say.
        if paths.isEmpty, !templates.isEmpty {
            for name in EngineTemplate.all where !templates.contains(name) {
                problems.append(
                    WorkflowProblem(
                        file: displayPath(folder.appendingPathComponent("notifications/en").path), line: 1,
                        message: "the engine sends '\(name)' but notifications/en has no \(name).mustache"))
            }
        }
        let states = Set(files.flatMap { $0.definition.states.map(\.name) })
        let statusFolder = folder.appendingPathComponent("status")
        let (statusTexts, statusProblems) = StatusTextCatalog.load(
            folder: statusFolder, states: states, reasons: policy.reasonCodes)
        if paths.isEmpty {
            // StatusTextCatalog names its files as if under ./Workflows; a check of another folder must point there.
            let shown = displayPath(statusFolder.path)
            problems += statusProblems.map { problem in
                var problem = problem
                if problem.file.hasPrefix("Workflows/status") {
                    problem.file = shown + problem.file.dropFirst("Workflows/status".count)
                }
                return problem
            }
        }
        return WorkflowCatalog(
            files: files, templates: templates, problems: problems, policy: policy, statusTexts: statusTexts,
            notifications: notifications)
    }

    static func templateNames(in folder: URL) -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return Set(names.filter { $0.hasSuffix(".mustache") }.map { String($0.dropLast(".mustache".count)) })
    }

    /// Paths relative to the current folder when inside it, as editors and terminals link them.
    public static func displayPath(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
    }
}

extension WorkflowCatalog {
    /// Throws when the files have errors: nothing may run on workflows that do not check.
    public func requireValid() throws(WorkflowCatalogError) {
        guard isValid else { throw .invalid(problems.filter { $0.severity == .error }) }
    }
}

public enum WorkflowCatalogError: Error, CustomStringConvertible {
    case invalid([WorkflowProblem])

    public var description: String {
        switch self {
        case .invalid(let problems):
            return "the workflow files have problems; fix them first (`returns workflow check` lists them):\n"
                + problems.map(\.description).joined(separator: "\n")
        }
    }
}
