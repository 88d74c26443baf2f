// swift-tools-version:6.2
// kioskd: a telehealth kiosk's call stack. Arrows point one way: kioskd → Devices, Render,
// Session. Those three never import each other; they meet through the value types in Media.
import PackageDescription

/// Our own targets build with every warning an error; dependencies are left alone.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
]

/// One tiny system-library target per C library (module map + inline shim header).
func cLibrary(_ name: String, pkgConfig: String?, apt: String) -> Target {
    .systemLibrary(
        name: name,
        path: "Sources/\(name)",
        pkgConfig: pkgConfig,
        providers: [.apt([apt])]
    )
}

/// The call's targets, bottom up; the `Session` product is all of them.
let sessionTargets = ["SessionCore", "STUN", "MDNS", "ICE", "SDP", "SRTP", "DTLS", "RTP", "FEC", "RTPStreams", "Bandwidth", "Signaling", "Codecs",
                      "SessionPeer", "SessionDriver"]

let package = Package(
    name: "kioskd",
    products: [
        .executable(name: "kioskd", targets: ["kioskd"]),
        .executable(name: "kioskd-demo", targets: ["kioskd-demo"]),
        .executable(name: "practice-dev", targets: ["practice-dev"]),
        .library(name: "PracticeKit", targets: ["PracticeKit"]),
        .library(name: "Session", targets: sessionTargets),
        .library(name: "Devices", targets: ["Devices"]),
        .library(name: "Render", targets: ["Render"]),
        .library(name: "TOML", targets: ["TOML"]),
        .library(name: "Codecs", targets: ["Codecs"]),
        .library(name: "NetEmulator", targets: ["NetEmulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", "4.0.0"..<"5.0.0"),
    ],
    targets: [
        cLibrary("CV4L2", pkgConfig: "libv4l2", apt: "libv4l-dev"),
        cLibrary("CALSA", pkgConfig: "alsa", apt: "libasound2-dev"),
        cLibrary("CPulse", pkgConfig: "libpulse-simple", apt: "libpulse-dev"),
        cLibrary("CDRM", pkgConfig: "libdrm", apt: "libdrm-dev"),
        cLibrary("CGBM", pkgConfig: "gbm", apt: "libgbm-dev"),
        cLibrary("COpus", pkgConfig: "opus", apt: "libopus-dev"),
        cLibrary("CVPX", pkgConfig: "vpx", apt: "libvpx-dev"),
        cLibrary("CSRTP", pkgConfig: "libsrtp2", apt: "libsrtp2-dev"),
        cLibrary("COpenSSL", pkgConfig: "openssl", apt: "libssl-dev"),
        cLibrary("CYUV", pkgConfig: nil, apt: "libyuv-dev"),
        .systemLibrary(name: "CLinuxEvents", path: "Sources/CLinuxEvents"),
        cLibrary("CTurboJPEG", pkgConfig: "libturbojpeg", apt: "libturbojpeg0-dev"),
        cLibrary("CFreeType", pkgConfig: "freetype2", apt: "libfreetype-dev"),

        .target(name: "Media", swiftSettings: strict),
        .target(name: "TOML", swiftSettings: strict),

        // The call, one target per protocol family (docs/architecture.md). Sans-IO all of them
        // but SessionDriver, the only one with sockets, threads and clocks.
        .target(name: "SessionCore", swiftSettings: strict),
        .target(name: "STUN", dependencies: ["SessionCore", "COpenSSL"], swiftSettings: strict),
        .target(name: "ICE", dependencies: ["STUN", "SessionCore"], swiftSettings: strict),
        .target(name: "MDNS", dependencies: ["SessionCore"], swiftSettings: strict),
        .target(name: "SDP", dependencies: ["SessionCore"], swiftSettings: strict),
        .target(name: "SRTP", dependencies: ["CSRTP"], swiftSettings: strict),
        .target(name: "CDTLSClock"),
        .target(name: "DTLS", dependencies: ["SRTP", "SessionCore", "COpenSSL", "CDTLSClock"], swiftSettings: strict),
        .target(name: "RTP", dependencies: ["SessionCore"], swiftSettings: strict),
        .target(name: "FEC", swiftSettings: strict),
        .target(name: "RTPStreams", dependencies: ["RTP", "FEC", "SessionCore"], swiftSettings: strict),
        .target(name: "Bandwidth", dependencies: ["SessionCore"], swiftSettings: strict),
        .target(name: "Signaling", dependencies: ["SessionCore"], swiftSettings: strict),
        .target(name: "Codecs", dependencies: ["Media", "COpus", "CVPX", "CYUV"], swiftSettings: strict),
        .target(
            name: "SessionPeer",
            dependencies: ["ICE", "STUN", "SDP", "DTLS", "SRTP", "RTP", "RTPStreams", "Bandwidth", "SessionCore"],
            swiftSettings: strict
        ),
        .target(name: "SessionDriver", dependencies: ["SessionPeer", "ICE", "MDNS", "DTLS", "SessionCore"], swiftSettings: strict),

        // The kernel's uevent socket and the uevents' parsing, read by Devices and Render alike.
        .target(name: "Uevents", swiftSettings: strict),
        .target(
            name: "Devices",
            dependencies: ["Media", "Uevents", "CV4L2", "CALSA", "CPulse", "CTurboJPEG", "CYUV"],
            swiftSettings: strict
        ),
        .target(
            name: "Render",
            dependencies: ["Media", "Uevents", "CDRM", "CGBM", "CYUV", "CFreeType"],
            swiftSettings: strict
        ),
        // The kiosk itself: its flow and screens, the call over signaling, the media pipeline,
        // the control socket, the log format. Linked by the daemon and by the demo.
        .target(
            name: "KioskCore",
            dependencies: [
                "Devices", "Render", "Media", "CLinuxEvents",
                "SessionCore", "Signaling", "ICE", "RTP", "DTLS", "Codecs", "SessionPeer", "Bandwidth", "SessionDriver",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "kioskd",
            dependencies: [
                "KioskCore", "Devices", "Render", "TOML", "Media", "Signaling", "ICE", "SessionPeer", "SessionDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // `kioskd demo` execs this: the demonstration call with its harness (practice-dev and
        // headless Chromium through DevTools), kept out of the daemon that ships on kiosks.
        .executableTarget(
            name: "kioskd-demo",
            dependencies: [
                "KioskCore", "DevTools", "Devices", "Render", "Media", "SessionCore", "SessionPeer", "Signaling",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The practice endpoint (relay, appointment book, rules, API, clinician page); the
        // practice-dev executable is its command line.
        .target(
            name: "PracticeKit",
            dependencies: [
                "Signaling",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                // PBKDF2 for clinicians' passwords, HMAC for sessions and TURN REST credentials.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            resources: [.copy("Public")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "practice-dev",
            dependencies: [
                "PracticeKit", "Signaling",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // In-VM checks run by the lab (image/lab) against real kernel drivers.
        .executableTarget(
            name: "devices-labcheck",
            dependencies: ["Devices", "Media", "CV4L2", "CTurboJPEG"],
            path: "image/lab/labcheck",
            swiftSettings: strict
        ),
        .executableTarget(name: "render-labcheck", dependencies: ["Render", "Media"], swiftSettings: strict),
        // Counts a thread's heap allocations (tests only: it replaces malloc in the test process).
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        // The seeded network emulator two simulated peers talk through (tests and benchmarks only).
        .target(name: "NetEmulator", dependencies: ["SessionCore"], path: "Tests/NetEmulator", swiftSettings: strict),
        // Drives headless Chromium over the DevTools protocol and starts practice-dev: the tests'
        // harness, and kioskd-demo's (never linked into kioskd).
        .target(
            name: "DevTools",
            dependencies: [.product(name: "WSClient", package: "swift-websocket"), .product(name: "Logging", package: "swift-log")],
            path: "Tests/DevTools",
            swiftSettings: strict
        ),

        .testTarget(name: "ArchitectureTests", swiftSettings: strict),
        .testTarget(name: "TOMLTests", dependencies: ["TOML"], swiftSettings: strict),
        .testTarget(name: "MediaTests", dependencies: ["Media"], swiftSettings: strict),
        .testTarget(
            name: "SessionTests",
            dependencies: sessionTargets.map { .target(name: $0) } + ["Media", "COpenSSL", "NetEmulator", "CMallocCounter"],
            exclude: ["AllocationThresholds.json"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "Uevents", "Media", "CTurboJPEG"], swiftSettings: strict),
        .testTarget(name: "RenderTests", dependencies: ["Render", "Media", "CDRM"], swiftSettings: strict),
        .testTarget(
            name: "KioskdTests",
            dependencies: [
                "kioskd", "KioskCore", "Media", "Devices", "Render", "DevTools", "SessionCore", "Signaling", "DTLS", "Codecs", "SessionPeer", "SessionDriver", "ICE", "Bandwidth",
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PracticeDevTests",
            dependencies: [
                "PracticeKit", "Signaling", "DevTools",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "WSClient", package: "swift-websocket"),
            ],
            swiftSettings: strict
        ),
    ]
)
