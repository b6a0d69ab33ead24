/// Why the state machine refused an event.
public enum WorkflowError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownEvent(event: String, workflow: String, known: [String])
    case eventNotAllowed(event: String, state: String, allowed: [String])
    case guardFailed(event: String, state: String, guardName: String, reason: String)

    public var description: String {
        switch self {
        case .unknownEvent(let event, let workflow, let known):
            return "workflow '\(workflow)' has no event '\(event)'; its events are: \(known.joined(separator: ", "))"
        case .eventNotAllowed(let event, let state, let allowed):
            let list = allowed.isEmpty ? "none (the return is finished)" : allowed.joined(separator: ", ")
            return "event '\(event)' is not allowed in state '\(state)'; allowed there: \(list)"
        case .guardFailed(let event, let state, let guardName, let reason):
            return "event '\(event)' in state '\(state)' needs \(guardName): \(reason)"
        }
    }
}
