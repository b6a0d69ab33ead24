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
        // Applies events in one transaction each; timer worker; notification dispatcher.
        .target(
            name: "ReturnsEngine",
            dependencies: [
                "ReturnsCore",
                "ReturnsStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // Streaming CSV readers, matchers and reports for partner manifests and refund settlements.
        .target(
            name: "ReturnsReconcile",
            dependencies: [
                "ReturnsCore",
                "ReturnsStore",
                "ReturnsEngine",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The byte-level CSV reader runs per byte of files with millions of lines. Unoptimized it is ~30x
            // slower, which would make debug builds (and the 100,000-line test) crawl: optimize it in debug too.
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
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("openapi.yaml")]
        ),
        .executableTarget(
            name: "returns",
            dependencies: [
                "ReturnsCore",
                "ReturnsStore",
                "ReturnsEngine",
                "ReturnsHTTP",
                "ReturnsReconcile",
                "WebhookSink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "ReturnsCoreTests", dependencies: ["ReturnsCore"]),
        .testTarget(name: "ReturnsStoreTests", dependencies: ["ReturnsStore"]),
        .testTarget(
            name: "ReturnsReconcileTests",
            dependencies: ["ReturnsCore", "ReturnsReconcile", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(
            name: "ReturnsEngineTests",
            dependencies: [
                "ReturnsCore", "ReturnsStore", "ReturnsEngine", "ReturnsHTTP", "ReturnsReconcile", "WebhookSink",
                "returns",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
