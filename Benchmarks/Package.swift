// swift-tools-version:6.2
// kioskd's benchmarks (`make bench`): package-benchmark drives them and reports wall/CPU time
// and malloc counts. Separate from the root package so `swift build` there never fetches it.
import PackageDescription

let package = Package(
    name: "kioskd-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "kioskd", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        // Read directly for per-packet and per-side malloc counts inside a measured region.
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.5.0"),
    ],
    targets: [
        .executableTarget(
            name: "KioskBench",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
                .product(name: "Session", package: "kioskd"),
                .product(name: "NetEmulator", package: "kioskd"),
                .product(name: "Devices", package: "kioskd"),
                .product(name: "Render", package: "kioskd"),
            ],
            path: "Benchmarks/KioskBench",
            swiftSettings: [.treatAllWarnings(as: .error)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
