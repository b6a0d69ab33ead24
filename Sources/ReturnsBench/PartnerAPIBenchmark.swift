import Foundation
import Logging
import ReturnsCore
import ReturnsEngine
import ReturnsStore

#if canImport(Glibc)
    import Glibc
#endif

/// A logistics partner's reports through a live `returns serve` on loopback, next to the same reports made through
/// the engine directly in the same run.
///
/// Creates a scratch database with one partner and twice `returns` returns assigned to it, their labels issued.
/// Each return then gets what its partner would send, in order: the pickup scan (it ships), an in-transit scan,
/// the receipt and the inspection (which inspects, grades and approves the refund: three transitions), each under
/// an Idempotency-Key of its own. Half the returns get them through `PartnerReports` with `connections` workers,
/// the other half as `POST /v1/partner/returns/{id}/...` over `connections` keep-alive connections to `returns serve`
/// (workers off, the same pool size). Stops the server and drops the database afterwards.
public enum PartnerAPIBenchmark {
    public struct Phase: Sendable, Codable {
        public var label: String
        /// Reports made: 4 per return.
        public var reports: Int
        /// Returns that reached `refund_pending` (all of them, when every report was applied).
        public var finished = 0
        public var seconds: Double
        public var reportsPerSecond: Double
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        /// Reports refused or failed (for HTTP: answers other than 2xx, and socket errors).
        public var errors: Int
    }

    public struct Result: Sendable, Codable {
        /// Returns per phase.
        public var returns: Int
        public var connections: Int
        public var poolSize: Int
        /// The finished returns written before measuring (`--preload`), if any.
        public var preloaded: HistoryPreload.Outcome?
        public var engine: Phase
        public var http: Phase
        /// HTTP reports per second over engine reports per second.
        public var ratio: Double
    }

    /// The reports on one return, in the order they are sent.
    enum Step: CaseIterable {
        case pickedUp, inTransit, receipt, inspection

        var path: String {
            switch self {
            case .pickedUp, .inTransit: "scans"
            case .receipt: "receipt"
            case .inspection: "inspection"
            }
        }

        /// The body a partner sends.
        var json: String {
            switch self {
            case .pickedUp: #"{"kind": "picked_up", "tracking_number": "1Z999AA10123456784", "carrier": "UPS"}"#
            case .inTransit: #"{"kind": "in_transit", "location": "Hub 7"}"#
            case .receipt: #"{"items": [{"line": 1, "quantity_received": 1}]}"#
            case .inspection: #"{"items": [{"line": 1, "grade": "A", "notes": "as new"}]}"#
            }
        }

        func key(_ number: Int) -> String { "bench-\(number)-\(self)" }
    }

    static let partnerName = "bench-3pl"

    public static func run(
        server: DatabaseSettings, returnsExecutable: String, returns: Int, connections: Int, preload: Int = 0,
        folders: BenchmarkFolders, logger: Logger
    ) async throws -> Result {
        let name = "returns_bench_partner_api"
        let poolSize = max(8, connections)
        var settings = server.with(database: name)
        settings.maximumConnections = poolSize
        try await Database.dropDatabase(name, on: server, logger: logger)
        try await Database.createDatabaseIfMissing(settings, logger: logger)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("returns-bench-partner-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            let catalog = WorkflowCatalog.load(folder: folders.workflows)
            try catalog.requireValid()
            let result = try await Database.with(settings, logger: logger) { database in
                try await Migrator(directory: folders.schema).migrate(database)
                let engine = Engine(database: database, catalog: catalog)
                try await engine.deployWorkflows()
                let preloaded = try await HistoryPreload.preloadIfAsked(preload, catalog: catalog, on: database)
                let key = try await engine.accessKeys.addPartner(name: partnerName, region: "EU")
                guard let partnerID = try await engine.accessKeys.keyHolder(for: key)?.partnerID else {
                    throw EngineError.invalidInput(field: "partner", reason: "the new partner's key opens nothing")
                }
                let ids = try await seed(2 * returns, engine: engine)
                let (direct, served) = (Array(ids[..<returns]), Array(ids[returns...]))
                var engineRun = try await driveEngine(
                    ids: direct, partnerID: partnerID, engine: engine, workers: connections)
                engineRun.finished = try await finished(direct, engine: engine)
                let (pid, port) = try await StatusBenchmark.startServer(
                    returnsExecutable, settings: settings, folder: folder, poolSize: poolSize)
                var http = driveHTTP(ids: served, key: key, port: port, connections: connections)
                kill(pid, SIGTERM)
                _ = try? ChildProcess.wait(pid)
                http.finished = try await finished(served, engine: engine)
                return Result(
                    returns: returns, connections: connections, poolSize: poolSize, preloaded: preloaded,
                    engine: engineRun, http: http,
                    ratio: http.reportsPerSecond / engineRun.reportsPerSecond)
            }
            try await Database.dropDatabase(name, on: server, logger: logger)
            return result
        } catch {
            try? await Database.dropDatabase(name, on: server, logger: logger)
            throw error
        }
    }

    /// How many of `ids` reached `refund_pending`, where the inspection leaves a return of the standard workflow.
    static func finished(_ ids: [UUID], engine: Engine) async throws -> Int {
        try await engine.database.client.withConnection { connection in
            try await BenchmarkRepository(logger: engine.database.logger)
                .count(ids, in: "refund_pending", on: connection)
        }
    }

    /// `count` returns on the standard workflow, routed to the partner (region EU), their labels issued.
    static func seed(_ count: Int, engine: Engine) async throws -> [UUID] {
        let item = try ReturnItem.parse("SHOE-42:1:89.90:EUR")
        return try await withThrowingTaskGroup(of: [(Int, UUID)].self) { group in
            let workers = 8
            for worker in 0..<workers {
                group.addTask {
                    var made: [(Int, UUID)] = []
                    for number in stride(from: worker, to: count, by: workers) {
                        let created = try await engine.transitions.create(
                            NewReturn(
                                workflow: "standard", orderRef: "PARTNER-\(number + 1)",
                                customerEmail: "partner\(number % 1000)@example.com", items: [item], region: "EU",
                                startsAtOnce: true))
                        made.append((number, created.id))
                    }
                    return made
                }
            }
            var ids = [UUID?](repeating: nil, count: count)
            for try await part in group { for (number, id) in part { ids[number] = id } }
            return ids.compactMap { $0 }
        }
    }

    /// The reports through `PartnerReports`, each return's in order, `workers` returns at a time.
    static func driveEngine(ids: [UUID], partnerID: Int64, engine: Engine, workers: Int) async throws -> Phase {
        let started = ContinuousClock.now
        let parts = try await withThrowingTaskGroup(of: (errors: Int, latencies: [Double]).self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var errors = 0
                    var latencies: [Double] = []
                    for index in stride(from: worker, to: ids.count, by: workers) {
                        for step in Step.allCases {
                            let begun = ContinuousClock.now
                            do {
                                try await report(
                                    step, on: ids[index], key: step.key(index), partnerID: partnerID, engine: engine)
                                latencies.append((ContinuousClock.now - begun).milliseconds)
                            } catch {
                                errors += 1
                            }
                        }
                    }
                    return (errors, latencies)
                }
            }
            var parts: [(errors: Int, latencies: [Double])] = []
            for try await part in group { parts.append(part) }
            return parts
        }
        let seconds = (ContinuousClock.now - started).totalSeconds
        return phase(
            "engine (PartnerReports)", returns: ids.count, seconds: seconds,
            latencies: parts.flatMap(\.latencies).sorted(), errors: parts.map(\.errors).reduce(0, +))
    }

    /// One report as `PartnerController` makes it from the request body.
    static func report(_ step: Step, on id: UUID, key: String, partnerID: Int64, engine: Engine) async throws {
        let report = PartnerReport(
            returnID: id, partnerID: partnerID, partnerName: partnerName, idempotencyKey: key, expectedVersion: nil)
        let line: JSONValue = .number(1)
        switch step {
        case .pickedUp:
            _ = try await engine.partnerReports.scan(
                .pickedUp, data: ["tracking_number": .string("1Z999AA10123456784"), "carrier": .string("UPS")],
                by: report)
        case .inTransit:
            _ = try await engine.partnerReports.scan(.inTransit, data: ["location": .string("Hub 7")], by: report)
        case .receipt:
            _ = try await engine.partnerReports.receipt(
                data: ["items": .array([.object(["line": line, "quantity": .number(1)])])], by: report)
        case .inspection:
            _ = try await engine.partnerReports.inspection(
                data: ["items": .array([.object(["line": line, "grade": .string("A"), "notes": .string("as new")])])],
                by: report)
        }
    }

    /// The same reports as partner POSTs with the partner's key.
    static func driveHTTP(ids: [UUID], key: String, port: Int, connections: Int) -> Phase {
        let outcome = HTTPLoad(port: port, connections: connections).run(scripts: ids.count) { index in
            let path = "/v1/partner/returns/\(ids[index].uuidString.lowercased())/"
            return Step.allCases.map { step in
                .post(
                    path + step.path, json: step.json,
                    headers: [("Authorization", "Bearer \(key)"), ("Idempotency-Key", step.key(ids.count + index))])
            }
        }
        return phase(
            "HTTP (POST /v1/partner/returns/{id}/...)", returns: ids.count, seconds: outcome.seconds,
            latencies: outcome.latencies, errors: outcome.errors)
    }

    static func phase(_ label: String, returns: Int, seconds: Double, latencies: [Double], errors: Int) -> Phase {
        let outcome = HTTPLoad.Outcome(
            requests: returns * Step.allCases.count, errors: errors, seconds: seconds, latencies: latencies)
        return Phase(
            label: label, reports: outcome.requests, seconds: seconds,
            reportsPerSecond: Double(outcome.requests) / seconds, p50Milliseconds: outcome.percentile(0.5),
            p99Milliseconds: outcome.percentile(0.99), errors: errors)
    }
}
