import ReturnsCore

/// A small valid workflow built in Swift, with line numbers as if read from a file, shared by the validator,
/// state machine and graph tests. Lines 10, 18 and 26-27 are left free for tests that add a state, event or transition.
enum SampleWorkflow {
    static let templates: Set<String> = ["label_issued", "return_cancelled"]

    static let definition = WorkflowDefinition(
        name: "sample", version: 1, description: "A label, a parcel, a grade.",
        states: [
            WorkflowState(name: "requested", kind: .initial, line: 4),
            WorkflowState(name: "label_issued", kind: .waiting, line: 5),
            WorkflowState(name: "in_transit", kind: .normal, line: 6),
            WorkflowState(name: "graded", kind: .normal, line: 7),
            WorkflowState(name: "closed", kind: .terminal, line: 8),
            WorkflowState(name: "cancelled", kind: .terminal, line: 9),
        ],
        events: [
            WorkflowEvent(name: "issue_label", line: 11),
            WorkflowEvent(name: "expire_label", line: 12),
            WorkflowEvent(name: "ship", line: 13),
            WorkflowEvent(name: "scan", line: 14),
            WorkflowEvent(name: "grade", line: 15),
            WorkflowEvent(name: "close", line: 16),
            WorkflowEvent(name: "cancel", line: 17),
        ],
        transitions: [
            Transition(
                from: "requested", event: "issue_label", to: "label_issued",
                actions: [
                    .notify(template: "label_issued"),
                    .startTimer(name: "label_expiry", seconds: 2_592_000, event: "expire_label"),
                ],
                line: 19),
            Transition(
                from: "label_issued", event: "expire_label", to: "cancelled",
                actions: [.notify(template: "return_cancelled")], line: 20),
            Transition(
                from: "label_issued", event: "ship", to: "in_transit", guardName: "has_tracking_number",
                actions: [.cancelTimer(name: "label_expiry")], line: 21),
            Transition(from: "in_transit", event: "scan", to: "in_transit", line: 22),
            Transition(from: "in_transit", event: "grade", to: "graded", guardName: "has_grade", line: 23),
            Transition(from: "graded", event: "close", to: "closed", line: 24),
            Transition(
                from: "requested", event: "cancel", to: "cancelled", guardName: "has_reason",
                actions: [.notify(template: "return_cancelled")], line: 25),
            Transition(
                from: "label_issued", event: "cancel", to: "cancelled", guardName: "has_reason",
                actions: [.cancelTimer(name: "label_expiry"), .notify(template: "return_cancelled")], line: 25),
        ])
}
