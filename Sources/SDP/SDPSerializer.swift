extension SessionDescription {
    /// SDP text with CRLF line ends, lines in RFC 8866 §5 order and attributes in the order
    /// JSEP (RFC 8829 §5.2.1) and browsers use, so browsers accept it.
    public func serialized() -> String {
        var w = SDPWriter()
        w.line("v=0")
        let o = origin
        w.line("o=\(o.username) \(o.sessionID) \(o.sessionVersion) \(o.netType) \(o.addrType) \(o.address)")
        w.line("s=\(sessionName)")
        for l in otherLines where ["i", "u", "e", "p"].contains(l.type) { w.line("\(l.type)=\(l.value)") }
        if let c = connection { w.connection(c) }
        for b in bandwidths { w.line("b=\(b.type):\(b.value)") }
        w.line("t=\(timing.start) \(timing.stop)")
        for l in otherLines where ["r", "z", "k"].contains(l.type) { w.line("\(l.type)=\(l.value)") }
        for g in groups { w.attribute("group", ([g.semantics] + g.mids).joined(separator: " ")) }
        if extmapAllowMixed { w.attribute("extmap-allow-mixed") }
        if let ms = msidSemantic {
            // Browsers write "msid-semantic: WMS <id>" with the space; both parse.
            w.attribute("msid-semantic", " " + ([ms.semantics] + ms.identifiers).joined(separator: " "))
        }
        if iceLite { w.attribute("ice-lite") }
        if let u = iceUfrag { w.attribute("ice-ufrag", u) }
        if let p = icePwd { w.attribute("ice-pwd", p) }
        if !iceOptions.isEmpty { w.attribute("ice-options", iceOptions.joined(separator: " ")) }
        for f in fingerprints { w.attribute("fingerprint", f.value) }
        if let s = setup { w.attribute("setup", s.rawValue) }
        if let d = direction { w.attribute(d.rawValue) }
        for e in extmaps { w.extmap(e) }
        for a in otherAttributes { w.attribute(a.name, a.value) }
        for m in media { w.media(m) }
        return w.text
    }
}

private struct SDPWriter {
    var text = ""

    init() { text.reserveCapacity(4096) }

    mutating func line(_ s: String) {
        text += s
        text += "\r\n"
    }

    mutating func attribute(_ name: String, _ value: String? = nil) {
        if let value { line("a=\(name):\(value)") } else { line("a=\(name)") }
    }

    mutating func connection(_ c: SDPConnection) { line("c=\(c.netType) \(c.addrType) \(c.address)") }

    mutating func extmap(_ e: SDPExtmap) {
        var v = "\(e.id)"
        if let d = e.direction { v += "/\(d.rawValue)" }
        v += " \(e.uri)"
        if let a = e.attributes { v += " \(a)" }
        attribute("extmap", v)
    }

    mutating func rtpmap(_ r: SDPRtpMap) {
        var v = "\(r.payloadType) \(r.encodingName)/\(r.clockRate)"
        if let c = r.channels { v += "/\(c)" }
        attribute("rtpmap", v)
    }

    mutating func feedback(_ f: SDPRtcpFeedback) {
        var v = f.payloadType.map { "\($0)" } ?? "*"
        v += " \(f.type)"
        if let p = f.parameter { v += " \(p)" }
        attribute("rtcp-fb", v)
    }

    mutating func fmtp(_ f: SDPFmtp) {
        attribute("fmtp", f.parameters.isEmpty ? "\(f.payloadType)" : "\(f.payloadType) \(f.parameters)")
    }

    mutating func media(_ m: MediaDescription) {
        let port = m.portCount.map { "\(m.port)/\($0)" } ?? "\(m.port)"
        line("m=\(m.kind.token) \(port) \(m.proto) \(m.formats.joined(separator: " "))")
        for l in m.otherLines where l.type == "i" { line("i=\(l.value)") }
        if let c = m.connection { connection(c) }
        for b in m.bandwidths { line("b=\(b.type):\(b.value)") }
        for l in m.otherLines where l.type != "i" { line("\(l.type)=\(l.value)") }
        if let r = m.rtcp { attribute("rtcp", r) }
        for c in m.candidates { attribute("candidate", c) }
        if m.endOfCandidates { attribute("end-of-candidates") }
        if let u = m.iceUfrag { attribute("ice-ufrag", u) }
        if let p = m.icePwd { attribute("ice-pwd", p) }
        if !m.iceOptions.isEmpty { attribute("ice-options", m.iceOptions.joined(separator: " ")) }
        for f in m.fingerprints { attribute("fingerprint", f.value) }
        if let s = m.setup { attribute("setup", s.rawValue) }
        if let mid = m.mid { attribute("mid", mid) }
        for e in m.extmaps { extmap(e) }
        if m.extmapAllowMixed { attribute("extmap-allow-mixed") }
        if let d = m.direction { attribute(d.rawValue) }
        for ms in m.msids { attribute("msid", ms.trackID.map { "\(ms.streamID) \($0)" } ?? ms.streamID) }
        if m.rtcpMux { attribute("rtcp-mux") }
        if m.rtcpRsize { attribute("rtcp-rsize") }
        // Codec blocks: rtpmap, rtcp-fb, fmtp per payload type in m-line order, as browsers do.
        for f in m.rtcpFeedbacks where f.payloadType == nil { feedback(f) }
        var written: Set<UInt8> = []
        for pt in m.payloadTypes where written.insert(pt).inserted {
            if let r = m.rtpmap(for: pt) { rtpmap(r) }
            for f in m.rtcpFeedbacks where f.payloadType == pt { feedback(f) }
            for f in m.fmtps where f.payloadType == pt { fmtp(f) }
        }
        // Lines for payload types the m-line does not list: kept, not dropped.
        for r in m.rtpmaps where !written.contains(r.payloadType) { rtpmap(r) }
        for f in m.rtcpFeedbacks where f.payloadType.map({ !written.contains($0) }) ?? false { feedback(f) }
        for f in m.fmtps where !written.contains(f.payloadType) { fmtp(f) }
        for g in m.ssrcGroups { attribute("ssrc-group", ([g.semantics] + g.ssrcs.map { "\($0)" }).joined(separator: " ")) }
        for s in m.ssrcs {
            attribute("ssrc", s.value.map { "\(s.ssrc) \(s.name):\($0)" } ?? "\(s.ssrc) \(s.name)")
        }
        for a in m.otherAttributes { attribute(a.name, a.value) }
    }
}
