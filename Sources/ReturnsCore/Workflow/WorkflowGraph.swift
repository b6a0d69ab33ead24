/// Renders a workflow as a diagram, for review and documentation.
public enum WorkflowGraphFormat: String, Sendable, CaseIterable {
    case mermaid
    case dot
}

extension WorkflowDefinition {
    /// The workflow as Mermaid `stateDiagram-v2` or Graphviz DOT text.
    public func graph(format: WorkflowGraphFormat) -> String {
        switch format {
        case .mermaid:
            var lines = ["stateDiagram-v2"]
            if let initial = initialState { lines.append("    [*] --> \(initial.name)") }
            for transition in transitions {
                lines.append("    \(transition.from) --> \(transition.to): \(label(transition))")
            }
            for state in states where state.isTerminal { lines.append("    \(state.name) --> [*]") }
            return lines.joined(separator: "\n") + "\n"
        case .dot:
            var lines = ["digraph \"\(name)\" {", "    rankdir=LR;"]
            for state in states {
                let shape =
                    switch state.kind {
                    case .initial: "circle"
                    case .terminal: "doublecircle"
                    case .waiting: "box"
                    case .normal: "ellipse"
                    }
                lines.append("    \"\(state.name)\" [shape=\(shape)];")
            }
            for transition in transitions {
                lines.append("    \"\(transition.from)\" -> \"\(transition.to)\" [label=\"\(label(transition))\"];")
            }
            lines.append("}")
            return lines.joined(separator: "\n") + "\n"
        }
    }

    private func label(_ transition: Transition) -> String {
        var text = transition.event
        if let guardName = transition.guardName { text += " [\(guardName)]" }
        return text
    }
}
