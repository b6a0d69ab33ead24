import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsStore
import WebhookSink

let webhookSecret = "test-secret-0123456789"

/// Retries within milliseconds, so a test sees a message through all its attempts.
func quickSettings(maxAttempts: Int = 3, batchSize: Int = 50, poll: Duration = .milliseconds(50))
    -> NotificationSettings
{
    NotificationSettings(
        publicBaseURL: "https://returns.example.com",
        retry: RetryPolicy(maxAttempts: maxAttempts, base: .milliseconds(1), cap: .milliseconds(5), jitter: 0.5),
        batchSize: batchSize, pollInterval: poll, reconnectDelay: .milliseconds(100))
}

extension Engine {
    func dispatcher(_ channel: any NotificationChannel, _ settings: NotificationSettings = quickSettings()) throws
        -> OutboxDispatcher
    {
        outbox.makeDispatcher(
            channel: channel, settings: settings,
            templatesFolder: TestDatabase.packageRoot.appendingPathComponent("Workflows/notifications"))
    }

    /// A return in `locale`, driven through the standard happy path to closed: four notifications.
    func refundedReturn(locale: String) async throws -> UUID {
        let request = NewReturn(
            workflow: "standard", orderRef: "ORD-\(UUID().uuidString.prefix(6))", customerEmail: "ana@example.com",
            locale: locale,
            items: [try ReturnItem.parse("SHOE-42:1:89.90:EUR"), try ReturnItem.parse("SOCK-3P:2:9.95:EUR")])
        let id = try await transitions.create(request).id
        try await drive(
            id,
            untilReceived + [
                ("inspect", [:]), ("grade", ["grade": .string("A")]), ("approve_refund", [:]),
                ("refund_succeeded", [:]), ("close", [:]),
            ])
        return id
    }

    func outboxStatuses() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for (status, count) in try await rows(
            "SELECT status, count(*)::bigint FROM outbox GROUP BY status", as: (String, Int).self)
        {
            counts[status] = count
        }
        return counts
    }

    /// Waits until `condition` holds, checking every 20 ms, for at most `seconds`.
    func eventually(_ seconds: Double = 30, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}

/// Starts a sink, runs `body` with it and its URL, and stops it.
func withSink<T>(
    failuresPerMessage: Int = 0, delay: Duration = .zero, _ body: (WebhookSink, URL) async throws -> T
) async throws -> T {
    let sink = WebhookSink(secret: webhookSecret, failuresPerMessage: failuresPerMessage, delay: delay)
    let url = try await sink.start()
    do {
        let result = try await body(sink, url)
        try await sink.stop()
        return result
    } catch {
        try? await sink.stop()
        throw error
    }
}

/// Cancels a running dispatcher and waits for it to finish, at most `seconds`; false when it did not stop, so a
/// shutdown that hangs fails the test instead of hanging it.
func stop(_ run: Task<Void, any Error>, within seconds: Int = 15) async -> Bool {
    run.cancel()
    return await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            _ = await run.result
            return true
        }
        group.addTask {
            try? await Task.sleep(for: .seconds(seconds))
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}
