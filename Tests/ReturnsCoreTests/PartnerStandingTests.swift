import ReturnsCore
import Testing

@Suite("Choosing a partner")
struct PartnerStandingTests {
    static func partner(_ id: Int64, _ region: String?, inspected: Int = 0, overdue: Int = 0, recent: Int = 0)
        -> PartnerStanding
    {
        PartnerStanding(
            id: id, name: "p\(id)", region: region, inspected: inspected, overdue: overdue, recentlyAssigned: recent)
    }

    @Test("a partner of the customer's region is chosen over one serving every region")
    func regionFirst() {
        let chosen = PartnerStanding.choose(
            for: "EU", among: [Self.partner(1, nil), Self.partner(2, "US"), Self.partner(3, "EU", inspected: 10, overdue: 5)])
        #expect(chosen?.id == 3)
    }

    @Test("within a region the best SLA compliance wins, then the lighter load, then the older partner")
    func bestScorecard() {
        let eu = [
            Self.partner(1, "EU", inspected: 100, overdue: 10), Self.partner(2, "EU", inspected: 100, overdue: 2),
            Self.partner(3, "EU", inspected: 50, overdue: 1, recent: 9),
        ]
        #expect(PartnerStanding.choose(for: "EU", among: eu)?.id == 2)
        let tied = [Self.partner(4, "EU", recent: 5), Self.partner(5, "EU", recent: 1), Self.partner(6, "EU", recent: 1)]
        #expect(PartnerStanding.choose(for: "EU", among: tied)?.id == 5)
    }

    @Test("no partner in the region: one serving every region, else any partner, else none")
    func fallbacks() {
        #expect(PartnerStanding.choose(for: "APAC", among: [Self.partner(1, "EU"), Self.partner(2, nil)])?.id == 2)
        #expect(PartnerStanding.choose(for: "APAC", among: [Self.partner(1, "EU")])?.id == 1)
        #expect(PartnerStanding.choose(for: nil, among: [Self.partner(7, "US"), Self.partner(8, "EU")])?.id == 7)
        #expect(PartnerStanding.choose(for: "EU", among: []) == nil)
    }

    @Test("SLA compliance counts a partner with no record as compliant and never goes below zero")
    func compliance() {
        #expect(Self.partner(1, nil).slaCompliance == 1)
        #expect(Self.partner(1, nil, inspected: 4, overdue: 1).slaCompliance == 0.75)
        #expect(Self.partner(1, nil, inspected: 2, overdue: 5).slaCompliance == 0)
    }
}
