import ReturnsCore
import Testing

@Suite("Workflow graph")
struct WorkflowGraphTests {
    let workflow = SampleWorkflow.definition

    @Test("mermaid output is a state diagram entering the initial state with one line per transition")
    func mermaid() {
        let text = workflow.graph(format: .mermaid)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "stateDiagram-v2")
        #expect(lines.last == "")
        #expect(lines.filter { $0 == "    [*] --> requested" }.count == 1)
        for transition in workflow.transitions {
            let label = transition.guardName.map { "\(transition.event) [\($0)]" } ?? transition.event
            let edge = "    \(transition.from) --> \(transition.to): \(label)"
            #expect(lines.filter { $0 == edge }.count == 1, "missing or repeated: \(edge)")
        }
        #expect(lines.filter { $0.contains(": ") }.count == workflow.transitions.count)
        #expect(lines.contains("    label_issued --> in_transit: ship [has_tracking_number]"))
        #expect(lines.contains("    in_transit --> in_transit: scan"))
        #expect(lines.filter { $0.hasSuffix(" --> [*]") } == ["    closed --> [*]", "    cancelled --> [*]"])
    }

    @Test("mermaid output has no entry arrow when no state is initial")
    func mermaidWithoutInitial() {
        var definition = workflow
        definition.states[0].kind = .normal
        #expect(!definition.graph(format: .mermaid).contains("[*] -->"))
    }

    @Test("dot output is a digraph with a shaped node per state and an edge per transition")
    func dot() {
        let text = workflow.graph(format: .dot)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "digraph \"sample\" {")
        #expect(lines.last == "}")
        #expect(lines.contains("    \"requested\" [shape=circle];"))
        #expect(lines.contains("    \"label_issued\" [shape=box];"))
        #expect(lines.contains("    \"in_transit\" [shape=ellipse];"))
        #expect(lines.contains("    \"closed\" [shape=doublecircle];"))
        for transition in workflow.transitions {
            let label = transition.guardName.map { "\(transition.event) [\($0)]" } ?? transition.event
            let edge = "    \"\(transition.from)\" -> \"\(transition.to)\" [label=\"\(label)\"];"
            #expect(lines.filter { $0 == edge }.count == 1, "missing or repeated: \(edge)")
        }
        #expect(lines.filter { $0.contains(" -> ") }.count == workflow.transitions.count)
        #expect(lines.contains("    \"label_issued\" -> \"cancelled\" [label=\"cancel [has_reason]\"];"))
    }
}
