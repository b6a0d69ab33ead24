import ReturnsCore

/// What a workflow must offer for the engine's own callers: the events the engine applies by name (`EngineEvent`)
/// where the workflow leads a return into needing them. `WorkflowValidator` checks that a workflow is a sound
/// state machine; this checks that the engine can drive it. `returns workflow check` and every start run both.
public enum EngineContract {
    /// Every place `definition` leaves the engine unable to move a return it moved into waiting.
    public static func problems(in definition: WorkflowDefinition, file: String) -> [WorkflowProblem] {
        var problems: [WorkflowProblem] = []
        func takes(_ state: String, _ event: EngineEvent) -> Transition? {
            definition.transitions.first { $0.from == state && $0.event == event.rawValue }
        }
        // The refund worker moves a return by name once the provider answers, and finance by retry_refund: the
        // state a refund is issued into takes refund_succeeded and refund_declined, and where a declined refund
        // leads takes retry_refund. Without them a paid refund would leave its return waiting for good.
        for transition in definition.transitions where transition.actions.contains(.issueRefund) {
            for event in [EngineEvent.refundSucceeded, .refundDeclined] where takes(transition.to, event) == nil {
                problems.append(
                    WorkflowProblem(
                        file: file, line: transition.line,
                        message: "this transition issues a refund, but '\(transition.to)' does not take "
                            + "'\(event.rawValue)', which the refund worker applies once the provider answers"))
            }
            // A refund that comes to nothing must not leave its return waiting for the provider, nor end in
            // refund_failed with nothing for finance to retry: the state takes nothing_to_refund to an end.
            if takes(transition.to, .nothingToRefund) == nil {
                problems.append(
                    WorkflowProblem(
                        file: file, line: transition.line,
                        message: "this transition issues a refund, but '\(transition.to)' does not take "
                            + "'nothing_to_refund', which the engine applies when no refund is due"))
            }
            if let declined = takes(transition.to, .refundDeclined), takes(declined.to, .retryRefund) == nil {
                problems.append(
                    WorkflowProblem(
                        file: file, line: declined.line,
                        message: "'\(declined.to)' is where a declined refund leads, but it does not take "
                            + "'retry_refund', which finance applies to send the refund again"))
            }
        }
        return problems
    }
}
