/// How a logistics partner has done lately, for choosing who gets the next return.
public struct PartnerStanding: Sendable, Hashable, Codable {
    public var id: Int64
    public var name: String
    /// The region it serves; nil serves every region.
    public var region: String?
    /// Returns it inspected in the scoring window.
    public var inspected: Int
    /// Of those, how many missed the inspection SLA at least once.
    public var overdue: Int
    /// Returns assigned to it in the last 7 days: its current load.
    public var recentlyAssigned: Int

    public init(id: Int64, name: String, region: String?, inspected: Int, overdue: Int, recentlyAssigned: Int) {
        self.id = id
        self.name = name
        self.region = region
        self.inspected = inspected
        self.overdue = overdue
        self.recentlyAssigned = recentlyAssigned
    }

    /// Share of inspected returns that met the SLA; a partner with no record yet counts as compliant.
    public var slaCompliance: Double {
        inspected == 0 ? 1 : Double(inspected - min(overdue, inspected)) / Double(inspected)
    }

    /// The partner for a return from `region`: the partners of that region, else those serving every region,
    /// else any partner (a return nobody handles is worse than a far one); among them the best SLA compliance,
    /// then the lightest recent load, then the oldest partner.
    public static func choose(for region: String?, among standings: [PartnerStanding]) -> PartnerStanding? {
        let local = standings.filter { region != nil && $0.region == region }
        let global = standings.filter { $0.region == nil }
        let candidates = !local.isEmpty ? local : !global.isEmpty ? global : standings
        return candidates.min { a, b in
            if a.slaCompliance != b.slaCompliance { return a.slaCompliance > b.slaCompliance }
            if a.recentlyAssigned != b.recentlyAssigned { return a.recentlyAssigned < b.recentlyAssigned }
            return a.id < b.id
        }
    }
}
