import ReturnsCore
import ReturnsEngine
@testable import ReturnsTestSupport
import Testing

/// The events the engine applies by name must be there where a workflow leads a return into needing them.
@Suite("Engine contract")
struct EngineContractTests {
    static func definition(_ transitions: String) throws -> WorkflowDefinition {
        let yaml = """
            workflow: probe
            version: 1
            states:
              requested: {kind: initial}
              refund_pending: {kind: waiting}
              refund_failed: {kind: normal}
              done: {kind: terminal}
            events:
              approve_refund: Approved.
              refund_succeeded: Paid.
              refund_declined: Declined.
              retry_refund: Retried.
              nothing_to_refund: Nothing due.
              timeout: Timer.
            transitions:
            \(transitions)
            """
        return try #require(WorkflowLoader.load(yaml: yaml, file: "probe.yaml").0)
    }

    @Test("a refund issued into a state that cannot hear the provider's answer is refused, with the line")
    func refundWithoutOutcome() throws {
        let definition = try Self.definition(
            """
              - {from: requested, event: approve_refund, to: refund_pending, actions: [issue_refund, {start_timer: {name: t, after: 1h, event: timeout}}]}
              - {from: refund_pending, event: timeout, to: done}
            """)
        let problems = EngineContract.problems(in: definition, file: "probe.yaml")
        #expect(problems.map(\.line) == [16, 16, 16])
        #expect(problems[0].message.contains("'refund_pending' does not take 'refund_succeeded'"))
        #expect(problems[1].message.contains("'refund_declined'"))
        #expect(problems[2].message.contains("'refund_pending' does not take 'nothing_to_refund'"))
    }

    @Test("a declined refund must lead where finance can retry it")
    func declinedWithoutRetry() throws {
        let definition = try Self.definition(
            """
              - {from: requested, event: approve_refund, to: refund_pending, actions: [issue_refund, {start_timer: {name: t, after: 1h, event: timeout}}]}
              - {from: refund_pending, event: refund_succeeded, to: done}
              - {from: refund_pending, event: refund_declined, to: refund_failed}
              - {from: refund_pending, event: timeout, to: done}
              - {from: refund_failed, event: timeout, to: done}
              - {from: refund_pending, event: nothing_to_refund, to: done}
            """)
        let problems = EngineContract.problems(in: definition, file: "probe.yaml")
        #expect(problems.count == 1)
        #expect(problems.first?.line == 18)
        #expect(problems.first?.message.contains("'refund_failed' is where a declined refund leads") == true)
    }

    @Test("the shipped workflows give the engine every event it applies")
    func shippedWorkflows() {
        for file in TestDatabase.catalog.files {
            #expect(EngineContract.problems(in: file.definition, file: file.path).isEmpty, "\(file.path)")
        }
    }
}
