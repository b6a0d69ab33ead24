import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// What the workflows say about receipts and inspections: which events record them, and each workflow's
/// inspection SLA, read from the timer its receipt step starts (`start_timer: {name: inspection_sla, after: 48h}`),
/// so the SLA lives in one place, the workflow file.
public struct InspectionRules: Sendable, Hashable {
    public static let slaTimer = "inspection_sla"

    /// Events whose transitions record a receipt.
    public var receiptEvents: [String]
    /// Events that end the inspection: those recording grades, and those that stop the SLA timer.
    public var inspectionEvents: [String]
    /// Seconds from receipt to inspection allowed, per workflow name.
    public var slaSeconds: [String: Int]

    public init(catalog: WorkflowCatalog) {
        var receipts: Set<String> = []
        var inspections: Set<String> = []
        var sla: [String: Int] = [:]
        for file in catalog.files {
            for transition in file.definition.transitions {
                for action in transition.actions {
                    switch action {
                    case .recordReceipt: receipts.insert(transition.event)
                    case .recordInspection: inspections.insert(transition.event)
                    case .cancelTimer(let name) where name == Self.slaTimer: inspections.insert(transition.event)
                    case .startTimer(let name, let seconds, _) where name == Self.slaTimer:
                        if transition.actions.contains(.recordReceipt) { sla[file.definition.name] = seconds }
                    default: break
                    }
                }
            }
        }
        receiptEvents = receipts.sorted()
        inspectionEvents = inspections.sorted()
        slaSeconds = sla
    }

    public init(receiptEvents: [String], inspectionEvents: [String], slaSeconds: [String: Int]) {
        self.receiptEvents = receiptEvents
        self.inspectionEvents = inspectionEvents
        self.slaSeconds = slaSeconds
    }
}

extension InspectionRules {
    /// What the engine's records of `partnerID` are read for under these rules, over [from, to).
    func inspections(of partnerID: Int64, from: Date?, to: Date?) -> PartnerInspections {
        PartnerInspections(
            partnerID: partnerID, receiptEvents: receiptEvents, inspectionEvents: inspectionEvents,
            slaSeconds: slaSeconds, from: from, to: to)
    }
}
