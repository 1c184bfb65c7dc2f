// swift-tools-version:6.1
import PackageDescription

/// Cheap upcoming features only (STYLE.md pitfall 16): they tighten the code without changing
/// import or isolation semantics project-wide.
let swiftSettings: [SwiftSetting] = [
    // SE-0335: `any` spelled out for existentials.
    .enableUpcomingFeature("ExistentialAny"),
    // SE-0444: members are visible only from modules that are imported in the file.
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "edge-anomaly",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MQTT", targets: ["MQTT"]),
        .library(name: "IsolationForest", targets: ["IsolationForest"]),
        .library(name: "Telemetry", targets: ["Telemetry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // libmosquitto from the system (Debian: libmosquitto-dev). The module map links it
        // explicitly so the build does not depend on pkg-config finding libmosquitto.pc.
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"]), .brew(["mosquitto"])]
        ),
        // Detached POSIX threads for blocking work kept off Swift's cooperative pool.
        .target(name: "SystemThreads", swiftSettings: swiftSettings),
        .target(
            name: "MQTT",
            dependencies: ["CMosquitto", "SystemThreads", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(name: "MQTTTesting", dependencies: ["MQTT"], swiftSettings: swiftSettings),
        .target(name: "Telemetry", swiftSettings: swiftSettings),
        .target(name: "IsolationForest", swiftSettings: swiftSettings),
        .target(name: "Detection", dependencies: ["IsolationForest", "Telemetry"], swiftSettings: swiftSettings),
        .target(name: "Evaluation", dependencies: ["Telemetry"], swiftSettings: swiftSettings),
        // Signal models, anomaly injection, ground truth, CSV and reports: pure, tested without a broker.
        .target(name: "Simulation", dependencies: ["Telemetry"], swiftSettings: swiftSettings),
        .target(
            name: "Agent",
            dependencies: ["MQTT", "Detection", "Evaluation", "IsolationForest", "Telemetry",
                           .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),
        // A small HTTP/1.1 server on plain sockets, every request bounded in size and time (no SwiftNIO: the
        // dashboard builds in seconds, not minutes).
        .target(name: "HTTP1Server", dependencies: ["SystemThreads", .product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),
        // The dashboard, the JSON API, /metrics and the probes, over the agent's read-only views.
        .target(
            name: "AgentHTTP",
            dependencies: ["Agent", "Evaluation", "HTTP1Server", "Telemetry",
                           .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "sensor-emulator",
            dependencies: [
                "Simulation", "Telemetry", "MQTT",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "anomaly-agent",
            dependencies: [
                "Agent", "AgentHTTP", "Detection", "Evaluation", "IsolationForest", "MQTT", "Simulation", "Telemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-agent",
            dependencies: ["Agent", "Detection", "IsolationForest", "MQTT", "MQTTTesting", "Telemetry", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/bench-agent",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "soak",
            dependencies: ["Detection", "IsolationForest", "MQTT", "MQTTTesting"],
            path: "Benchmarks/soak",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-mqtt",
            dependencies: ["MQTT", "MQTTTesting"],
            path: "Benchmarks/bench-mqtt",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-emulator",
            dependencies: ["Simulation", "Telemetry", "MQTT", "MQTTTesting"],
            path: "Benchmarks/bench-emulator",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-forest",
            dependencies: ["IsolationForest"],
            path: "Benchmarks/bench-forest",
            swiftSettings: swiftSettings
        ),

        // Fuzz targets (docs/fuzzing.md): the three loaders of outside bytes behind one library, and an
        // executable each. `make fuzz` builds them with libFuzzer; a normal build makes them replay the corpus.
        .target(
            name: "FuzzTargets",
            dependencies: ["Agent", "Detection", "IsolationForest", "Telemetry"],
            path: "Fuzz/FuzzTargets",
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "fuzz-telemetry", dependencies: ["FuzzTargets"], path: "Fuzz/fuzz-telemetry", swiftSettings: swiftSettings),
        .executableTarget(name: "fuzz-configuration", dependencies: ["FuzzTargets"], path: "Fuzz/fuzz-configuration", swiftSettings: swiftSettings),
        .executableTarget(name: "fuzz-model-file", dependencies: ["FuzzTargets"], path: "Fuzz/fuzz-model-file", swiftSettings: swiftSettings),

        .testTarget(name: "MQTTTests", dependencies: ["MQTT", "MQTTTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "HTTP1ServerTests", dependencies: ["HTTP1Server", .product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AgentTests",
            // The executables are listed so that they are built before the tests that run them.
            dependencies: ["Agent", "AgentHTTP", "Detection", "Evaluation", "FuzzTargets", "IsolationForest", "MQTT", "MQTTTesting", "Telemetry",
                           "HTTP1Server", "anomaly-agent", "sensor-emulator"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Telemetry"], swiftSettings: swiftSettings),
        .testTarget(name: "DetectionTests", dependencies: ["Detection", "IsolationForest", "Telemetry"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SimulationTests",
            // sensor-emulator is listed so that it is built before the tests that run it end to end.
            dependencies: ["Simulation", "Telemetry", "MQTT", "MQTTTesting", "sensor-emulator"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IsolationForestTests",
            dependencies: ["IsolationForest"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
    ]
)
