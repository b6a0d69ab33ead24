import ReturnsStore

extension PartnerLookup {
    /// The partner's id; an unknown name is a usage error that lists the partners there are.
    var id: Int64 {
        get throws(ReconcileError) {
            switch self {
            case .found(let id): return id
            case .unknown(let name, let names):
                throw .usage(
                    "no partner named '\(name)'; "
                        + (names.isEmpty ? "there are no partners yet" : "partners: \(names.joined(separator: ", "))"))
            }
        }
    }
}
