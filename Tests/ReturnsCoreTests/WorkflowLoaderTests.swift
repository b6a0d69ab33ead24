import ReturnsCore
import Testing

@Suite("Workflow loader")
struct WorkflowLoaderTests {
    static let minimal = """
        workflow: tiny
        version: 2
        description: The smallest useful return.
        states:
          requested:
            kind: initial
            description: We have your request.
          awaiting_parcel:
            kind: waiting
          reviewed:
            description: A person looked at it.
          done:
            kind: terminal
        events:
          send: The customer sent the parcel.
          timeout: Timer; nothing arrived.
          review:
            description: A person reviewed it.
          finish: Done.
        transitions:
          - from: requested
            event: send
            to: awaiting_parcel
            guard: has_tracking_number
            actions:
              - notify: sent
              - start_timer: {name: parcel_wait, after: 30d, event: timeout}
          - from: awaiting_parcel
            event: review
            to: reviewed
            actions:
              - cancel_timer: parcel_wait
              - issue_refund
          - from: [awaiting_parcel, reviewed]
            event: finish
            to: done
          - from: awaiting_parcel
            event: timeout
            to: done
        """

    @Test("a minimal workflow loads with its states, events, transitions and actions, each on its line")
    func loadsMinimalWorkflow() throws {
        let (loaded, problems) = WorkflowLoader.load(yaml: Self.minimal, file: "tiny.yaml")
        #expect(problems == [])
        let definition = try #require(loaded)
        let expected = WorkflowDefinition(
            name: "tiny", version: 2, description: "The smallest useful return.",
            states: [
                WorkflowState(name: "requested", kind: .initial, description: "We have your request.", line: 5),
                WorkflowState(name: "awaiting_parcel", kind: .waiting, line: 8),
                WorkflowState(name: "reviewed", kind: .normal, description: "A person looked at it.", line: 10),
                WorkflowState(name: "done", kind: .terminal, line: 12),
            ],
            events: [
                WorkflowEvent(name: "send", description: "The customer sent the parcel.", line: 15),
                WorkflowEvent(name: "timeout", description: "Timer; nothing arrived.", line: 16),
                WorkflowEvent(name: "review", description: "A person reviewed it.", line: 17),
                WorkflowEvent(name: "finish", description: "Done.", line: 19),
            ],
            transitions: [
                Transition(
                    from: "requested", event: "send", to: "awaiting_parcel", guardName: "has_tracking_number",
                    actions: [
                        .notify(template: "sent"),
                        .startTimer(name: "parcel_wait", seconds: 2_592_000, event: "timeout"),
                    ],
                    line: 21),
                Transition(
                    from: "awaiting_parcel", event: "review", to: "reviewed",
                    actions: [.cancelTimer(name: "parcel_wait"), .issueRefund], line: 28),
                Transition(from: "awaiting_parcel", event: "finish", to: "done", line: 34),
                Transition(from: "reviewed", event: "finish", to: "done", line: 34),
                Transition(from: "awaiting_parcel", event: "timeout", to: "done", line: 37),
            ])
        #expect(definition == expected)
        #expect(definition.initialState?.name == "requested")
    }

    @Test("the minimal workflow also passes the validator")
    func minimalWorkflowIsValid() throws {
        let definition = try #require(WorkflowLoader.load(yaml: Self.minimal, file: "tiny.yaml").0)
        #expect(WorkflowValidator(knownTemplates: ["sent"]).problems(in: definition, file: "tiny.yaml") == [])
    }

    @Test("'from: [a, b]' declares the same transition out of each listed state")
    func fromListExpands() throws {
        let definition = try #require(WorkflowLoader.load(yaml: Self.minimal, file: "tiny.yaml").0)
        let finishes = definition.transitions.filter { $0.event == "finish" }
        #expect(finishes.map(\.from) == ["awaiting_parcel", "reviewed"])
        #expect(finishes.map(\.to) == ["done", "done"])
        #expect(definition.allowedEvents(in: "reviewed") == ["finish"])
    }

    static func timerWorkflow(after: String) -> String {
        """
        workflow: tiny
        version: 1
        states:
          requested: {kind: initial}
          done: {kind: terminal}
        events:
          finish: Done.
        transitions:
          - from: requested
            event: finish
            to: done
            actions:
              - start_timer:
                  name: reminder
                  after: \(after)
                  event: finish
        """
    }

    @Test(
        "a start_timer duration in days, hours, minutes or seconds is read as seconds",
        arguments: [("30d", 2_592_000), ("48h", 172_800), ("15m", 900), ("90s", 90), ("1d", 86_400)])
    func readsDuration(after: String, seconds: Int) throws {
        let (loaded, problems) = WorkflowLoader.load(yaml: Self.timerWorkflow(after: after), file: "t.yaml")
        #expect(problems == [])
        let definition = try #require(loaded)
        #expect(
            definition.transitions.first?.actions == [.startTimer(name: "reminder", seconds: seconds, event: "finish")])
    }

    @Test(
        "a start_timer duration that is not a positive count of d, h, m or s, or overflows, is reported on its line",
        arguments: ["2w", "30", "0d", "-5d", "1.5h", "30 d", "30D", "d", "999999999999999999d"])
    func refusesDuration(after: String) throws {
        let (loaded, problems) = WorkflowLoader.load(yaml: Self.timerWorkflow(after: after), file: "t.yaml")
        #expect(problems.map(\.line) == [15])
        let message = try #require(problems.first?.message)
        #expect(message.hasPrefix("'\(after)' is not a duration"))
        #expect(message.hasSuffix("; write it like 30d, 48h, 15m or 90s"))
        #expect(try #require(loaded).transitions.first?.actions == [])
    }

    struct BrokenFile: Sendable, CustomTestStringConvertible {
        let mistake: String
        let yaml: String
        let line: Int
        let message: String
        var testDescription: String { mistake }
    }

    static let brokenFiles: [BrokenFile] = [
        BrokenFile(
            mistake: "unknown top-level key",
            yaml: """
                workflow: tiny
                version: 1
                owner: returns-team
                states:
                  requested: {kind: initial}
                  done: {kind: terminal}
                events:
                  finish: Done.
                transitions:
                  - from: requested
                    event: finish
                    to: done
                """,
            line: 3,
            message:
                "unknown key 'owner'; expected one of description, events, states, transitions, version, workflow"),
        BrokenFile(
            mistake: "unknown key in a state",
            yaml: """
                workflow: tiny
                version: 1
                states:
                  requested:
                    kind: initial
                    colour: red
                  done: {kind: terminal}
                events:
                  finish: Done.
                transitions:
                  - from: requested
                    event: finish
                    to: done
                """,
            line: 6,
            message: "unknown key 'colour'; expected one of description, kind"),
        BrokenFile(
            mistake: "unknown key in a transition",
            yaml: """
                workflow: tiny
                version: 1
                states:
                  requested: {kind: initial}
                  done: {kind: terminal}
                events:
                  finish: Done.
                transitions:
                  - from: requested
                    event: finish
                    to: done
                    when: later
                """,
            line: 12,
            message: "unknown key 'when'; expected one of actions, event, from, guard, to"),
        BrokenFile(
            mistake: "state kind that does not exist",
            yaml: """
                workflow: tiny
                version: 1
                states:
                  requested:
                    kind: initial
                  done:
                    kind: finished
                events:
                  finish: Done.
                transitions:
                  - from: requested
                    event: finish
                    to: done
                """,
            line: 7,
            message: "state 'done': kind 'finished' is not one of initial, normal, waiting, terminal"),
        BrokenFile(
            mistake: "state written as a plain word",
            yaml: """
                workflow: tiny
                version: 1
                states:
                  requested: {kind: initial}
                  done: terminal
                events:
                  finish: Done.
                transitions:
                  - from: requested
                    event: finish
                    to: done
                """,
            line: 5,
            message: "state 'done' must be a mapping like {kind: waiting, description: ...}"),
        BrokenFile(
            mistake: "version that is not positive",
            yaml: """
                workflow: tiny
                version: 0
                states:
                  requested: {kind: initial}
                  done: {kind: terminal}
                events:
                  finish: Done.
                transitions:
                  - from: requested
                    event: finish
                    to: done
                """,
            line: 2,
            message: "'version' must be a positive whole number"),
        BrokenFile(
            mistake: "unknown action",
            yaml: """
                workflow: tiny
                version: 1
                states:
                  requested: {kind: initial}
                  done: {kind: terminal}
                events:
                  finish: Done.
                transitions:
                  - from: requested
                    event: finish
                    to: done
                    actions:
                      - notify: done
                      - send_sms: done
                """,
            line: 14,
            message:
                "unknown action 'send_sms'; expected notify, start_timer, cancel_timer, issue_refund, record_inspection, record_receipt"),
        BrokenFile(
            mistake: "start_timer without an event",
            yaml: """
                workflow: tiny
                version: 1
                states:
                  requested: {kind: initial}
                  done: {kind: terminal}
                events:
                  finish: Done.
                transitions:
                  - from: requested
                    event: finish
                    to: done
                    actions:
                      - notify: done
                      - start_timer: {name: reminder, after: 2d}
                """,
            line: 14,
            message:
                "start_timer needs name, after and event, like {name: label_expiry, after: 30d, event: expire_label}"),
        BrokenFile(
            mistake: "actions that are not a list",
            yaml: """
                workflow: tiny
                version: 1
                states:
                  requested: {kind: initial}
                  done: {kind: terminal}
                events:
                  finish: Done.
                transitions:
                  - from: requested
                    event: finish
                    to: done
                    actions: issue_refund
                """,
            line: 12,
            message: "'actions' must be a list"),
        BrokenFile(
            mistake: "transition without 'to:'",
            yaml: """
                workflow: tiny
                version: 1
                states:
                  requested: {kind: initial}
                  done: {kind: terminal}
                events:
                  finish: Done.
                  cancel: Cancelled.
                transitions:
                  - from: requested
                    event: finish
                    to: done
                  - from: requested
                    event: cancel
                    actions:
                      - notify: cancelled
                """,
            line: 13,
            message: "transition on 'cancel' is missing 'to:'"),
        BrokenFile(
            mistake: "transition without 'event:'",
            yaml: """
                workflow: tiny
                version: 1
                states:
                  requested: {kind: initial}
                  done: {kind: terminal}
                events:
                  finish: Done.
                transitions:
                  - from: requested
                    event: finish
                    to: done
                  - from: requested
                    to: done
                """,
            line: 12,
            message: "transition is missing 'event:'"),
        BrokenFile(
            mistake: "transition without 'from:'",
            yaml: """
                workflow: tiny
                version: 1
                states:
                  requested: {kind: initial}
                  done: {kind: terminal}
                events:
                  finish: Done.
                transitions:
                  - event: finish
                    to: done
                """,
            line: 9,
            message: "transition is missing 'from:' (a state, or a list of states)"),
        BrokenFile(
            mistake: "transitions that are not a list",
            yaml: """
                workflow: tiny
                version: 1
                states:
                  requested: {kind: initial}
                  done: {kind: terminal}
                events:
                  finish: Done.
                transitions:
                  requested: done
                """,
            line: 9,
            message: "'transitions' must be a list of {from, event, to, guard, actions}"),
    ]

    @Test("a mistake in a workflow file is reported once, on the line where it was made", arguments: brokenFiles)
    func reportsMistakeOnItsLine(file: BrokenFile) {
        let (definition, problems) = WorkflowLoader.load(yaml: file.yaml, file: "broken.yaml")
        #expect(definition != nil)
        #expect(problems == [WorkflowProblem(file: "broken.yaml", line: file.line, message: file.message)])
    }

    @Test("every mistake in a file is reported, not only the first")
    func reportsEveryMistake() {
        let yaml = """
            workflow: tiny
            version: 1
            owner: returns-team
            states:
              requested: {kind: initial}
              done: {kind: finished}
            events:
              finish: Done.
            transitions:
              - from: requested
                event: finish
                to: done
                actions:
                  - send_sms: done
            """
        let problems = WorkflowLoader.load(yaml: yaml, file: "broken.yaml").1
        #expect(problems.map(\.line) == [3, 6, 14])
        #expect(
            problems.map { $0.message.prefix(20) } == [
                "unknown key 'owner';", "state 'done': kind '", "unknown action 'send",
            ])
    }

    @Test("missing sections are each reported at the top of the workflow")
    func missingSections() {
        let yaml = """
            # a workflow without a name, a version, events or transitions
            states:
              requested: {kind: initial}
            """
        let (definition, problems) = WorkflowLoader.load(yaml: yaml, file: "bare.yaml")
        #expect(definition?.states.map(\.name) == ["requested"])
        #expect(
            problems.map(\.message) == [
                "missing 'workflow:' (the workflow's name)",
                "missing 'version:' (a positive whole number, raised on every change)",
                "missing 'events:'",
                "missing 'transitions:'",
            ])
        #expect(problems.map(\.line) == [2, 2, 2, 2])
    }

    @Test(
        "a file that is not a mapping gives no workflow and one problem",
        arguments: ["", "- requested\n- done\n", "just text"])
    func notAMapping(yaml: String) {
        let (definition, problems) = WorkflowLoader.load(yaml: yaml, file: "odd.yaml")
        #expect(definition == nil)
        #expect(
            problems == [
                WorkflowProblem(
                    file: "odd.yaml", line: 1,
                    message: "a workflow file must be a mapping with workflow, version, states, events and transitions")
            ])
    }

    @Test("text that is not YAML gives no workflow and a problem on the offending line")
    func invalidYAML() throws {
        let yaml = "workflow: tiny\nversion: 1\nstates:\n\trequested: {kind: initial}\n"
        let (definition, problems) = WorkflowLoader.load(yaml: yaml, file: "tabs.yaml")
        #expect(definition == nil)
        let problem = try #require(problems.first)
        #expect(problems.count == 1)
        #expect(problem.file == "tabs.yaml")
        #expect(problem.line == 4)
        #expect(problem.message.hasPrefix("not valid YAML: "))
    }

    @Test("badly indented YAML is reported on the line that breaks the indentation")
    func badIndentation() throws {
        let yaml = """
            workflow: tiny
            version: 1
            states:
              requested:
                kind: initial
               description: one space short
            """
        let (definition, problems) = WorkflowLoader.load(yaml: yaml, file: "indent.yaml")
        #expect(definition == nil)
        #expect(problems.map(\.line) == [6])
        #expect(problems.first?.message.hasPrefix("not valid YAML: ") == true)
    }

    // Known defects, kept as expectations of the intended behaviour so that fixing them flips these tests.

    @Test("a state declared twice is reported on its own line, without the whole file in the message")
    func duplicateKeyLocated() throws {
        let yaml = """
            workflow: tiny
            version: 1
            states:
              requested: {kind: initial}
              done: {kind: terminal}
              done: {kind: terminal}
            events:
              finish: Done.
            transitions:
              - from: requested
                event: finish
                to: done
            """
        let problems = WorkflowLoader.load(yaml: yaml, file: "dup.yaml").1
        let problem = try #require(problems.first)
        #expect(problems.count == 1)
        #expect(problem.message.contains("'done'"))
        #expect(problem.line == 6)
        #expect(!problem.message.contains("transitions:"))
    }

    @Test("a transition with an empty 'from:' list is reported, not silently dropped")
    func emptyFromListReported() {
        let yaml = """
            workflow: tiny
            version: 1
            states:
              requested: {kind: initial}
              done: {kind: terminal}
            events:
              finish: Done.
            transitions:
              - from: requested
                event: finish
                to: done
              - from: []
                event: finish
                to: done
            """
        let (definition, problems) = WorkflowLoader.load(yaml: yaml, file: "from.yaml")
        #expect(definition?.transitions.count == 1)
        #expect(problems.map(\.line) == [12])
        #expect(problems.first?.message.contains("non-empty list of state names") == true)
    }
}
