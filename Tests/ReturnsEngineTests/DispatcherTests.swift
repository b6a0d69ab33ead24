import Foundation
import ReturnsCore
import ReturnsEngine
import ReturnsBench
import ReturnsStore
@testable import ReturnsTestSupport
import Testing
import WebhookSink

@Suite("Delivering notifications")
struct DispatcherTests {
    @Test("every message reaches a webhook receiver once, signed, with what its template needs, in order")
    func webhookDelivery() async throws {
        try await TestDatabase.withEngine { engine in
            var orders: [UUID: (order: String, token: String, locale: String)] = [:]
            for locale in ["de", "en", "ja"] {
                let id = try await engine.refundedReturn(locale: locale)
                let record = try await engine.lookup.details(of: id).record
                orders[id] = (record.orderRef, record.statusToken, locale)
            }
            try await withSink { sink, url in
                let dispatcher = try engine.dispatcher(WebhookChannel(url: url, secret: webhookSecret))
                let report = try await dispatcher.drain()
                #expect(report.delivered == 12)
                #expect(report.failed == 0)
                let deliveries = sink.deliveries
                #expect(deliveries.count == 12)
                #expect(deliveries.allSatisfy { $0.signatureValid && $0.status == 200 && $0.attempt == 1 })
                // The Standard Webhooks headers sign the same body too, naming the message by its id.
                #expect(deliveries.allSatisfy { $0.standardSignatureValid })
                #expect(Set(deliveries.map(\.messageID)).count == 12)
                for (id, expected) in orders {
                    let mine = deliveries.filter { $0.returnID == id.uuidString.lowercased() }
                    try #require(mine.count == 4)
                    #expect(mine.map(\.template) == ["label_issued", "in_transit", "received", "refunded"])
                    #expect(mine.map(\.seq) == mine.map(\.seq).sorted())
                    #expect(mine.allSatisfy { $0.locale == expected.locale && $0.to == "ana@example.com" })
                    #expect(mine.allSatisfy { $0.subject.contains(expected.order) })
                    #expect(mine.allSatisfy { $0.statusURL == "https://returns.example.com/status/\(expected.token)" })
                    #expect(mine[0].text.contains("https://returns.example.com/status/\(expected.token)"))
                    #expect(mine[1].text.contains("1Z999"))
                    // 109.80 EUR paid, less the 5.95 EUR label the policy deducts for "changed_mind".
                    #expect(mine[3].text.contains(expected.locale == "de" ? "103,85 EUR" : "103.85 EUR"))
                }
                #expect(try await engine.outboxStatuses() == ["delivered": 12])
                let channels = try await engine.rows("SELECT DISTINCT channel FROM outbox", as: (String.self))
                #expect(channels == ["webhook"])
                let stats = try await engine.outbox.stats()
                #expect(stats.delivered == 12 && stats.pending == 0 && stats.failedAttempts == 0)
                #expect(dispatcher.metrics.snapshot().delivered == 12)
            }
        }
    }

    @Test("a receiver that answers 500 twice then 200 gets the message once it recovers")
    func recovers() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            try await engine.drive(id, [("issue_label", [:])])
            try await withSink(failuresPerMessage: 2) { sink, url in
                let dispatcher = try engine.dispatcher(
                    WebhookChannel(url: url, secret: webhookSecret), quickSettings(maxAttempts: 5))
                let delivered = try await engine.eventually {
                    try await dispatcher.drain()
                    return try await engine.outboxStatuses() == ["delivered": 1]
                }
                #expect(delivered)
                #expect(sink.deliveries.map(\.status) == [500, 500, 200])
                #expect(sink.deliveries.map(\.attempt) == [1, 2, 3])
                #expect(sink.deliveries.allSatisfy { $0.signatureValid })
                let (attempts, error) = try #require(
                    try await engine.rows("SELECT attempts, last_error FROM outbox", as: (Int, String?).self).first)
                #expect(attempts == 3)
                #expect(error?.contains("HTTP 500") == true)
                #expect(try await engine.outbox.stats().failedAttempts == 2)
                #expect(dispatcher.metrics.snapshot().failed == 2)
            }
        }
    }

    @Test("a receiver that always fails leaves the message dead; retry brings it back")
    func deadAndRetried() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.makeReturn()
            try await engine.drive(id, [("issue_label", [:])])
            try await withSink(failuresPerMessage: .max) { sink, url in
                let dispatcher = try engine.dispatcher(
                    WebhookChannel(url: url, secret: webhookSecret), quickSettings(maxAttempts: 3))
                #expect(
                    try await engine.eventually {
                        try await dispatcher.drain()
                        return try await engine.outboxStatuses() == ["dead": 1]
                    })
                #expect(sink.deliveries.count == 3)
                #expect(dispatcher.metrics.snapshot().dead == 1)
            }
            let database = engine.database.settings
            let listed = try await CLI.run(["notify", "list", "--status", "dead", "--json"], database: database)
            #expect(listed.code == 0)
            let entries = try #require(
                try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]])
            #expect(entries.count == 1)
            let messageID = try #require(entries.first?["messageID"] as? String)
            #expect((entries.first?["lastError"] as? String)?.contains("HTTP 500") == true)
            let stats = try await CLI.run(["notify", "stats"], database: database)
            #expect(stats.output.contains("returns_notifications_dead 1"))

            let retried = try await CLI.run(["notify", "retry", messageID], database: database)
            #expect(retried.code == 0, "\(retried.text)")
            #expect(try await engine.outboxStatuses() == ["pending": 1])
            #expect(try await engine.rows("SELECT attempts FROM outbox", as: (Int.self)) == [0])
            try await withSink { sink, url in
                let report = try await engine.dispatcher(WebhookChannel(url: url, secret: webhookSecret)).drain()
                #expect(report.delivered == 1)
                #expect(sink.deliveries.map(\.messageID) == [messageID])
            }
            #expect(try await engine.outboxStatuses() == ["delivered": 1])
            // A delivered message is not retried, and an unknown id is "not found".
            #expect(try await CLI.run(["notify", "retry", messageID], database: database).code == 64)
            #expect(try await CLI.run(["notify", "retry", UUID().uuidString], database: database).code == 2)
        }
    }

    @Test("two dispatchers over 1,000 messages: each delivered once, never two at once, in order per return")
    func twoDispatchers() async throws {
        try await TestDatabase.withEngine { engine in
            try await SyntheticOutbox(logger: engine.database.logger).seed(
                returns: 100, perReturn: 10, prefix: "TWO", in: engine.database)
            let ids: [String] = try await engine.rows("SELECT message_id::text FROM outbox", as: (String.self))
            let expected = Set(ids)
            #expect(expected.count == 1_000)
            try await withSink(delay: .milliseconds(1)) { sink, url in
                let channel = WebhookChannel(url: url, secret: webhookSecret)
                let first = try engine.dispatcher(channel, quickSettings(batchSize: 40))
                let second = try engine.dispatcher(channel, quickSettings(batchSize: 40))
                let runs = [Task { try await first.run() }, Task { try await second.run() }]
                let done = try await engine.eventually(120) {
                    try await engine.outboxStatuses() == ["delivered": 1_000]
                }
                for run in runs { #expect(await stop(run), "a dispatcher did not stop when cancelled") }
                #expect(done)
                let deliveries = sink.deliveries
                #expect(deliveries.count == 1_000)
                #expect(Set(deliveries.map(\.messageID)) == expected)
                #expect(sink.maxInFlightPerMessage == 1)
                #expect(deliveries.allSatisfy { $0.signatureValid })
                // Arrival order per return is the order the messages were written.
                let byReturn = Dictionary(grouping: deliveries, by: \.returnID)
                #expect(byReturn.count == 100)
                #expect(byReturn.values.allSatisfy { $0.map(\.seq) == Array(1...10) })
                let shares = [first.metrics.snapshot().delivered, second.metrics.snapshot().delivered]
                #expect(shares.reduce(0, +) == 1_000)
                #expect(shares.allSatisfy { $0 > 0 }, "one dispatcher did everything: \(shares)")
            }
        }
    }

    @Test("a dispatcher cancelled mid-batch loses nothing: after a restart every message is delivered")
    func cancelledMidBatch() async throws {
        try await TestDatabase.withEngine { engine in
            try await SyntheticOutbox(logger: engine.database.logger).seed(
                returns: 40, perReturn: 5, prefix: "CUT", in: engine.database)
            let ids: [String] = try await engine.rows("SELECT message_id::text FROM outbox", as: (String.self))
            let expected = Set(ids)
            try await withSink(delay: .milliseconds(20)) { sink, url in
                let channel = WebhookChannel(url: url, secret: webhookSecret)
                let victim = try engine.dispatcher(channel, quickSettings(batchSize: 40))
                let run = Task { try await victim.run() }
                #expect(try await engine.eventually { sink.deliveries.count >= 10 })
                #expect(await stop(run), "the dispatcher did not stop when cancelled")
                let afterCut = try await engine.outboxStatuses()
                #expect((afterCut["pending"] ?? 0) > 0, "the cut came too late to test anything: \(afterCut)")
                #expect(afterCut["dead"] == nil)

                let restarted = try engine.dispatcher(channel, quickSettings(batchSize: 40))
                #expect(
                    try await engine.eventually {
                        try await restarted.drain()
                        return try await engine.outboxStatuses() == ["delivered": 200]
                    })
                #expect(sink.acceptedMessageIDs == expected)
                #expect(sink.deliveries.count >= 200)
                #expect(sink.maxInFlightPerMessage == 1)
            }
        }
    }

    @Test("a dispatcher process killed mid-batch (SIGKILL) loses nothing: after a restart every message is delivered")
    func killedProcess() async throws {
        try await TestDatabase.withEngine { engine in
            try await SyntheticOutbox(logger: engine.database.logger).seed(
                returns: 60, perReturn: 5, prefix: "KILL", in: engine.database)
            let ids: [String] = try await engine.rows("SELECT message_id::text FROM outbox", as: (String.self))
            // Slow answers: when the kill comes, part of the batch is on the wire and part still queued.
            try await withSink(delay: .milliseconds(30)) { sink, url in
                let running = try CLI.spawn(
                    [
                        "notify", "run", "--channel", "webhook", "--webhook-url", url.absoluteString,
                        "--webhook-secret", webhookSecret,
                    ], database: engine.database.settings)
                let started = try await engine.eventually(60) { sink.deliveries.count >= 20 }
                kill(running.pid, SIGKILL)
                let killed = try await running.wait()
                #expect(started, "the dispatcher process sent nothing: \(killed.text)")
                let afterKill = try await engine.outboxStatuses()
                #expect((afterKill["pending"] ?? 0) > 0, "the kill came too late to test anything: \(afterKill)")
                let arrivedBeforeRestart = sink.acceptedMessageIDs

                let restarted = try engine.dispatcher(WebhookChannel(url: url, secret: webhookSecret))
                #expect(
                    try await engine.eventually(60) {
                        try await restarted.drain()
                        return try await engine.outboxStatuses() == ["delivered": 300]
                    })
                #expect(sink.acceptedMessageIDs == Set(ids))
                // Whatever the killed process had not confirmed went out again: at least once, never lost.
                #expect(sink.deliveries.count >= 300)
                #expect(arrivedBeforeRestart.count < 300)
            }
        }
    }

    @Test("NOTIFY wakes a dispatcher at once, and it keeps delivering after its LISTEN connection is killed")
    func listenAndReconnect() async throws {
        try await TestDatabase.withEngine { engine in
            try await withSink { sink, url in
                // Polling every ten minutes: anything delivered within the 30 s bounds below was woken by NOTIFY
                // (5 s bounds were missed in a loaded CI run).
                let dispatcher = try engine.dispatcher(
                    WebhookChannel(url: url, secret: webhookSecret), quickSettings(poll: .seconds(600)))
                let run = Task { try await dispatcher.run() }
                defer { run.cancel() }
                #expect(try await engine.eventually(10) { dispatcher.metrics.snapshot().listening })
                let id = try await engine.makeReturn()
                try await engine.drive(id, [("issue_label", [:])])
                #expect(try await engine.eventually(30) { sink.deliveries.count == 1 })

                let killed = try await engine.rows(
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND query ILIKE 'LISTEN%'
                    """, as: (Bool.self))
                #expect(killed == [true])
                #expect(
                    try await engine.eventually(10) {
                        try await engine.count(
                            "SELECT count(*)::bigint FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'"
                        ) == 1
                    })
                try await engine.drive(id, [("ship", tracking)])
                #expect(try await engine.eventually(30) { sink.deliveries.count == 2 })
                #expect(sink.deliveries.map(\.template) == ["label_issued", "in_transit"])
                #expect(await stop(run), "the dispatcher did not stop when cancelled")
            }
        }
    }

    @Test("the spool channel writes one complete RFC 5322 file per message, and nothing half-written")
    func spool() async throws {
        try await TestDatabase.withEngine { engine in
            let id = try await engine.refundedReturn(locale: "ja")
            let token = try await engine.lookup.details(of: id).record.statusToken
            let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
                "spool-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let report = try await engine.dispatcher(
                try SpoolChannel(directory: folder, messageIDDomain: "returns.example.com")
            ).drain()
            #expect(report.delivered == 4)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            #expect(files.count == 4)
            #expect(files.allSatisfy { $0.hasSuffix(".eml") && !$0.hasPrefix(".") })
            let ids = try await engine.rows("SELECT message_id FROM outbox ORDER BY seq", as: (UUID.self))
            #expect(Set(files) == Set(ids.map { $0.uuidString.lowercased() + ".eml" }))
            let first = try String(
                contentsOf: folder.appendingPathComponent(ids[0].uuidString.lowercased() + ".eml"), encoding: .utf8)
            let (head, body) = try #require(
                first.range(of: "\r\n\r\n").map { (first[..<$0.lowerBound], first[$0.upperBound...]) })
            #expect(head.contains("To: ana@example.com"))
            #expect(head.contains("Subject: =?UTF-8?B?"))
            #expect(head.contains("Message-ID: <\(ids[0].uuidString.lowercased())@returns.example.com>"))
            #expect(head.contains("MIME-Version: 1.0"))
            #expect(head.contains("Content-Type: multipart/alternative"))
            #expect(!first.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
            #expect(
                first.split(separator: "\r\n", omittingEmptySubsequences: false).allSatisfy { $0.utf8.count <= 998 })
            // The encoded subject decodes to the Japanese subject; the text part carries the status URL.
            let words = head.split(separator: "\r\n").drop { !$0.hasPrefix("Subject:") }.prefix {
                $0.hasPrefix("Subject:") || $0.hasPrefix(" ")
            }
            let subject = words.flatMap { $0.split(separator: " ") }.filter { $0.hasPrefix("=?UTF-8?B?") }
                .compactMap { Data(base64Encoded: String($0.dropFirst(10).dropLast(2))) }
                .map { String(decoding: $0, as: UTF8.self) }.joined()
            #expect(subject.contains("返品ラベル"))
            let parts = body.components(separatedBy: "--returns-")
            let textPart = try #require(parts.first { $0.contains("text/plain") })
            let base64 = textPart.components(separatedBy: "\r\n\r\n")[1].replacingOccurrences(of: "\r\n", with: "")
            let text = String(decoding: Data(base64Encoded: base64) ?? Data(), as: UTF8.self)
            #expect(text.contains("status/\(token)"))
            // RFC 2046 canonical form: the decoded text and HTML parts break lines with CRLF only.
            for part in parts where part.contains("Content-Transfer-Encoding: base64") {
                let encoded = part.components(separatedBy: "\r\n\r\n")[1].replacingOccurrences(of: "\r\n", with: "")
                let bytes = Array(Data(base64Encoded: encoded) ?? Data())
                #expect(bytes.contains(0x0A))
                #expect(bytes.indices.allSatisfy { bytes[$0] != 0x0A || ($0 > 0 && bytes[$0 - 1] == 0x0D) }, "a bare LF")
                #expect(bytes.indices.allSatisfy { bytes[$0] != 0x0D || ($0 + 1 < bytes.count && bytes[$0 + 1] == 0x0A) })
            }
            #expect(try await engine.outboxStatuses() == ["delivered": 4])
        }
    }
}
