import COpenSSL
@testable import DTLS
@testable import ICE
import SessionCore
import STUN
import Testing

/// TURN over a byte stream (RFC 8656 §12.5): whole messages out of arbitrary chunks, padding
/// on the way out, garbage refused with a typed error and never buffered without bound.
@Suite struct TURNStreamFramerTests {
    /// A STUN message, ChannelData of odd and zero length, another STUN message.
    static let messages: [[UInt8]] = [
        STUNMessage(type: .bindingRequest, transactionID: .init(high: 1, low: 2), attributes: [.software("kiosk")]).encode(),
        [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5],
        [0x4F, 0xFF, 0x00, 0x00],
        STUNMessage(type: STUNMessageType(.allocate, .successResponse), transactionID: .init(high: 3, low: 4)).encode(),
        [0x40, 0x01, 0x00, 0x03, 9, 9, 9],
    ]

    static var stream: [UInt8] {
        var out: [UInt8] = []
        for m in messages { TURNStreamFramer.frame(m, into: &out) }
        return out
    }

    static func drain(_ framer: inout TURNStreamFramer) throws(TURNStreamError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let m = try framer.nextMessage() { out.append(m) }
        return out
    }

    @Test func senderPadsChannelDataOnly() {
        var out: [UInt8] = []
        TURNStreamFramer.frame([0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5], into: &out)
        #expect(out == [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0])
        out.removeAll()
        TURNStreamFramer.frame([0x40, 0x00, 0x00, 0x04, 1, 2, 3, 4], into: &out)
        #expect(out.count == 8)
        let stun = Self.messages[0]
        out.removeAll()
        TURNStreamFramer.frame(stun, into: &out)
        #expect(out == stun)
        #expect(Self.stream.count % 4 == 0)
    }

    @Test func wholeStreamInOneChunkGivesEveryMessage() throws {
        var f = TURNStreamFramer()
        try f.append(Self.stream)
        #expect(try Self.drain(&f) == Self.messages)
        #expect(f.bufferedCount == 0)
    }

    /// Every split point of the stream into two chunks, and the stream a byte at a time.
    @Test func splitAtEveryByteBoundary() throws {
        let stream = Self.stream
        for cut in 0...stream.count {
            var f = TURNStreamFramer()
            var got: [[UInt8]] = []
            try f.append(Array(stream[..<cut]))
            got += try Self.drain(&f)
            try f.append(Array(stream[cut...]))
            got += try Self.drain(&f)
            #expect(got == Self.messages, "cut at \(cut)")
        }
        var f = TURNStreamFramer()
        var got: [[UInt8]] = []
        for byte in stream {
            try f.append([byte])
            got += try Self.drain(&f)
        }
        #expect(got == Self.messages)
    }

    @Test func oddChunkSizesAndSeveralPerChunk() throws {
        let stream = Self.stream
        for size in [3, 7, 13, 29, 64] {
            var f = TURNStreamFramer()
            var got: [[UInt8]] = []
            var i = 0
            while i < stream.count {
                try f.append(Array(stream[i..<min(stream.count, i + size)]))
                got += try Self.drain(&f)
                i += size
            }
            #expect(got == Self.messages, "chunks of \(size)")
        }
    }

    @Test func garbageIsRefusedAndStaysRefused() throws {
        var f = TURNStreamFramer()
        try f.append([0x80, 1, 2, 3])
        #expect(throws: TURNStreamError.notTURN(firstByte: 0x80)) { try f.nextMessage() }
        #expect(throws: TURNStreamError.notTURN(firstByte: 0x80)) { try f.append([0, 1]) }
        #expect(f.bufferedCount == 0)

        var badCookie = TURNStreamFramer()
        try badCookie.append([0x00, 0x01, 0x00, 0x00, 0xDE, 0xAD, 0xBE, 0xEF])
        #expect(throws: TURNStreamError.notSTUN) { try badCookie.nextMessage() }

        var badLength = TURNStreamFramer()
        try badLength.append([0x00, 0x01, 0x00, 0x03])
        #expect(throws: TURNStreamError.notSTUN) { try badLength.nextMessage() }

        var badChannel = TURNStreamFramer()
        try badChannel.append([0x50, 0x00])
        #expect(throws: TURNStreamError.invalidChannel(0x5000)) { try badChannel.nextMessage() }

        // A valid message before the garbage still comes out.
        var mixed = TURNStreamFramer()
        try mixed.append(Self.messages[0] + [0xC0, 0, 0, 0])
        #expect(try mixed.nextMessage() == Self.messages[0])
        #expect(throws: TURNStreamError.notTURN(firstByte: 0xC0)) { try mixed.nextMessage() }
    }

    @Test func bufferIsBounded() throws {
        var f = TURNStreamFramer(capacity: 0)
        #expect(f.capacity == TURNStreamFramer.maxFrameLength)
        // A maximal ChannelData frame fits exactly; one byte more does not.
        let frame = [0x40, 0x00, 0xFF, 0xFF] + [UInt8](repeating: 7, count: 65_535) + [0]
        try f.append(frame)
        #expect(try f.nextMessage()?.count == 65_539)
        try f.append(Array(frame.prefix(100)))
        #expect(try f.nextMessage() == nil)
        #expect(throws: TURNStreamError.overflow(buffered: 100, incoming: frame.count)) { try f.append(frame) }
        #expect(f.failure != nil)
        #expect(f.bufferedCount == 0)
    }
}


/// OpenSSL's verification results as the reasons an operator reads (`TLSError`).
@Suite struct TLSVerifyErrorTests {
    @Test func verificationFailuresHaveTheirOwnCases() {
        #expect(TLSClientStream.verifyError(Int(X509_V_ERR_CERT_HAS_EXPIRED)) == .certificateExpired)
        #expect(TLSClientStream.verifyError(Int(X509_V_ERR_CERT_NOT_YET_VALID)) == .certificateNotYetValid)
        #expect(TLSClientStream.verifyError(Int(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)) == .unknownCA)
        #expect(TLSClientStream.verifyError(Int(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)) == .unknownCA)
        #expect(TLSClientStream.verifyError(Int(X509_V_ERR_HOSTNAME_MISMATCH)) == .nameMismatch)
        #expect(TLSClientStream.verifyError(Int(X509_V_ERR_IP_ADDRESS_MISMATCH)) == .nameMismatch)
        #expect(TLSClientStream.verifyError(Int(X509_V_ERR_CERT_REVOKED)) == .certificateInvalid("certificate revoked"))
    }

    @Test func anUnreadableCAFileIsAnError() {
        #expect {
            _ = try TLSClientStream(configuration: .init(serverName: "turn.example", caFile: "/nonexistent/ca.pem"))
        } throws: { error in
            if case .configuration = error as? TLSError { true } else { false }
        }
    }

    @Test func aClientHelloCarriesSNIForNamesOnly() throws {
        let named = try TLSClientStream(configuration: .init(serverName: "turn.example"))
        named.start()
        var hello: [UInt8] = []
        named.takeCiphertext(into: &hello)
        #expect(hello.first == 22, "a TLS handshake record")
        #expect(hello.count > 100)
        let text = String(decoding: hello, as: UTF8.self)
        #expect(text.contains("turn.example"))
        let ip = try TLSClientStream(configuration: .init(serverName: "127.0.0.1"))
        ip.start()
        var hello2: [UInt8] = []
        ip.takeCiphertext(into: &hello2)
        #expect(!String(decoding: hello2, as: UTF8.self).contains("127.0.0.1"), "RFC 6066: no IP literal in SNI")
        #expect(named.state == .handshaking)
    }
}
