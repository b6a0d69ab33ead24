import ReturnsCore
import Testing

@Suite("State machine")
struct StateMachineTests {
    let workflow = SampleWorkflow.definition

    @Test("an allowed event moves the return to the transition's state with the transition's actions")
    func allowedEvent() throws {
        let decision = try workflow.decide(event: "issue_label", in: "requested")
        #expect(decision.from == "requested")
        #expect(decision.event == "issue_label")
        #expect(decision.to == "label_issued")
        #expect(
            decision.actions == [
                .notify(template: "label_issued"),
                .startTimer(name: "label_expiry", seconds: 2_592_000, event: "expire_label"),
            ])
        #expect(decision.changesState)
    }

    @Test("the same event from different states follows the transition declared for each state")
    func sameEventDifferentStates() throws {
        let reason: [String: JSONValue] = ["reason": .string("changed my mind")]
        let early = try workflow.decide(event: "cancel", in: "requested", data: reason)
        let late = try workflow.decide(event: "cancel", in: "label_issued", data: reason)
        #expect(early.to == "cancelled")
        #expect(early.actions == [.notify(template: "return_cancelled")])
        #expect(late.to == "cancelled")
        #expect(late.actions == [.cancelTimer(name: "label_expiry"), .notify(template: "return_cancelled")])
    }

    @Test("a self-transition keeps the return in its state")
    func selfTransition() throws {
        let decision = try workflow.decide(event: "scan", in: "in_transit")
        #expect(decision.to == "in_transit")
        #expect(!decision.changesState)
    }

    @Test("an event the state does not allow is refused, listing what the state allows")
    func eventNotAllowed() throws {
        #expect(
            throws: WorkflowError.eventNotAllowed(
                event: "close", state: "requested", allowed: ["issue_label", "cancel"])
        ) {
            try workflow.decide(event: "close", in: "requested")
        }
        #expect(
            throws: WorkflowError.eventNotAllowed(
                event: "grade", state: "label_issued", allowed: ["expire_label", "ship", "cancel"])
        ) { try workflow.decide(event: "grade", in: "label_issued", data: ["grade": .string("A")]) }
    }

    @Test("an event in a terminal state is refused because the return is finished")
    func eventInTerminalState() throws {
        let error = try #require(throws: WorkflowError.self) { try workflow.decide(event: "cancel", in: "closed") }
        #expect(error == .eventNotAllowed(event: "cancel", state: "closed", allowed: []))
        #expect(
            error.description
                == "event 'cancel' is not allowed in state 'closed'; allowed there: none (the return is finished)")
    }

    @Test("an event the workflow does not declare is refused as unknown, listing the workflow's events")
    func unknownEvent() throws {
        let error = try #require(throws: WorkflowError.self) { try workflow.decide(event: "teleport", in: "requested") }
        #expect(
            error
                == .unknownEvent(
                    event: "teleport", workflow: "sample",
                    known: ["issue_label", "expire_label", "ship", "scan", "grade", "close", "cancel"]))
        #expect(
            error.description
                == "workflow 'sample' has no event 'teleport'; its events are: "
                + "issue_label, expire_label, ship, scan, grade, close, cancel")
    }

    @Test("a refused event's message names the state and the events allowed there")
    func notAllowedDescription() {
        let error = WorkflowError.eventNotAllowed(
            event: "close", state: "requested", allowed: ["issue_label", "cancel"])
        #expect(
            error.description == "event 'close' is not allowed in state 'requested'; allowed there: issue_label, cancel"
        )
    }

    static let grades = ["A", "B", "C", "D", "X", "empty_box", "wrong_item"]
    static let gradeList = "A, B, C, D, X, empty_box, wrong_item"

    struct GuardCase: Sendable, CustomTestStringConvertible {
        let event: String
        let state: String
        let data: [String: JSONValue]
        let guardName: String
        let reason: String
        var testDescription: String { "\(event) in \(state) with \(data)" }
    }

    static let refused: [GuardCase] = [
        GuardCase(
            event: "ship", state: "label_issued", data: [:], guardName: "has_tracking_number",
            reason: "give a non-empty \"tracking_number\" in the event data"),
        GuardCase(
            event: "ship", state: "label_issued", data: ["tracking_number": .string("")],
            guardName: "has_tracking_number", reason: "give a non-empty \"tracking_number\" in the event data"),
        GuardCase(
            event: "ship", state: "label_issued", data: ["tracking_number": .null], guardName: "has_tracking_number",
            reason: "give a non-empty \"tracking_number\" in the event data"),
        GuardCase(
            event: "ship", state: "label_issued", data: ["tracking": .string("1Z999")],
            guardName: "has_tracking_number", reason: "give a non-empty \"tracking_number\" in the event data"),
        GuardCase(
            event: "grade", state: "in_transit", data: [:], guardName: "has_grade",
            reason: "give \"grade\" in the event data (one of \(gradeList))"),
        GuardCase(
            event: "grade", state: "in_transit", data: ["grade": .number(1)], guardName: "has_grade",
            reason: "give \"grade\" in the event data (one of \(gradeList))"),
        GuardCase(
            event: "grade", state: "in_transit", data: ["grade": .string("E")], guardName: "has_grade",
            reason: "grade 'E' is not one of \(gradeList)"),
        GuardCase(
            event: "grade", state: "in_transit", data: ["grade": .string("a")], guardName: "has_grade",
            reason: "grade 'a' is not one of \(gradeList)"),
        GuardCase(
            event: "cancel", state: "requested", data: [:], guardName: "has_reason",
            reason: "give a non-empty \"reason\" in the event data"),
        GuardCase(
            event: "cancel", state: "label_issued", data: ["reason": .string("")], guardName: "has_reason",
            reason: "give a non-empty \"reason\" in the event data"),
    ]

    @Test("a guard refuses missing or invalid event data, saying what to give", arguments: refused)
    func guardRefuses(check: GuardCase) throws {
        let error = try #require(throws: WorkflowError.self) {
            try workflow.decide(event: check.event, in: check.state, data: check.data)
        }
        #expect(
            error
                == .guardFailed(
                    event: check.event, state: check.state, guardName: check.guardName, reason: check.reason))
        #expect(
            error.description
                == "event '\(check.event)' in state '\(check.state)' needs \(check.guardName): \(check.reason)")
    }

    @Test("has_tracking_number passes with a tracking number")
    func trackingNumberPasses() throws {
        let decision = try workflow.decide(
            event: "ship", in: "label_issued", data: ["tracking_number": .string("1Z999AA10123456784")])
        #expect(decision.to == "in_transit")
        #expect(decision.actions == [.cancelTimer(name: "label_expiry")])
    }

    @Test("has_grade passes with each known grade", arguments: grades)
    func gradePasses(grade: String) throws {
        #expect(try workflow.decide(event: "grade", in: "in_transit", data: ["grade": .string(grade)]).to == "graded")
    }

    @Test("has_reason passes with a reason")
    func reasonPasses() throws {
        let decision = try workflow.decide(event: "cancel", in: "requested", data: ["reason": .string("too small")])
        #expect(decision.to == "cancelled")
    }

    @Test("a transition without a guard ignores the event data")
    func noGuardIgnoresData() throws {
        #expect(try workflow.decide(event: "close", in: "graded", data: ["grade": .string("nonsense")]).to == "closed")
    }
}
