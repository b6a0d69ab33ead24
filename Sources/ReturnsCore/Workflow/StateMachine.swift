/// The outcome of applying one event to one state: where the return goes and what else happens.
public struct Decision: Sendable, Hashable {
    public var from: String
    public var event: String
    public var to: String
    public var actions: [Action]

    /// Whether the return leaves its current state (self-transitions keep it).
    public var changesState: Bool { from != to }
}

extension WorkflowDefinition {
    /// Decides what `event` does to a return in `state`. Pure: no I/O, no clock.
    public func decide(event: String, in state: String, data: [String: JSONValue] = [:]) throws(WorkflowError)
        -> Decision
    {
        guard events.contains(where: { $0.name == event }) else {
            throw .unknownEvent(event: event, workflow: name, known: events.map(\.name))
        }
        guard let transition = transitions.first(where: { $0.from == state && $0.event == event }) else {
            throw .eventNotAllowed(event: event, state: state, allowed: allowedEvents(in: state))
        }
        if let guardName = transition.guardName {
            // An unknown guard refuses: the validator reports it, and an unchecked definition must not let events by.
            let reason = Guard(rawValue: guardName)?.failure(for: data) ?? (Guard(rawValue: guardName) == nil ? "no such guard" : nil)
            if let reason {
                throw .guardFailed(event: event, state: state, guardName: guardName, reason: reason)
            }
        }
        return Decision(from: state, event: event, to: transition.to, actions: transition.actions)
    }
}
