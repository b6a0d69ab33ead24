import ReturnsCore
import Testing

@Suite("Workflow validator")
struct WorkflowValidatorTests {
    let validator = WorkflowValidator(knownTemplates: SampleWorkflow.templates)

    @Test("a valid workflow has no problems")
    func validWorkflow() {
        #expect(validator.problems(in: SampleWorkflow.definition, file: "sample.yaml") == [])
        #expect(WorkflowValidator().problems(in: SampleWorkflow.definition, file: "sample.yaml") == [])
    }

    /// The sample workflow with one mistake made in it, and the problem that mistake must produce.
    struct Broken: Sendable, CustomTestStringConvertible {
        let rule: String
        let definition: WorkflowDefinition
        let line: Int
        let message: String
        var testDescription: String { rule }

        init(_ rule: String, line: Int, message: String, change: (inout WorkflowDefinition) -> Void) {
            var definition = SampleWorkflow.definition
            change(&definition)
            self.rule = rule
            self.definition = definition
            self.line = line
            self.message = message
        }
    }

    static let broken: [Broken] = [
        Broken("no initial state", line: 1, message: "no initial state; mark exactly one state with 'kind: initial'") {
            $0.states[0].kind = .normal
        },
        Broken(
            "two initial states", line: 6,
            message: "state 'in_transit' is a second initial state; a workflow has exactly one"
        ) { $0.states[2].kind = .initial },
        Broken("transition from an undefined state", line: 26, message: "transition from undefined state 'nowhere'") {
            $0.transitions.append(Transition(from: "nowhere", event: "close", to: "closed", line: 26))
        },
        Broken("transition to an undefined state", line: 26, message: "transition to undefined state 'limbo'") {
            $0.transitions.append(Transition(from: "graded", event: "cancel", to: "limbo", line: 26))
        },
        Broken(
            "transition on an undefined event", line: 26,
            message: "transition on undefined event 'teleport'; declare it under 'events:'"
        ) { $0.transitions.append(Transition(from: "graded", event: "teleport", to: "closed", line: 26)) },
        Broken(
            "undefined guard", line: 23,
            message: "undefined guard 'has_receipt'; known guards: has_tracking_number, has_grade, has_reason"
        ) { $0.transitions[4].guardName = "has_receipt" },
        Broken(
            "undefined template", line: 19,
            message: "undefined template 'label_ready'; add notifications/en/label_ready.mustache"
        ) { $0.transitions[0].actions[0] = .notify(template: "label_ready") },
        Broken("unreachable state", line: 10, message: "state 'on_hold' is unreachable from 'requested'") {
            $0.states.append(WorkflowState(name: "on_hold", kind: .normal, line: 10))
            $0.transitions.append(Transition(from: "on_hold", event: "close", to: "closed", line: 26))
        },
        Broken(
            "state with no way to a terminal state", line: 10, message: "state 'limbo' has no way to a terminal state"
        ) {
            $0.states.append(WorkflowState(name: "limbo", kind: .normal, line: 10))
            $0.transitions.append(Transition(from: "graded", event: "cancel", to: "limbo", line: 26))
        },
        Broken(
            "waiting state entered without any start_timer", line: 26,
            message: "waiting state 'label_issued' has no timeout: this transition enters it without start_timer "
                + "for an event that leaves it"
        ) { $0.transitions.append(Transition(from: "graded", event: "cancel", to: "label_issued", line: 26)) },
        Broken(
            "waiting state entered with a timer whose event does not leave it", line: 19,
            message: "waiting state 'label_issued' has no timeout"
        ) { $0.transitions[0].actions[1] = .startTimer(name: "label_expiry", seconds: 60, event: "close") },
        Broken(
            "duplicate (from, event)", line: 26,
            message: "duplicate transition from 'requested' on 'issue_label' (first at line 19)"
        ) { $0.transitions.append(Transition(from: "requested", event: "issue_label", to: "cancelled", line: 26)) },
        Broken(
            "transition out of a terminal state", line: 26,
            message: "transition out of terminal state 'closed'; terminal states have no way out"
        ) { $0.transitions.append(Transition(from: "closed", event: "cancel", to: "cancelled", line: 26)) },
        Broken("timer firing an undefined event", line: 24, message: "timer 'archive' fires undefined event 'purge'") {
            $0.transitions[5].actions = [.startTimer(name: "archive", seconds: 60, event: "purge")]
        },
        Broken(
            "cancel_timer of a timer no transition starts", line: 24,
            message: "cancel_timer 'refund_timeout' names a timer that no transition starts"
        ) { $0.transitions[5].actions = [.cancelTimer(name: "refund_timeout")] },
        Broken("state declared twice", line: 10, message: "state 'closed' is declared twice") {
            $0.states.append(WorkflowState(name: "closed", kind: .terminal, line: 10))
        },
        Broken("event declared twice", line: 18, message: "event 'ship' is declared twice") {
            $0.events.append(WorkflowEvent(name: "ship", line: 18))
        },
    ]

    @Test("each kind of mistake is reported once, with its rule and line", arguments: broken)
    func reportsMistake(broken: Broken) throws {
        let problems = validator.problems(in: broken.definition, file: "broken.yaml")
        #expect(problems.map(\.line) == [broken.line], "\(problems)")
        let problem = try #require(problems.first)
        #expect(problem.message.hasPrefix(broken.message))
        #expect(problem.file == "broken.yaml")
        #expect(problem.severity == .error)
    }

    @Test("templates are not checked when no template list is given")
    func templatesUncheckedWithoutList() {
        var definition = SampleWorkflow.definition
        definition.transitions[0].actions[0] = .notify(template: "label_ready")
        #expect(WorkflowValidator(knownTemplates: nil).problems(in: definition, file: "sample.yaml") == [])
        #expect(
            WorkflowValidator(knownTemplates: []).problems(in: definition, file: "sample.yaml").map(\.line) == [
                19, 20, 25, 25,
            ])
    }

    @Test("a workflow without a terminal state is reported, and so is every state that cannot finish")
    func noTerminalState() {
        var definition = SampleWorkflow.definition
        definition.states[4].kind = .normal
        definition.states[5].kind = .normal
        let problems = validator.problems(in: definition, file: "sample.yaml")
        #expect(
            problems.first
                == WorkflowProblem(
                    file: "sample.yaml", line: 1,
                    message: "no terminal state; mark at least one state with 'kind: terminal'"))
        #expect(problems.dropFirst().map(\.line) == [4, 5, 6, 7, 8, 9])
        #expect(problems.dropFirst().allSatisfy { $0.message.hasSuffix("has no way to a terminal state") })
    }

    @Test("a workflow with several mistakes reports all of them, in line order")
    func reportsAllMistakes() {
        var definition = SampleWorkflow.definition
        definition.transitions.append(Transition(from: "graded", event: "teleport", to: "closed", line: 27))
        definition.transitions[4].guardName = "has_receipt"
        definition.states.append(WorkflowState(name: "on_hold", kind: .normal, line: 10))
        definition.transitions.append(Transition(from: "on_hold", event: "close", to: "closed", line: 26))
        let problems = validator.problems(in: definition, file: "broken.yaml")
        #expect(problems.map(\.line) == [10, 23, 27])
        #expect(
            problems.map(\.message) == [
                "state 'on_hold' is unreachable from 'requested'",
                "undefined guard 'has_receipt'; known guards: has_tracking_number, has_grade, has_reason",
                "transition on undefined event 'teleport'; declare it under 'events:'",
            ])
    }

    @Test("a definition built without line numbers is reported at line 1")
    func missingLineIsLineOne() {
        var definition = SampleWorkflow.definition
        definition.transitions.append(Transition(from: "closed", event: "cancel", to: "cancelled"))
        #expect(validator.problems(in: definition, file: "built.yaml").map(\.line) == [1])
    }

    @Test("a problem prints like a compiler diagnostic")
    func problemDescription() {
        #expect(
            WorkflowProblem(file: "standard.yaml", line: 12, message: "boom").description == "standard.yaml:12: boom")
        #expect(
            WorkflowProblem(file: "standard.yaml", line: 3, message: "odd", severity: .warning).description
                == "standard.yaml:3: warning: odd")
    }
}
