import Synchronization

/// Transitions this process committed, by workflow and event, for `/metrics`. A transition counts once its
/// transaction has committed, never for one rolled back.
public final class TransitionCounts: Sendable {
    public struct Key: Sendable, Hashable {
        public var workflow: String
        public var event: String
    }

    private let counts = Mutex<[Key: Int]>([:])

    public init() {}

    public func snapshot() -> [Key: Int] { counts.withLock { $0 } }

    func add(_ keys: [Key]) {
        guard !keys.isEmpty else { return }
        counts.withLock { counts in
            for key in keys { counts[key, default: 0] += 1 }
        }
    }

    /// The transitions written inside one transaction, counted when (and if) it commits.
    final class Pending: Sendable {
        let keys = Mutex<[Key]>([])
    }

    @TaskLocal static var pending: Pending?
}
