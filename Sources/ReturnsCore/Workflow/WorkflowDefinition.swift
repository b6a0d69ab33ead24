/// A workflow as declared in a YAML file: states, events and the transitions between them.
public struct WorkflowDefinition: Sendable, Hashable {
    public var name: String
    public var version: Int
    public var description: String
    public var states: [WorkflowState]
    public var events: [WorkflowEvent]
    public var transitions: [Transition]

    public init(
        name: String, version: Int, description: String = "", states: [WorkflowState], events: [WorkflowEvent],
        transitions: [Transition]
    ) {
        self.name = name
        self.version = version
        self.description = description
        self.states = states
        self.events = events
        self.transitions = transitions
    }

    public var initialState: WorkflowState? { states.first { $0.kind == .initial } }

    public func state(named name: String) -> WorkflowState? { states.first { $0.name == name } }

    /// Events that have a transition out of `state`, in declaration order.
    public func allowedEvents(in state: String) -> [String] {
        var seen: Set<String> = []
        return transitions.filter { $0.from == state }.map(\.event).filter { seen.insert($0).inserted }
    }
}

/// How a state behaves: where returns start, wait for the outside world, or end.
public enum StateKind: String, Sendable, Hashable, CaseIterable, Codable {
    case initial
    case normal
    case waiting
    case terminal
}

public struct WorkflowState: Sendable, Hashable {
    public var name: String
    public var kind: StateKind
    /// What the customer is told about a return in this state.
    public var description: String
    public var line: Int

    public init(name: String, kind: StateKind, description: String = "", line: Int = 0) {
        self.name = name
        self.kind = kind
        self.description = description
        self.line = line
    }

    public var isTerminal: Bool { kind == .terminal }
}

public struct WorkflowEvent: Sendable, Hashable {
    public var name: String
    public var description: String
    public var line: Int

    public init(name: String, description: String = "", line: Int = 0) {
        self.name = name
        self.description = description
        self.line = line
    }
}

/// `from --event[guard]--> to`, with the actions that run in the same transaction.
public struct Transition: Sendable, Hashable {
    public var from: String
    public var event: String
    public var to: String
    public var guardName: String?
    public var actions: [Action]
    public var line: Int

    public init(from: String, event: String, to: String, guardName: String? = nil, actions: [Action] = [], line: Int = 0)
    {
        self.from = from
        self.event = event
        self.to = to
        self.guardName = guardName
        self.actions = actions
        self.line = line
    }
}

/// What a transition does besides changing the state.
public enum Action: Sendable, Hashable {
    /// Queue a customer notification rendered from `template`.
    case notify(template: String)
    /// Arm (or re-arm) the timer `name` to fire `event` after `seconds`.
    case startTimer(name: String, seconds: Int, event: String)
    /// Disarm the timer `name`.
    case cancelTimer(name: String)
    /// Create the return's refund in the same transaction.
    case issueRefund
    /// Record what arrived, per item (`items: [{line, quantity}]`, or everything when no items are given).
    case recordReceipt
    /// Record each item's grade and disposition (`items: [{line, grade, disposition, disposition_reason}]`,
    /// or one `grade` for every received item).
    case recordInspection

    /// The bare-word actions, as written in YAML.
    public static let bareWords: [String: Action] = [
        "issue_refund": .issueRefund, "record_receipt": .recordReceipt, "record_inspection": .recordInspection,
    ]
}
