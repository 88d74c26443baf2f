// libFuzzer target for Multicast DNS messages from the link, through the kiosk's responder
// for its host-candidate names. Invariants checked (a violation traps so the fuzzer reports it):
//   - DNSMessage.parse never traps, and what parses is written out stably (encode → parse →
//     encode gives the same bytes);
//   - the responder never traps, answers at most once per message, and only for its name;
//   - the resolver never traps and resolves nothing but the name it asked for.
import MDNS
import SessionCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let message = try? DNSMessage.parse(bytes) {
        // Written out, read back and written again gives the same bytes (for ASCII names:
        // other bytes are read as Unicode and a label cut at 63 bytes could split one).
        let names = message.questions.map(\.name) + (message.answers + message.authorities + message.additionals).map(\.name)
        if names.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) {
            let wire = message.encoded()
            guard let again = try? DNSMessage.parse(wire), again.encoded() == wire else {
                fatalError("DNS message did not survive a round trip")
            }
        }
    }
    let name = "0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d.local"
    var responder = MDNSResponder()
    responder.register(name: name, address: .v4(0x0A00_0002), interface: .v4(0x0A00_0002), at: .zero)
    while let o = responder.poll() { if case .timeout = o { break } }
    let source = TransportAddress(ip: .v4(0x0A00_0003), port: size % 2 == 0 ? 5353 : 40000)
    responder.handle(bytes, from: source, at: .zero + .seconds(5))
    var answers = 0
    while let o = responder.poll() {
        guard case .transmit(let t) = o else { break }
        answers += 1
        guard let reply = try? DNSMessage.parse(t.bytes), reply.isResponse, reply.answers.allSatisfy({ $0.name == name }) else {
            fatalError("the responder sent something other than an answer for its name")
        }
    }
    precondition(answers <= 1, "more than one answer to one message")
    var resolver = MDNSResolver()
    resolver.resolve(name, on: [.v4(0x0A00_0002)], at: .zero)
    while let o = resolver.poll() { if case .timeout = o { break } }
    resolver.handle(bytes, from: TransportAddress(ip: .v4(0x0A00_0003), port: 5353), at: .zero + .milliseconds(10))
    while let o = resolver.poll() {
        if case .resolved(let n, _) = o { precondition(n == name, "resolved a name never asked for") }
        if case .timeout = o { break }
    }
    return 0
}
