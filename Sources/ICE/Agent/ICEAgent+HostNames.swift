import SessionCore
import STUN

/// mDNS names for host candidates (draft-ietf-mmusic-mdns-ice-candidates §3.1.1): what the
/// peer is told, as opposed to what the agent pairs and checks with.
extension ICEAgent {
    /// The candidate as signalled: with `hostCandidateNames` a host candidate carries its
    /// address's name and every related address is 0.0.0.0 (or ::) port 0, as Chromium writes
    /// it, since a server-reflexive or relayed candidate's base is the host address.
    func signaled(_ candidate: ICECandidate) -> ICECandidate {
        guard config.hostCandidateNames else { return candidate }
        var c = candidate
        if c.kind == .host, let ip = c.address?.ip, let name = hostNames[ip] {
            c.connectionAddress = name
        }
        if let related = c.relatedAddress {
            c.relatedAddress = TransportAddress(ip: related.isIPv4 ? .v4(0) : .v6(0, 0), port: 0)
        }
        return c
    }

    /// A remote `.local` candidate (already checked by `addRemoteCandidate`): kept until its
    /// name resolves, and asked for once.
    mutating func awaitResolution(_ candidate: ICECandidate) {
        guard unresolved.count + remotes.count < Self.maxRemoteCandidates else { return }
        let name = candidate.connectionAddress.lowercased()
        let asked = unresolved.contains { $0.connectionAddress.lowercased() == name }
        unresolved.append(candidate)
        if !asked { emit(.event(.resolveHostName(name))) }
    }

    /// The link's answer for a name the peer's candidates used (draft-ietf-mmusic-mdns-ice-
    /// candidates §3.2.2): those candidates now have its address and are paired as any other
    /// (one the peer's checks made known already is upgraded to host). An answer for a name
    /// not asked for, or after a restart, changes nothing.
    public mutating func hostNameResolved(_ name: String, to ip: TransportAddress.IP, at now: Instant) {
        let key = name.lowercased()
        let matching = unresolved.filter { $0.connectionAddress.lowercased() == key }
        guard !matching.isEmpty else { return }
        unresolved.removeAll { $0.connectionAddress.lowercased() == key }
        for var candidate in matching {
            candidate.connectionAddress = TransportAddress(ip: ip, port: candidate.port).hostString
            addRemoteCandidate(candidate, at: now)
        }
    }

    /// The link did not answer for `name`: its candidates are dropped (and failure, if every
    /// other pair failed, can be declared).
    public mutating func hostNameUnresolved(_ name: String, at now: Instant) {
        let key = name.lowercased()
        unresolved.removeAll { $0.connectionAddress.lowercased() == key }
        advance(now)
    }

    /// A version-4 UUID (RFC 4122 §4.4) from the agent's generator (the system CSPRNG outside
    /// tests) and ".local": the draft's name, unguessable so it cannot be probed for.
    static func mdnsName(_ random: inout STUNRandom) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for half in 0..<2 {
            var v = random.next()
            for k in 0..<8 {
                bytes[half * 8 + k] = UInt8(truncatingIfNeeded: v)
                v >>= 8
            }
        }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for (i, b) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(i) { text.append(UInt8(ascii: "-")) }
            text.append(hex[Int(b >> 4)])
            text.append(hex[Int(b & 0xF)])
        }
        return String(decoding: text, as: UTF8.self) + ".local"
    }
}
