// libFuzzer target for STUN/TURN parsing and the ICE agent's datagram path.
// Invariants checked (a violation traps so the fuzzer reports it):
//   - STUNMessage.parse and TURNChannelData.parse never trap;
//   - a message that parses re-encodes to bytes that parse again to the same attributes;
//   - ICEAgent.handleDatagram never traps, and an application range lies inside the input.
import ICE
import SessionCore
import STUN

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    if let message = try? STUNMessage.parse(bytes) {
        _ = message.verifyIntegrity(key: STUNKey.shortTerm(password: "fuzz"))
        let reencoded = message.encode(integrityKey: message.messageIntegrity == nil ? nil : [1, 2, 3],
                                       fingerprint: message.fingerprint != nil)
        guard let again = try? STUNMessage.parse(reencoded) else {
            fatalError("a parsed STUN message did not re-encode to a parseable one")
        }
        let stated = { (m: STUNMessage) in
            m.attributes.filter { $0.type != STUNAttributeType.messageIntegrity && $0.type != STUNAttributeType.fingerprint }
        }
        precondition(stated(again) == stated(message), "STUN attributes changed in a round trip")
    }
    if let frame = try? TURNChannelData.parse(bytes) {
        precondition(frame.payload.lowerBound >= 4 && frame.payload.upperBound <= bytes.count)
    }

    // The agent as a kiosk would run it: credentials known, one host socket, a relay server.
    let local = TransportAddress(ip: .v4(0xC000_0201), port: 5000)
    let remote = TransportAddress(ip: .v4(0xCB00_7102), port: 6000)
    var config = ICEAgentConfig()
    config.turnServers = [ICETURNServer(address: TransportAddress(ip: .v4(0xC633_64C8), port: 3478),
                                        username: "u", password: "p")]
    var agent = ICEAgent(config: config, credentials: ICECredentials(ufrag: "fuzz", pwd: "fuzzfuzzfuzzfuzzfuzzfuzz"),
                         isControlling: size % 2 == 0, random: STUNRandom(seed: UInt64(size)))
    agent.addLocalHost(local, at: .zero)
    agent.setRemoteCredentials(ufrag: "peer", pwd: "peerpeerpeerpeerpeerpeer", at: .zero)
    agent.addRemoteCandidate(ICECandidate(foundation: "1", priority: 2_130_706_431, address: remote, kind: .host), at: .zero)
    for from in [remote, config.turnServers[0].address] {
        if case .application(let range, _) = agent.handleDatagram(bytes, from: from, to: local, at: .zero + .milliseconds(60)) {
            precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count)
        }
    }
    while let output = agent.poll() {
        if case .timeout = output { break }
    }
    return 0
}
