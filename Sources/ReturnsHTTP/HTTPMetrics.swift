import Foundation
import Hummingbird
import Prometheus
import ReturnsCore
import ReturnsEngine
import ReturnsStore

/// Request counts and latencies by route and status, kept in this process's Prometheus registry.
final class HTTPMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    static var requests: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "returns", metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route and status.") }
    static var duration: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "returns", metricName: "http_request_duration", unitName: "seconds",
        helpText: "HTTP request latency by route.") }

    func record(method: String, route: String, status: Int, duration: Duration) {
        let labels = [("method", method), ("route", route), ("status", String(status))]
        registry.makeCounter(descriptor: Self.requests, labels: labels).increment()
        registry.makeDurationHistogram(
            descriptor: Self.duration, labels: [("method", method), ("route", route)], buckets: Self.buckets
        ).record(duration)
    }

    /// The exposition text: HTTP figures, then transitions, timers and outbox from the engine and the database.
    func exposition(engine: Engine) async throws -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        var text = String(decoding: bytes, as: UTF8.self)
        // Every family gets HELP and TYPE, as `promtool check metrics` demands.
        text += "# HELP returns_transitions_total Transitions committed by this process, by workflow and event.\n"
        text += "# TYPE returns_transitions_total counter\n"
        for (key, count) in engine.transitionCounts.snapshot().sorted(by: { ($0.key.workflow, $0.key.event) < ($1.key.workflow, $1.key.event) }) {
            text += "returns_transitions_total{workflow=\"\(key.workflow)\",event=\"\(key.event)\"} \(count)\n"
        }
        let work = try await engine.lookup.pendingWork()
        text += "# HELP returns_timers_overdue Timers past their due time that no worker has fired yet.\n"
        text += "# TYPE returns_timers_overdue gauge\nreturns_timers_overdue \(work.timersOverdue)\n"
        text += "# HELP returns_outbox_pending Notifications waiting to be delivered, in every process.\n"
        text += "# TYPE returns_outbox_pending gauge\nreturns_outbox_pending \(work.outboxPending)\n"
        text += "# HELP returns_outbox_oldest_pending_age_seconds Age of the oldest notification waiting to be delivered.\n"
        text += "# TYPE returns_outbox_oldest_pending_age_seconds gauge\n"
        text += "returns_outbox_oldest_pending_age_seconds \(work.outboxOldestPendingAgeSeconds)\n"
        // NRR over the last 30 days: the share of "no" to "Did we resolve your problem?".
        let now = Date()
        let rates = try await engine.lookup.responseRates(from: now.addingTimeInterval(-30 * 86_400), to: now)
        text += "# HELP returns_feedback_answers Answers to \"Did we resolve your problem?\" in the last 30 days.\n"
        text += "# TYPE returns_feedback_answers gauge\n"
        for row in rates {
            text += "returns_feedback_answers{\(Self.labels(row))} \(row.answers)\n"
        }
        text += "# HELP returns_negative_response_rate Share of \"no\" answers (NRR) in the last 30 days.\n"
        text += "# TYPE returns_negative_response_rate gauge\n"
        for row in rates {
            text += "returns_negative_response_rate{\(Self.labels(row))} \(String(format: "%.4f", row.rate))\n"
        }
        if let replica = engine.database.replica {
            let status = replica.status
            // A replica never seen caught up has no lag to report; the gauge then says how long it could be at least.
            let lag = status.lag.map { String(format: "%.3f", $0.totalSeconds) } ?? "+Inf"
            text += "# HELP returns_replica_lag_seconds How far the read replica is behind the primary at most.\n"
            text += "# TYPE returns_replica_lag_seconds gauge\nreturns_replica_lag_seconds \(lag)\n"
            text += "# HELP returns_replica_usable Whether status lookups read the replica (1) or the primary (0).\n"
            text += "# TYPE returns_replica_usable gauge\nreturns_replica_usable \(status.verdict == .current ? 1 : 0)\n"
        }
        return text
    }
}

extension HTTPMetrics {
    /// `by="partner",value="..."`, the value escaped as the exposition format asks (backslash, quote, newline).
    static func labels(_ row: ResponseRateRow) -> String {
        let value = row.value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "by=\"\(row.dimension)\",value=\"\(value)\""
    }
}

/// Times every request and records it under the route pattern it matched (`/v1/status/{token}`), so tokens
/// and ids never become label values.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HTTPMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.record(
                method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                status: response.status.code, duration: .now - start)
            return response
        } catch let error as any HTTPResponseError {
            metrics.record(
                method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                status: error.status.code, duration: .now - start)
            throw error
        }
    }
}
