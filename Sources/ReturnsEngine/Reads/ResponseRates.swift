import Foundation
import ReturnsStore

extension ReturnLookup {
    /// The negative response rate ("no" to "Did we resolve your problem?") of the answers given in [from, to), per
    /// workflow, partner, reason code (the return's first line's) and locale; `partner` keeps only its returns.
    public func responseRates(from: Date, to: Date, partner: String? = nil) async throws -> [ResponseRateRow] {
        try await engine.read { [engine] connection in
            try await engine.store.feedback.responseRates(from: from, to: to, partner: partner, on: connection)
        }
    }
}
