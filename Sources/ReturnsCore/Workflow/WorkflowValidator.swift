/// Checks a workflow definition for the mistakes that would strand returns or crash transitions.
public struct WorkflowValidator: Sendable {
    /// Templates that exist (in the fallback locale); nil skips the template check.
    public var knownTemplates: Set<String>?

    public init(knownTemplates: Set<String>? = nil) {
        self.knownTemplates = knownTemplates
    }

    /// Every problem found, in file order.
    public func problems(in definition: WorkflowDefinition, file: String) -> [WorkflowProblem] {
        var problems: [WorkflowProblem] = []
        func report(_ line: Int, _ message: String) {
            problems.append(WorkflowProblem(file: file, line: max(line, 1), message: message))
        }

        let stateNames = Set(definition.states.map(\.name))
        let eventNames = Set(definition.events.map(\.name))
        var seenStates: Set<String> = []
        for state in definition.states where !seenStates.insert(state.name).inserted {
            report(state.line, "state '\(state.name)' is declared twice")
        }
        var seenEvents: Set<String> = []
        for event in definition.events where !seenEvents.insert(event.name).inserted {
            report(event.line, "event '\(event.name)' is declared twice")
        }

        let initials = definition.states.filter { $0.kind == .initial }
        if initials.isEmpty {
            report(1, "no initial state; mark exactly one state with 'kind: initial'")
        }
        for extra in initials.dropFirst() {
            report(extra.line, "state '\(extra.name)' is a second initial state; a workflow has exactly one")
        }

        var startedTimers: Set<String> = []
        for transition in definition.transitions {
            for case .startTimer(let name, _, _) in transition.actions { startedTimers.insert(name) }
        }

        var seenPairs: [String: Int] = [:]
        for transition in definition.transitions {
            let line = transition.line
            if !stateNames.contains(transition.from) {
                report(line, "transition from undefined state '\(transition.from)'")
            } else if definition.state(named: transition.from)?.isTerminal == true {
                report(line, "transition out of terminal state '\(transition.from)'; terminal states have no way out")
            }
            if !stateNames.contains(transition.to) {
                report(line, "transition to undefined state '\(transition.to)'")
            }
            if !eventNames.contains(transition.event) {
                report(line, "transition on undefined event '\(transition.event)'; declare it under 'events:'")
            }
            if let guardName = transition.guardName, Guard(rawValue: guardName) == nil {
                report(
                    line,
                    "undefined guard '\(guardName)'; known guards: "
                        + Guard.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let pair = "\(transition.from)\u{0}\(transition.event)"
            if let first = seenPairs[pair] {
                report(
                    line,
                    "duplicate transition from '\(transition.from)' on '\(transition.event)' (first at line \(first))")
            } else {
                seenPairs[pair] = line
            }
            for action in transition.actions {
                switch action {
                case .notify(let template):
                    if let knownTemplates, !knownTemplates.contains(template) {
                        report(line, "undefined template '\(template)'; add notifications/en/\(template).mustache")
                    }
                case .startTimer(let name, _, let event):
                    if !eventNames.contains(event) {
                        report(line, "timer '\(name)' fires undefined event '\(event)'")
                    }
                case .cancelTimer(let name):
                    if !startedTimers.contains(name) {
                        report(line, "cancel_timer '\(name)' names a timer that no transition starts")
                    }
                case .issueRefund, .recordReceipt, .recordInspection:
                    break
                }
            }
        }

        // A waiting state must be left by a timer armed on every way into it, or a return can wait forever.
        for transition in definition.transitions {
            guard let target = definition.state(named: transition.to), target.kind == .waiting else { continue }
            let leavesByTimer = transition.actions.contains { action in
                guard case .startTimer(_, _, let event) = action else { return false }
                return definition.transitions.contains { $0.from == target.name && $0.event == event }
            }
            if !leavesByTimer {
                report(
                    transition.line,
                    "waiting state '\(target.name)' has no timeout: this transition enters it without "
                        + "start_timer for an event that leaves it")
            }
        }

        if let initial = initials.first {
            let reachable = Self.closure(from: [initial.name]) { state in
                definition.transitions.filter { $0.from == state }.map(\.to)
            }
            for state in definition.states where !reachable.contains(state.name) {
                report(state.line, "state '\(state.name)' is unreachable from '\(initial.name)'")
            }
        }
        let terminals = definition.states.filter(\.isTerminal).map(\.name)
        if terminals.isEmpty {
            report(1, "no terminal state; mark at least one state with 'kind: terminal'")
        }
        let canFinish = Self.closure(from: terminals) { state in
            definition.transitions.filter { $0.to == state }.map(\.from)
        }
        for state in definition.states where !state.isTerminal && !canFinish.contains(state.name) {
            report(state.line, "state '\(state.name)' has no way to a terminal state")
        }
        return problems.sorted { $0.line < $1.line }
    }

    private static func closure(from start: [String], next: (String) -> [String]) -> Set<String> {
        var seen = Set(start)
        var queue = start
        while let state = queue.popLast() {
            for neighbour in next(state) where seen.insert(neighbour).inserted {
                queue.append(neighbour)
            }
        }
        return seen
    }
}
