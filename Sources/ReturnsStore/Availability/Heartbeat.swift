import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Tells a database that stopped answering from one that is slow, for connections the network left open.
///
/// A connection that dies without a FIN or RST (a network partition, a host that vanished) stays open on this side:
/// a statement sent on it waits for the kernel to give up retransmitting, which takes a quarter of an hour, and
/// postgres-nio offers no TCP keepalive or `TCP_USER_TIMEOUT` for its sockets (its bootstrap sets neither, nor lets
/// a caller), nor a client-side statement deadline. So the heartbeat asks the server itself: every `interval` it
/// runs `SELECT 1` on a connection of its own, outside the pool. When no answer comes within `timeout`, or the
/// server cannot be reached at all, the database counts as unavailable: work then in flight has its connection
/// closed (it ends with `StoreError.connectionLost` through `ConnectionLossGuard`), and new work is refused at once
/// with `StoreError.unreachable` instead of being handed a pooled connection that may be just as dead. The first
/// answer again ends that. The server's side is PostgreSQL's `tcp_keepalives_*` and `tcp_user_timeout`, which end
/// the partitioned sessions and free their locks (docs/operations.md).
final class Heartbeat: Sendable {
    let interval: Duration
    let timeout: Duration
    private let state = Mutex(State())

    private struct State {
        var unavailableSince: ContinuousClock.Instant?
        var reason: String?
        var beats = 0
    }

    init(timeout: Duration, interval: Duration? = nil) {
        self.timeout = timeout
        self.interval = interval ?? min(.seconds(1), timeout / 2)
    }

    /// Whether the last beat went unanswered; nil reason while answering.
    var unavailable: String? {
        state.withLock { $0.unavailableSince == nil ? nil : ($0.reason ?? "no answer") }
    }

    /// Beats answered so far, for tests.
    var answeredBeats: Int { state.withLock { $0.beats } }

    /// How the heartbeat's session shows in `pg_stat_activity`.
    static let applicationName = "returns heartbeat"

    /// Beats until cancelled.
    func run(settings: DatabaseSettings, lossGuard: ConnectionLossGuard, logger: Logger) async {
        var connection: PostgresConnection?
        let timeout = self.timeout
        var configuration = settings.connectionConfiguration
        configuration.options.additionalStartupParameters = [("application_name", Self.applicationName)]
        // The connect is bounded by its own timeout, not abandoned at a deadline: a connection that opened after
        // its caller gave up would be left open.
        configuration.options.connectTimeout = TimeAmount(timeout)
        while !Task.isCancelled {
            do {
                if connection == nil || connection?.isClosed == true {
                    connection = try await PostgresConnection.connect(configuration: configuration, id: -1, logger: logger)
                }
                let open = connection!
                try await Deadline.run(within: timeout) {
                    for try await _ in try await open.query("SELECT 1", logger: logger) {}
                }
                answered(logger: logger)
            } catch is CancellationError {
                break
            } catch {
                if let dead = connection {
                    connection = nil
                    await Self.close(dead)
                }
                let silent = error is Deadline.Exceeded
                let reason = silent ? "the database did not answer within \(timeout)" : StoreError.describe(error)
                if failed(reason: reason) {
                    let closed = lossGuard.closeAll()
                    logger.warning(
                        "database unavailable; failed the work in flight",
                        metadata: ["reason": "\(reason)", "connections_closed": "\(closed)"])
                }
            }
            do { try await Task.sleep(for: interval) } catch { break }
        }
        if let connection { await Self.close(connection) }
    }

    private func answered(logger: Logger) {
        let was = state.withLock { state -> ContinuousClock.Instant? in
            defer {
                state.unavailableSince = nil
                state.reason = nil
                state.beats += 1
            }
            return state.unavailableSince
        }
        if let was {
            logger.warning("database answers again", metadata: ["unavailable_for": "\(ContinuousClock.now - was)"])
        }
    }

    /// Records a failed beat; true for the first of a run of them.
    private func failed(reason: String) -> Bool {
        state.withLock { state in
            state.reason = reason
            guard state.unavailableSince == nil else { return false }
            state.unavailableSince = .now
            return true
        }
    }

    /// Closes the channel here, without a word to the server (which may not be listening), and waits for it.
    private static func close(_ connection: PostgresConnection) async {
        _ = try? await (connection.close() as EventLoopFuture<Void>).get()
    }
}
