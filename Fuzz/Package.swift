// swift-tools-version:6.2
// libFuzzer targets for every parser that reads untrusted input. Built apart from the main
// package so a normal build never needs the fuzzer runtime:
//   SWIFT_BACKTRACE=enable=no swift build --package-path Fuzz -c debug \
//       --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address
// `make fuzz` builds them all and runs each briefly over its corpus in Fuzz/corpus/<name>.
import PackageDescription

func fuzzTarget(_ name: String, _ product: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: product, package: "kioskd")],
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    )
}

let package = Package(
    name: "kioskd-fuzz",
    dependencies: [.package(name: "kioskd", path: "..")],
    targets: [
        fuzzTarget("FuzzTOML", "TOML"),
        fuzzTarget("FuzzSDP", "Session"),
        fuzzTarget("FuzzSTUN", "Session"),
        fuzzTarget("FuzzRTP", "Session"),
        fuzzTarget("FuzzRTCP", "Session"),
        fuzzTarget("FuzzSignaling", "Session"),
        fuzzTarget("FuzzICEServerURL", "Session"),
        // TURN over TCP/TLS: whole messages out of arbitrary byte chunks.
        fuzzTarget("FuzzTURNStream", "Session"),
        // The practice API's request bodies, through PracticeKit (practice-dev's library).
        fuzzTarget("FuzzPracticeAPI", "PracticeKit"),
        // practice-dev's users and kiosks files and password-hash strings.
        fuzzTarget("FuzzCredentials", "PracticeKit"),
        // The clinician's Opus packets into the kiosk's audio receive side (FEC, concealment).
        fuzzTarget("FuzzOpus", "Codecs"),
        // Multicast DNS queries from the link into the host-candidate name responder.
        fuzzTarget("FuzzMDNS", "Session"),
        // ULPFEC parity inside RED from the clinician, into the decoder and the video stream.
        fuzzTarget("FuzzFEC", "Session"),
    ]
)
