import Foundation
import Testing

/// Holds Package.swift and the sources to docs/architecture.md: the targets' arrows are the
/// document's, every import of one of our targets is a declared dependency, and only the
/// driver (and the executables and hardware families, which own their devices) touch sockets,
/// threads or clocks.
@Suite struct ArchitectureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The arrows table of docs/architecture.md: target → its dependencies on our own targets.
    static func documentedArrows() throws -> [String: Set<String>] {
        let doc = try String(contentsOf: root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "<!-- arrows -->")), end = try #require(doc.range(of: "<!-- /arrows -->"))
        var arrows: [String: Set<String>] = [:]
        for line in doc[start.upperBound..<end.lowerBound].split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let deps = cells[1] == "—" ? [] : cells[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            arrows[name] = Set(deps)
        }
        return arrows
    }

    struct Target { var name: String; var path: String; var type: String; var dependencies: Set<String> }

    /// `swift package dump-package` (in a scratch directory of its own, so it never waits for
    /// the build's lock): our targets and their by-name dependencies.
    static func packageTargets() throws -> [String: Target] {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("arch-dump-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "package", "--package-path", root.path, "--scratch-path", scratch, "dump-package"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var targets: [String: Target] = [:]
        for t in try #require(json["targets"] as? [[String: Any]]) {
            let name = try #require(t["name"] as? String)
            var deps: Set<String> = []
            for d in t["dependencies"] as? [[String: Any]] ?? [] {
                if let byName = d["byName"] as? [Any], let n = byName.first as? String { deps.insert(n) }
                if let target = d["target"] as? [Any], let n = target.first as? String { deps.insert(n) }
            }
            let type = t["type"] as? String ?? ""
            let defaultPath = type == "test" ? "Tests/\(name)" : "Sources/\(name)"
            targets[name] = Target(name: name, path: t["path"] as? String ?? defaultPath, type: type, dependencies: deps)
        }
        return targets
    }

    @Test func packageDependenciesAreTheDocumentedArrows() throws {
        let arrows = try Self.documentedArrows()
        let targets = try Self.packageTargets()
        #expect(arrows.count >= 18, "the table lists every library and executable target")
        for (name, deps) in arrows {
            let target = try #require(targets[name], "docs/architecture.md names \(name), which Package.swift lacks")
            #expect(target.dependencies == deps, "\(name): Package.swift has \(target.dependencies.sorted()), the document \(deps.sorted())")
        }
        // Every regular target (not a C library, test, or lab check) is in the document.
        for t in targets.values where t.type == "regular" || t.type == "executable" {
            guard !t.path.hasPrefix("image/") && !t.path.hasPrefix("Tests/") && !t.name.hasSuffix("-labcheck") else { continue }
            #expect(arrows[t.name] != nil, "\(t.name) is missing from docs/architecture.md's arrows")
        }
    }

    /// The families never import each other, and the call's targets import only downward.
    @Test func theFamiliesMeetOnlyInKioskd() throws {
        let arrows = try Self.documentedArrows()
        let call: Set<String> = ["SessionCore", "STUN", "MDNS", "ICE", "SDP", "SRTP", "DTLS", "RTP", "FEC", "RTPStreams", "Bandwidth", "Signaling", "Codecs",
                                 "SessionPeer", "SessionDriver"]
        for name in call { #expect(arrows[name]?.isDisjoint(with: ["Devices", "Render", "kioskd"]) == true, "\(name)") }
        #expect(arrows["Devices"]?.isDisjoint(with: call.union(["Render"])) == true)
        #expect(arrows["Render"]?.isDisjoint(with: call.union(["Devices"])) == true)
        #expect(arrows["PracticeKit"] == ["Signaling"])
        #expect(arrows["practice-dev"] == ["PracticeKit", "Signaling"])
        // Acyclic: a depth-first walk never meets a target on its own path.
        func walk(_ n: String, _ path: [String]) {
            #expect(!path.contains(n), "a cycle: \((path + [n]).joined(separator: " → "))")
            guard !path.contains(n) else { return }
            for d in arrows[n] ?? [] { walk(d, path + [n]) }
        }
        for n in arrows.keys { walk(n, []) }
    }

    static func swiftFiles(under path: String) -> [URL] {
        let dir = root.appendingPathComponent(path)
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
    }

    @Test func everyImportOfOurTargetsIsADeclaredDependency() throws {
        let targets = try Self.packageTargets()
        let ours = Set(targets.keys)
        for t in targets.values {
            for file in Self.swiftFiles(under: t.path) {
                let text = try String(contentsOf: file, encoding: .utf8)
                for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                    let module = String(line.split(separator: " ").last ?? "")
                    guard ours.contains(module), module != t.name else { continue }
                    #expect(t.dependencies.contains(module), "\(file.lastPathComponent) in \(t.name) imports \(module), not a dependency")
                }
            }
        }
    }

    /// Every code line (comments cut) of the Swift files under `folders` that matches one of
    /// `patterns`, as "folder/file:line: text", and how many files were read.
    static func codeLines(under folders: [String], matching patterns: [String]) throws -> (hits: [String], files: Int) {
        let regexes = patterns.map { try! Regex($0) }
        var hits: [String] = [], files = 0
        for folder in folders {
            for file in swiftFiles(under: folder) {
                files += 1
                let text = try String(contentsOf: file, encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                    if regexes.contains(where: { code.contains($0) }) {
                        hits.append("\(folder)/\(file.lastPathComponent):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
                    }
                }
            }
        }
        return (hits, files)
    }

    /// Sans-IO means the time is an input: no clock, socket, thread, lock or sleep in the
    /// protocol targets. (OpenSSL's DTLS timer reads `gettimeofday`, which CDTLSClock answers
    /// with the endpoint's own time.)
    @Test func onlyTheDriverTouchesSocketsThreadsAndClocks() throws {
        let sansIO = ["SessionCore", "STUN", "MDNS", "ICE", "SDP", "SRTP", "DTLS", "RTP", "FEC", "RTPStreams", "Bandwidth", "Signaling", "Codecs",
                      "SessionPeer", "Media", "TOML"]
        let forbidden = [#"\bThread\b"#, #"\bclock_gettime\b"#, #"\bDate\(\)"#, #"\bDispatch"#, #"\busleep\("#, #"\bsleep\("#,
                         #"\bMutex\b"#, #"import Synchronization"#, #"\bContinuousClock\b"#, #"\bSuspendingClock\b"#,
                         #"\bpthread_"#, #"\bsocket\("#, #"\bsendto\("#, #"\brecvfrom\("#, #"\bpoll\(&"#, #"\bgettimeofday\("#,
                         #"\bTask\.sleep\b"#, #"\bProcessInfo\b"#, #"\bNSLock\b"#]
        let (hits, files) = try Self.codeLines(under: sansIO.map { "Sources/\($0)" }, matching: forbidden)
        for hit in hits { Issue.record("uses I/O or a clock: \(hit)") }
        #expect(files > 100, "the sources were found")
    }

    /// The threads that carry media, draw the screen, read touch or serve the control socket
    /// block on their descriptors (devices, eventfds, timerfds, page flips, uevents), never on
    /// a sleep: a sleep delays whatever arrives during it and wakes for nothing otherwise.
    /// (Async flow timers, `Task.sleep` in the controller and the signaling back-off, are timers,
    /// not loops that look for work.)
    @Test func noMediaScreenTouchOrControlLoopSleeps() throws {
        let folders = ["Sources/KioskCore", "Sources/Devices", "Sources/Render", "Sources/SessionDriver", "Sources/kioskd"]
        let forbidden = [#"\busleep\("#, #"(^|[^.\w])sleep\("#, #"\bnanosleep\("#, #"\bThread\.sleep\b"#, #"\bclock_nanosleep\("#]
        let (hits, files) = try Self.codeLines(under: folders, matching: forbidden)
        for hit in hits { Issue.record("sleeps: \(hit)") }
        #expect(files > 100, "the sources were found")
    }
}
