import Yams

/// Reads a workflow definition from YAML text, collecting every problem with its line instead of stopping at the first.
public struct WorkflowLoader {
    public let file: String
    private var problems: [WorkflowProblem] = []

    public init(file: String) {
        self.file = file
    }

    /// The definition (nil when the text is not a usable workflow) and the problems found while reading it.
    public static func load(yaml: String, file: String) -> (WorkflowDefinition?, [WorkflowProblem]) {
        var loader = WorkflowLoader(file: file)
        let definition = loader.read(yaml)
        return (definition, loader.problems)
    }

    private mutating func problem(_ node: Node?, _ message: String) {
        problems.append(WorkflowProblem(file: file, line: node?.mark?.line ?? 1, message: message))
    }

    private mutating func read(_ yaml: String) -> WorkflowDefinition? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            problems.append(Self.problem(from: error, yaml: yaml, file: file))
            return nil
        } catch {
            problems.append(WorkflowProblem(file: file, line: 1, message: "not valid YAML: \(error)"))
            return nil
        }
        guard let root, let top = root.mapping else {
            problem(root, "a workflow file must be a mapping with workflow, version, states, events and transitions")
            return nil
        }
        checkKeys(top, root, allowed: ["workflow", "version", "description", "states", "events", "transitions"])

        let name = top["workflow"]?.string ?? ""
        if name.isEmpty { problem(root, "missing 'workflow:' (the workflow's name)") }
        var version = 0
        if let node = top["version"] {
            if let value = node.string.flatMap(Int.init), value > 0 {
                version = value
            } else {
                problem(node, "'version' must be a positive whole number")
            }
        } else {
            problem(root, "missing 'version:' (a positive whole number, raised on every change)")
        }
        let states = readStates(top["states"], parent: root)
        let events = readEvents(top["events"], parent: root)
        let transitions = readTransitions(top["transitions"], parent: root)
        return WorkflowDefinition(
            name: name, version: version, description: top["description"]?.string ?? "", states: states,
            events: events, transitions: transitions)
    }

    private mutating func checkKeys(_ mapping: Node.Mapping, _ node: Node, allowed: Set<String>) {
        for (key, _) in mapping {
            let text = key.string ?? ""
            if !allowed.contains(text) {
                problem(key, "unknown key '\(text)'; expected one of \(allowed.sorted().joined(separator: ", "))")
            }
        }
    }

    private mutating func readStates(_ node: Node?, parent: Node) -> [WorkflowState] {
        guard let node else {
            problem(parent, "missing 'states:'")
            return []
        }
        guard let mapping = node.mapping else {
            problem(node, "'states' must map each state's name to {kind, description}")
            return []
        }
        var states: [WorkflowState] = []
        for (key, value) in mapping {
            let name = key.string ?? ""
            let line = key.mark?.line ?? 0
            var kind = StateKind.normal
            var description = ""
            if let body = value.mapping {
                checkKeys(body, value, allowed: ["kind", "description"])
                if let kindNode = body["kind"] {
                    if let parsed = kindNode.string.flatMap(StateKind.init(rawValue:)) {
                        kind = parsed
                    } else {
                        problem(
                            kindNode,
                            "state '\(name)': kind '\(kindNode.string ?? "")' is not one of "
                                + StateKind.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                }
                description = body["description"]?.string ?? ""
            } else if value.string != nil && value.string != "" && value.string != "~" {
                problem(value, "state '\(name)' must be a mapping like {kind: waiting, description: ...}")
            }
            states.append(WorkflowState(name: name, kind: kind, description: description, line: line))
        }
        return states
    }

    private mutating func readEvents(_ node: Node?, parent: Node) -> [WorkflowEvent] {
        guard let node else {
            problem(parent, "missing 'events:'")
            return []
        }
        guard let mapping = node.mapping else {
            problem(node, "'events' must map each event's name to a description")
            return []
        }
        return mapping.map { key, value in
            WorkflowEvent(
                name: key.string ?? "", description: value.mapping?["description"]?.string ?? value.string ?? "",
                line: key.mark?.line ?? 0)
        }
    }

    private mutating func readTransitions(_ node: Node?, parent: Node) -> [Transition] {
        guard let node else {
            problem(parent, "missing 'transitions:'")
            return []
        }
        guard let sequence = node.sequence else {
            problem(node, "'transitions' must be a list of {from, event, to, guard, actions}")
            return []
        }
        var transitions: [Transition] = []
        for item in sequence {
            guard let body = item.mapping else {
                problem(item, "a transition must be a mapping with from, event and to")
                continue
            }
            checkKeys(body, item, allowed: ["from", "event", "to", "guard", "actions"])
            let froms: [String]
            if let list = body["from"]?.sequence {
                froms = list.compactMap { $0.scalar?.string }
                if froms.isEmpty || froms.count != list.count {
                    problem(body["from"], "'from:' must be a state name or a non-empty list of state names")
                }
            } else if let single = body["from"]?.string {
                froms = [single]
            } else {
                problem(item, "transition is missing 'from:' (a state, or a list of states)")
                froms = []
            }
            guard let event = body["event"]?.string else {
                problem(item, "transition is missing 'event:'")
                continue
            }
            guard let to = body["to"]?.string else {
                problem(item, "transition on '\(event)' is missing 'to:'")
                continue
            }
            let actions = readActions(body["actions"])
            let line = item.mark?.line ?? 0
            for from in froms {
                transitions.append(
                    Transition(
                        from: from, event: event, to: to, guardName: body["guard"]?.string, actions: actions,
                        line: line))
            }
        }
        return transitions
    }

    private mutating func readActions(_ node: Node?) -> [Action] {
        guard let node else { return [] }
        guard let sequence = node.sequence else {
            problem(node, "'actions' must be a list")
            return []
        }
        var actions: [Action] = []
        for item in sequence {
            if let word = item.scalar?.string, let action = Action.bareWords[word] {
                actions.append(action)
                continue
            }
            guard let mapping = item.mapping, mapping.count == 1, let (key, value) = mapping.first.map({ ($0.key, $0.value) })
            else {
                problem(
                    item,
                    "an action is one of: notify: TEMPLATE, start_timer: {name, after, event}, cancel_timer: NAME, "
                        + Action.bareWords.keys.sorted().joined(separator: ", "))
                continue
            }
            switch key.string ?? "" {
            case "notify":
                if let template = value.scalar?.string, !template.isEmpty, value.null == nil {
                    actions.append(.notify(template: template))
                } else {
                    problem(value, "notify needs a template name")
                }
            case "cancel_timer":
                if let name = value.string, !name.isEmpty {
                    actions.append(.cancelTimer(name: name))
                } else {
                    problem(value, "cancel_timer needs a timer name")
                }
            case "start_timer":
                guard let body = value.mapping, let name = body["name"]?.string, let event = body["event"]?.string,
                    let afterNode = body["after"]
                else {
                    problem(value, "start_timer needs name, after and event, like {name: label_expiry, after: 30d, event: expire_label}")
                    continue
                }
                guard let seconds = Self.seconds(in: afterNode.string ?? "") else {
                    problem(afterNode, "'\(afterNode.string ?? "")' is not a duration up to 100 years; write it like 30d, 48h, 15m or 90s")
                    continue
                }
                actions.append(.startTimer(name: name, seconds: seconds, event: event))
            default:
                problem(
                    key,
                    "unknown action '\(key.string ?? "")'; expected notify, start_timer, cancel_timer, "
                        + Action.bareWords.keys.sorted().joined(separator: ", "))
            }
        }
        return actions
    }

    /// Parses durations such as `30d`, `48h`, `15m`, `90s` into seconds.
    public static func seconds(in text: String) -> Int? {
        let units: [Character: Int] = ["d": 86_400, "h": 3_600, "m": 60, "s": 1]
        guard let unit = text.last, let scale = units[unit], let count = Int(text.dropLast()), count > 0 else {
            return nil
        }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: scale)
        // Beyond about 100 years a timer is a typo, not a policy.
        return overflow || seconds > 100 * 366 * 86_400 ? nil : seconds
    }

    private static func problem(from error: YamlError, yaml: String, file: String) -> WorkflowProblem {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Point at the second occurrence of the first duplicate key, after the mapping that holds it.
            let key = duplicates.sorted().first ?? ""
            let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
            let occurrences = lines.indices.filter { index in
                index + 1 >= context.mark.line && lines[index].drop { $0 == " " || $0 == "-" }.hasPrefix("\(key):")
            }
            let line = occurrences.count > 1 ? occurrences[1] + 1 : context.mark.line
            return WorkflowProblem(
                file: file, line: line,
                message: "'\(duplicates.sorted().joined(separator: "', '"))' is declared twice in the same mapping")
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return WorkflowProblem(file: file, line: mark.line, message: "not valid YAML: \(problem)")
        default:
            return WorkflowProblem(file: file, line: 1, message: "not valid YAML: \(error)")
        }
    }
}
