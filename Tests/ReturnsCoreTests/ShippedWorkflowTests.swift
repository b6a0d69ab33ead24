import Foundation
import ReturnsCore
import Testing

/// The workflow files the package ships, read from the package root
/// (this file is Tests/ReturnsCoreTests/ShippedWorkflowTests.swift).
@Suite("Shipped workflows")
struct ShippedWorkflowTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let workflows = root.appendingPathComponent("Workflows")

    static func templates() throws -> Set<String> {
        let folder = workflows.appendingPathComponent("notifications/en")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        return Set(files.filter { $0.hasSuffix(".mustache") }.map { String($0.dropLast(".mustache".count)) })
    }

    static func load(_ name: String) throws -> WorkflowDefinition {
        let file = workflows.appendingPathComponent("\(name).yaml")
        let (definition, problems) = WorkflowLoader.load(
            yaml: try String(contentsOf: file, encoding: .utf8), file: file.path)
        #expect(problems == [], "\(problems)")
        return try #require(definition)
    }

    @Test("the English notification templates are found")
    func templatesFound() throws {
        let templates = try Self.templates()
        #expect(templates.count == 15)
        #expect(templates.contains("label_issued"))
        #expect(templates.contains("keep_it_approved"))
    }

    @Test(
        "a shipped workflow loads and validates against the shipped templates without problems",
        arguments: ["standard", "specialist", "keep-it"])
    func shippedWorkflowIsValid(name: String) throws {
        let definition = try Self.load(name)
        #expect(definition.name == name)
        #expect(definition.version >= 1)
        #expect(definition.initialState?.name == "requested")
        let problems = WorkflowValidator(knownTemplates: try Self.templates()).problems(
            in: definition, file: "\(name).yaml")
        #expect(problems == [], "\(problems)")
    }

    typealias Step = (event: String, data: [String: JSONValue], to: String)

    /// Applies `steps` from `requested` with decide(), checking each state reached; returns the last state.
    static func walk(_ workflow: WorkflowDefinition, _ steps: [Step]) throws -> String {
        var state = "requested"
        for step in steps {
            let decision = try workflow.decide(event: step.event, in: state, data: step.data)
            #expect(decision.to == step.to, "\(step.event) from \(state)")
            state = decision.to
        }
        return state
    }

    static let happyPath: [Step] = [
        ("issue_label", [:], "label_issued"),
        ("ship", ["tracking_number": .string("1Z999AA10123456784")], "in_transit"),
        ("receive", [:], "received"),
        ("inspect", [:], "inspected"),
        ("grade", ["grade": .string("A")], "graded"),
        ("approve_refund", [:], "refund_pending"),
        ("refund_succeeded", [:], "refunded"),
        ("close", [:], "closed"),
    ]

    @Test("standard: a return shipped, received, inspected, graded A and refunded ends closed")
    func standardHappyPath() throws {
        let standard = try Self.load("standard")
        #expect(try Self.walk(standard, Self.happyPath) == "closed")
        #expect(standard.state(named: "closed")?.isTerminal == true)

        let label = try standard.decide(event: "issue_label", in: "requested")
        #expect(label.actions.contains(.startTimer(name: "label_expiry", seconds: 2_592_000, event: "expire_label")))
        let approval = try standard.decide(event: "approve_refund", in: "graded")
        #expect(approval.actions.contains(.issueRefund))
    }

    /// For each terminal state of standard.yaml, events that lead there from `requested`.
    static let endings: [String: [Step]] = [
        "closed": happyPath,
        "cancelled": [("cancel", [:], "cancelled")],
        "rejected": [("reject", ["reason": .string("bought elsewhere")], "rejected")],
        "label_expired": [("issue_label", [:], "label_issued"), ("expire_label", [:], "label_expired")],
        "lost_in_transit": [
            ("issue_label", [:], "label_issued"),
            ("ship", ["tracking_number": .string("1Z999")], "in_transit"),
            ("scan", [:], "in_transit"),
            ("declare_lost", [:], "lost_in_transit"),
        ],
    ]

    @Test("standard: every terminal state is scripted here")
    func everyTerminalScripted() throws {
        let standard = try Self.load("standard")
        let terminals = standard.states.filter(\.isTerminal).map(\.name)
        #expect(terminals == ["closed", "cancelled", "rejected", "label_expired", "lost_in_transit"])
        #expect(Set(Self.endings.keys) == Set(terminals))
    }

    @Test(
        "standard: each terminal state is reached from requested by decide()",
        arguments: ["closed", "cancelled", "rejected", "label_expired", "lost_in_transit"])
    func terminalReachable(terminal: String) throws {
        let standard = try Self.load("standard")
        let steps = try #require(Self.endings[terminal])
        let reached = try Self.walk(standard, steps)
        #expect(reached == terminal)
        #expect(standard.state(named: reached)?.isTerminal == true)
        #expect(standard.allowedEvents(in: reached) == [])
    }

    @Test("standard: a slow inspection is escalated and can still be inspected")
    func escalatedInspection() throws {
        let standard = try Self.load("standard")
        let escalation = try standard.decide(event: "inspection_overdue", in: "received")
        #expect(escalation.to == "inspection_escalated")
        #expect(escalation.actions.contains(.notify(template: "inspection_delayed")))
        #expect(try standard.decide(event: "inspect", in: "inspection_escalated").to == "inspected")
    }
}
