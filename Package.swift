// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "returns",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "returns", targets: ["returns"])
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.9.0"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
    ],
    targets: [
        // Pure domain: money, workflow model, loader, validator, state machine. No I/O beyond reading YAML text.
        .target(
            name: "ReturnsCore",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        // PostgreSQL: embedded cluster launcher, migrations, repositories.
        .target(
            name: "ReturnsStore",
            dependencies: [
                "ReturnsCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The use cases: load, decide in ReturnsCore, commit through ReturnsStore; the workers. No SQL, no PostgresNIO.
        .target(
            name: "ReturnsEngine",
            dependencies: [
                "ReturnsCore",
                "ReturnsStore",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                // scrypt for staff passwords: a maintained slow hash from the swift-crypto already used.
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Streaming CSV readers, matchers and reports for partner manifests and refund settlements.
        .target(
            name: "ReturnsReconcile",
            dependencies: [
                "ReturnsCore",
                "ReturnsStore",
                "ReturnsEngine",
            ],
            // The byte-level CSV reader runs per byte of files with millions of lines. Unoptimized it is ~30x
            // slower, which would make debug builds (and the 100,000-line test) crawl: optimize it in debug too.
            // The COPY row writers it calls (ReturnsStore's CopyText) are inlinable, so they compile here as well.
            // Its state lives in a class used by one task at a time; dynamic exclusivity checks on those property
            // accesses took a third of the parse time (perf), so they are off for this target.
            swiftSettings: [
                .unsafeFlags(["-O"], .when(configuration: .debug)),
                .unsafeFlags(["-enforce-exclusivity=unchecked"]),
            ]
        ),
        // A loopback HTTP receiver that verifies webhook signatures, for tests and `returns bench notify`.
        .target(
            name: "WebhookSink",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The HTTP service: customer, partner and finance routes, status page, health and metrics.
        .target(
            name: "ReturnsHTTP",
            dependencies: [
                "ReturnsCore",
                "ReturnsStore",
                "ReturnsEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("openapi.yaml")]
        ),
        // Tools, not the service: benchmarks, the demo, synthetic data. They seed and measure the database as a script
        // would, so they may use PostgresNIO directly; nothing in the service's paths imports them.
        .target(
            name: "ReturnsBench",
            dependencies: [
                "ReturnsCore",
                "ReturnsStore",
                "ReturnsEngine",
                "ReturnsReconcile",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "returns",
            dependencies: [
                "ReturnsCore",
                "ReturnsStore",
                "ReturnsEngine",
                "ReturnsHTTP",
                "ReturnsReconcile",
                "ReturnsBench",
                "WebhookSink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the integration tests share: the test cluster (one template database cloned per test), fixtures, and
        // running the built binary.
        .target(
            name: "ReturnsTestSupport",
            dependencies: [
                "ReturnsCore", "ReturnsStore", "ReturnsEngine", "ReturnsReconcile", "WebhookSink",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ReturnsTestSupport"
        ),
        .testTarget(name: "ReturnsCoreTests", dependencies: ["ReturnsCore"]),
        .testTarget(
            name: "ReturnsStoreTests",
            dependencies: [
                "ReturnsCore", "ReturnsStore", "ReturnsEngine", "ReturnsTestSupport", "returns",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
        .testTarget(
            name: "ReturnsEngineTests",
            dependencies: [
                "ReturnsCore", "ReturnsStore", "ReturnsEngine", "ReturnsBench", "ReturnsTestSupport", "WebhookSink",
                "returns",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "ReturnsHTTPTests",
            dependencies: [
                "ReturnsCore", "ReturnsStore", "ReturnsEngine", "ReturnsHTTP", "ReturnsTestSupport", "WebhookSink",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ]),
        .testTarget(
            name: "ReturnsReconcileTests",
            dependencies: [
                "ReturnsCore", "ReturnsStore", "ReturnsEngine", "ReturnsReconcile", "ReturnsTestSupport", "returns",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
        .testTarget(
            name: "ReturnsCLITests",
            dependencies: [
                "ReturnsCore", "ReturnsStore", "ReturnsEngine", "ReturnsBench", "ReturnsTestSupport", "returns",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
