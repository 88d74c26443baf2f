import Foundation
@testable import SDP
import Testing

@Suite struct SDPErrorTests {
    private func parseError(_ text: String) -> SDPError? {
        do {
            _ = try SessionDescription.parse(text)
            return nil
        } catch {
            return error
        }
    }

    /// The chromium offer with the first line starting `prefix` replaced; returns the text and
    /// that line's 1-based number.
    private func fixture(replacing prefix: String, with replacement: String) throws -> (String, Int) {
        var lines = try SDPFixture.text("chromium-offer").components(separatedBy: "\r\n")
        let index = try #require(lines.firstIndex { $0.hasPrefix(prefix) })
        lines[index] = replacement
        return (lines.joined(separator: "\r\n"), index + 1)
    }

    private let head = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

    @Test func documentStructure() {
        #expect(parseError("") == .parse(line: 1, problem: .empty))
        #expect(parseError("\r\n  \r\n") == .parse(line: 3, problem: .empty))
        #expect(parseError("v=1\r\n") == .parse(line: 1, problem: .unsupportedVersion))
        #expect(parseError("o=- 1 2 IN IP4 127.0.0.1\r\nv=0\r\n") == .parse(line: 1, problem: .expectedLine("v")))
        #expect(parseError("v=0\r\ns=-\r\n") == .parse(line: 2, problem: .expectedLine("o")))
        #expect(parseError("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nt=0 0\r\n") == .parse(line: 3, problem: .expectedLine("s")))
        #expect(parseError("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n")
                == .parse(line: 4, problem: .missingLine("t")))
        #expect(parseError("v=0\r\no=- 1 2 IN IP4 127.0.0.1") == .parse(line: 2, problem: .missingLine("s")))
        #expect(parseError(head + "x=unknown\r\n") == .parse(line: 5, problem: .unknownLineType("x")))
        #expect(parseError(head + "A=upper\r\n") == .parse(line: 5, problem: .malformedLine))
        #expect(parseError(head + "a\r\n") == .parse(line: 5, problem: .malformedLine))
        #expect(parseError(head + "t=0 0\r\n") == .parse(line: 5, problem: .duplicateLine("t")))
        #expect(parseError(head + "m=audio 9 RTP/AVP 0\r\nt=0 0\r\n") == .parse(line: 6, problem: .misplacedLine("t")))
        #expect(parseError(head + "m=audio 9 RTP/AVP 0\r\no=- 1 2 IN IP4 0.0.0.0\r\n") == .parse(line: 6, problem: .misplacedLine("o")))
        #expect(parseError(head + "c=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n") == .parse(line: 6, problem: .duplicateLine("c")))
    }

    @Test func truncatedLines() {
        #expect(parseError("v=0\r\no=- 1 2\r\n") == .parse(line: 2, problem: .invalidOrigin))
        #expect(parseError("v=0\r\no=- x 2 IN IP4 127.0.0.1\r\n") == .parse(line: 2, problem: .invalidOrigin))
        #expect(parseError("v=0\r\no=- 99999999999999999999 2 IN IP4 127.0.0.1\r\n") == .parse(line: 2, problem: .invalidOrigin))
        #expect(parseError(head.replacingOccurrences(of: "t=0 0", with: "t=0")) == .parse(line: 4, problem: .invalidTiming))
        #expect(parseError(head + "c=IN IP4\r\n") == .parse(line: 5, problem: .invalidConnection))
        #expect(parseError(head + "b=AS\r\n") == .parse(line: 5, problem: .invalidBandwidth))
        #expect(parseError(head + "b=AS:fast\r\n") == .parse(line: 5, problem: .invalidBandwidth))
    }

    @Test func truncatedFixture() throws {
        let text = try SDPFixture.text("chromium-offer")
        let cut = try #require(text.range(of: "a=fingerprint:sha-256 E6:90:3"))
        let truncated = String(text[..<cut.upperBound])
        let lineCount = truncated.components(separatedBy: "\r\n").count
        #expect(parseError(truncated) == .parse(line: lineCount, problem: .invalidAttribute("fingerprint")))
        // Cut right after the session part: no media, still a valid description.
        let firstMedia = try #require(text.range(of: "m=audio"))
        let sessionOnly = String(text[..<firstMedia.lowerBound])
        #expect(try SessionDescription.parse(sessionOnly).media.isEmpty)
    }

    @Test func badMediaLines() {
        for m in ["m=audio", "m=audio 9", "m=audio 9 UDP/TLS/RTP/SAVPF", "m=audio abc UDP/TLS/RTP/SAVPF 111",
                  "m=audio 70000 UDP/TLS/RTP/SAVPF 111", "m=audio 9/x UDP/TLS/RTP/SAVPF 111",
                  "m=audio 9 UDP/TLS/RTP/SAVPF 300", "m=video 9 UDP/TLS/RTP/SAVPF 96 VP8"] {
            #expect(parseError(head + m + "\r\n") == .parse(line: 5, problem: .invalidMediaLine), "\(m)")
        }
    }

    @Test func badAttributesNameTheirLine() throws {
        let cases: [(String, String, SDPParseProblem)] = [
            ("a=rtpmap:111", "a=rtpmap:111", .invalidAttribute("rtpmap")),
            ("a=rtpmap:111", "a=rtpmap:111 opus", .invalidAttribute("rtpmap")),
            ("a=rtpmap:111", "a=rtpmap:200 opus/48000/2", .invalidAttribute("rtpmap")),
            ("a=rtpmap:111", "a=rtpmap:111 opus/48000/two", .invalidAttribute("rtpmap")),
            ("a=rtpmap:9 ", "a=rtpmap:111 G722/8000", .duplicateAttribute("rtpmap")),
            ("a=fmtp:111", "a=fmtp:x minptime=10", .invalidAttribute("fmtp")),
            ("a=rtcp-fb:111", "a=rtcp-fb:111", .invalidAttribute("rtcp-fb")),
            ("a=extmap:4", "a=extmap:0 urn:ietf:params:rtp-hdrext:sdes:mid", .invalidAttribute("extmap")),
            ("a=extmap:4", "a=extmap:4/sideways urn:ietf:params:rtp-hdrext:sdes:mid", .invalidAttribute("extmap")),
            ("a=extmap:4", "a=extmap:4", .invalidAttribute("extmap")),
            ("a=fingerprint", "a=fingerprint:sha-256", .invalidAttribute("fingerprint")),
            ("a=fingerprint", "a=fingerprint:sha-256 GG:00", .invalidAttribute("fingerprint")),
            ("a=setup", "a=setup:sometimes", .invalidAttribute("setup")),
            ("a=mid", "a=mid:", .invalidAttribute("mid")),
            ("a=ice-ufrag", "a=ice-ufrag", .invalidAttribute("ice-ufrag")),
            ("a=ssrc:1784689516 cname", "a=ssrc:abc cname:x", .invalidAttribute("ssrc")),
            ("a=ssrc:1784689516 cname", "a=ssrc:1784689516", .invalidAttribute("ssrc")),
            ("a=ssrc-group", "a=ssrc-group:FID 1 two", .invalidAttribute("ssrc-group")),
            ("a=msid:", "a=msid:a b c", .invalidAttribute("msid")),
            ("a=group", "a=group", .invalidAttribute("group")),
            ("a=sendrecv", "a=sendrecv\r\na=recvonly", .duplicateAttribute("direction")),
        ]
        for (prefix, replacement, problem) in cases {
            let (text, line) = try fixture(replacing: prefix, with: replacement)
            let extra = replacement.hasPrefix("a=sendrecv\r\n") ? 1 : 0
            #expect(parseError(text) == .parse(line: line + extra, problem: problem), "\(replacement)")
        }
        let (dupMid, line) = try fixture(replacing: "a=mid:0", with: "a=mid:0\r\na=mid:0")
        #expect(parseError(dupMid) == .parse(line: line + 1, problem: .duplicateAttribute("mid")))
    }

    @Test func garbageBytesAreRejectedNotTrapped() {
        let garbage: [[UInt8]] = [
            [0x00, 0xFF, 0xFE, 0x7F, 0x80],
            Array("\u{1F600}=smile".utf8),
            [0x76, 0x3D, 0x30, 0x0D, 0x0A, 0xC3, 0x28, 0x3D, 0x0A],
            Array(repeating: 0x0A, count: 1000),
            Array(repeating: 0x3D, count: 1000),
        ]
        for bytes in garbage {
            let error = parseError(String(decoding: bytes, as: UTF8.self))
            #expect(error?.line != nil, "\(bytes.prefix(8))")
        }
        #expect(parseError(String(decoding: [0x00, 0xFF, 0x3D], as: UTF8.self)) == .parse(line: 1, problem: .malformedLine))
    }

    @Test func errorsDescribeThemselves() {
        #expect(SDPError.parse(line: 7, problem: .invalidMediaLine).description.contains("line 7"))
        #expect(SDPError.missingFingerprint(mid: "1").description.contains("mid 1"))
        #expect(SDPError.parse(line: 7, problem: .invalidMediaLine).line == 7)
        #expect(SDPError.missingBundle.line == nil)
    }
}
