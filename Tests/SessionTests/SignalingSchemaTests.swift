import Foundation
@testable import Signaling
import Testing

/// Runs python3 (for its `jsonschema` package).
enum SignalingSchemaPython {
    static var hasJSONSchema: Bool {
        (try? run(["-c", "import jsonschema"], stdin: Data()).status) == 0
    }

    static func run(_ args: [String], stdin: Data) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = output
        try p.run()
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out, as: UTF8.self))
    }
}

/// The Swift encoder and docs/signaling.schema.json must agree: every sample the encoder writes
/// validates, and known-bad messages do not (so the schema is not vacuous). Uses python3's
/// `jsonschema` (Draft 2020-12).
@Suite(.enabled(if: SignalingSchemaPython.hasJSONSchema, "needs python3 with jsonschema"))
struct SignalingSchemaTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let schema = repoRoot.appendingPathComponent("docs/signaling.schema.json")

    /// Prints one line per message: "ok" or "invalid: <reason>".
    static let validator = """
    import json, sys
    from jsonschema import Draft202012Validator
    schema = json.load(open(sys.argv[1]))
    Draft202012Validator.check_schema(schema)
    v = Draft202012Validator(schema)
    for line in sys.stdin.read().splitlines():
        errs = list(v.iter_errors(json.loads(line)))
        print("ok" if not errs else "invalid: " + errs[0].message[:200])
    """

    func validate(_ texts: [String]) throws -> [String] {
        let r = try SignalingSchemaPython.run(["-c", Self.validator, Self.schema.path], stdin: Data(texts.joined(separator: "\n").utf8))
        #expect(r.status == 0, "\(r.output)")
        return r.output.split(separator: "\n").map(String.init)
    }

    @Test func everyEncodedSampleIsSchemaValid() throws {
        let texts = SignalingSamples.all.map(\.text)
        let results = try validate(texts)
        #expect(results.count == texts.count)
        for (text, result) in zip(texts, results) {
            #expect(result == "ok", "\(text)")
        }
    }

    @Test func schemaRejectsWhatTheDecoderRejects() throws {
        let bad = [
            #"{"v":2,"type":"ping"}"#,
            #"{"v":1,"type":"teleport"}"#,
            #"{"v":1,"type":"join"}"#,
            #"{"v":1,"type":"join","appointmentId":"a b"}"#,
            #"{"v":1,"type":"media-state","camera":"dim","microphone":"muted"}"#,
            #"{"v":1,"type":"candidate","candidate":"c"}"#,
            #"{"v":1,"type":"hello","role":"kiosk","software":"k","token":"t"}"#,
            #"{"v":1,"type":"assignment"}"#,
            #"{"v":1,"type":"welcome","sessionId":"s","heartbeatIntervalMs":15000}"#,
        ]
        // The schema is stricter than the decoder here: receivers ignore unknown fields, but a
        // sender's typo should fail validation.
        let typo = #"{"v":1,"type":"offer","sdp":"x","sdpp":"typo"}"#
        #expect(try validate([typo]).first?.hasPrefix("invalid") == true)
        let results = try validate(bad)
        #expect(results.count == bad.count)
        for (text, result) in zip(bad, results) {
            #expect(result.hasPrefix("invalid"), "\(text)")
            #expect(throws: SignalingError.self, "\(text)") { try SignalingEnvelope.decode(text) }
        }
    }
}
