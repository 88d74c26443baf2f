import Foundation

/// Real networks for the call, in network namespaces this test makes and deletes (the methods of
/// ../shared/notes/network-faults.md: veth pairs, routing, nftables; no host interface touched):
///
///     kl-kiosk [k0 10.231.1.2] ─ [n1 10.231.1.1] kl-nat [n0 10.231.0.2] ─ [c0 10.231.0.1] kl-core [c2 10.231.2.1] ─ [b0 10.231.2.2] kl-clin
///                                                                          relays on 10.231.9.1 (its lo)
///
/// kl-core is "the internet": practice-dev (practice.kiosk.test = 10.231.0.1) and Debian's coturn
/// (turn.kiosk.test = 10.231.0.1, relayed addresses on 10.231.9.1). kl-nat routes, or
/// masquerades like a clinic's NAT. kioskd runs in kl-kiosk, Chromium in kl-clin. Names resolve
/// through /etc/netns/<ns>/hosts, which `ip netns exec` mounts over /etc/hosts.
final class NetworkLab: @unchecked Sendable {
    static let kiosk = "kl-kiosk", nat = "kl-nat", core = "kl-core", clinician = "kl-clin"
    static let namespaces = [kiosk, nat, core, clinician]
    static let coreAddress = "10.231.0.1", natOutside = "10.231.0.2", relayAddress = "10.231.9.1"
    static let kioskAddress = "10.231.1.2", clinicianAddress = "10.231.2.2"
    static let practiceHost = "practice.kiosk.test", turnHost = "turn.kiosk.test"

    enum Failure: Error, CustomStringConvertible {
        case command([String], String)
        var description: String {
            switch self {
            case .command(let argv, let err): "\(argv.joined(separator: " ")) failed: \(err)"
            }
        }
    }

    /// Root, iproute2 and nftables: without them the lab's tests are skipped (they say why).
    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")
    }

    init() throws {
        Self.down()
        do { try up() } catch { Self.down(); throw error }
    }

    deinit {
        delayLine?.stop()
        Self.down()
    }

    /// The delay line in kl-nat, while `impair(delayMilliseconds:)` has one running.
    private var delayLine: NamespacedProcess?

    private func up() throws {
        for ns in Self.namespaces {
            try Self.run(["ip", "netns", "add", ns])
            // IPv4 only: IPv6 link-local addresses appearing a second after the links come up
            // make Chromium abort requests with ERR_NETWORK_CHANGED. And an address removed
            // from a subnet promotes the next one (as on a real kiosk's DHCP renewal) instead
            // of taking every address of that subnet with it.
            for key in ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
                        "net.ipv4.conf.all.promote_secondaries=1", "net.ipv4.conf.default.promote_secondaries=1"] {
                try Self.ns(ns, ["sysctl", "-qw", key])
            }
        }
        try link("k0", Self.kiosk, "n1", Self.nat)
        try link("n0", Self.nat, "c0", Self.core)
        try link("c2", Self.core, "b0", Self.clinician)
        try address(Self.kiosk, "k0", "10.231.1.2/24")
        try address(Self.nat, "n1", "10.231.1.1/24")
        try address(Self.nat, "n0", "10.231.0.2/24")
        try address(Self.core, "c0", "10.231.0.1/24")
        try address(Self.core, "c2", "10.231.2.1/24")
        try address(Self.clinician, "b0", "10.231.2.2/24")
        // On the core's loopback (this kernel has no dummy interfaces): routed like any other.
        try Self.ns(Self.core, ["ip", "addr", "add", "10.231.9.1/32", "dev", "lo"])
        try Self.ns(Self.kiosk, ["ip", "route", "add", "default", "via", "10.231.1.1"])
        try Self.ns(Self.nat, ["ip", "route", "add", "default", "via", "10.231.0.1"])
        try Self.ns(Self.core, ["ip", "route", "add", "10.231.1.0/24", "via", "10.231.0.2"])
        try Self.ns(Self.clinician, ["ip", "route", "add", "default", "via", "10.231.2.1"])
        for ns in [Self.nat, Self.core] { try Self.ns(ns, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]) }
        // Nobody but coturn itself sends to a relayed address: a peer that reached one directly
        // would not be a relayed path.
        try nft(Self.core, """
            table inet kl-relays {
              chain kl_input { type filter hook input priority 0; policy accept;
                ip daddr \(Self.relayAddress) iifname != "lo" drop
              }
            }
            """)
        for ns in Self.namespaces {
            let dir = "/etc/netns/\(ns)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try "127.0.0.1 localhost\n\(Self.coreAddress) \(Self.practiceHost) \(Self.turnHost)\n"
                .write(toFile: "\(dir)/hosts", atomically: true, encoding: .utf8)
        }
    }

    private func link(_ a: String, _ nsA: String, _ b: String, _ nsB: String) throws {
        try Self.run(["ip", "link", "add", a, "netns", nsA, "type", "veth", "peer", "name", b, "netns", nsB])
    }

    private func address(_ ns: String, _ dev: String, _ cidr: String) throws {
        try Self.ns(ns, ["ip", "addr", "add", cidr, "dev", dev])
        try Self.ns(ns, ["ip", "link", "set", dev, "up"])
        try Self.ns(ns, ["ip", "link", "set", "lo", "up"])
    }

    /// No packet between the kiosk's side and the clinician's crosses the core: only relays.
    func blockDirectPath() throws {
        try nft(Self.core, """
            table inet kl-direct {
              chain kl_forward { type filter hook forward priority 0; policy accept;
                ip saddr 10.231.1.0/24 ip daddr 10.231.2.0/24 counter drop comment "direct kiosk to clinician"
                ip saddr 10.231.0.2 ip daddr 10.231.2.0/24 counter drop
                ip saddr 10.231.2.0/24 ip daddr { 10.231.1.0/24, 10.231.0.2 } counter drop comment "direct clinician to kiosk"
              }
            }
            """)
    }

    /// The clinician on the clinic's own network too: a second link straight between the two
    /// (10.231.3.0/24), one segment, as a clinician's laptop on the clinic's Wi-Fi would be.
    func clinicianOnTheClinicLAN() throws {
        try link("k1", Self.kiosk, "b1", Self.clinician)
        try address(Self.kiosk, "k1", "10.231.3.2/24")
        try address(Self.clinician, "b1", "10.231.3.3/24")
    }

    /// The clinic's firewall: no UDP leaves the kiosk's network (TCP does).
    func blockUDPFromTheClinic() throws {
        try nft(Self.nat, """
            table inet kl-firewall {
              chain kl_forward { type filter hook forward priority 0; policy accept;
                iifname "n1" meta l4proto udp counter drop comment "no UDP out of the clinic"
              }
            }
            """)
    }

    /// No UDP crosses the core at all, and no relay is offered: the call has no path.
    func blockEveryMediaPath() throws {
        try nft(Self.core, """
            table inet kl-blocked {
              chain kl_forward { type filter hook forward priority 0; policy accept;
                meta l4proto udp counter drop comment "no UDP between networks"
              }
            }
            """)
    }

    /// kl-nat as a clinic's NAT: the kiosk's packets leave as 10.231.0.2, and nothing from
    /// outside reaches the kiosk unless it answers what the kiosk sent (conntrack).
    func masquerade() throws {
        try nft(Self.nat, """
            table ip kl-nat {
              chain kl_postrouting { type nat hook postrouting priority 100; policy accept;
                oifname "n0" ip saddr 10.231.1.0/24 masquerade
              }
              chain kl_forward { type filter hook forward priority 0; policy accept;
                iifname "n0" ct state established,related accept
                iifname "n0" counter drop comment "unsolicited from outside"
              }
            }
            """)
        // The core no longer knows the inside network: only the NAT's outside address is routed.
        try Self.ns(Self.core, ["ip", "route", "del", "10.231.1.0/24"])
    }

    /// The kiosk's address moves (a DHCP renewal, another access point): the new one is added,
    /// then the old one removed, as NetworkManager does.
    /// The clinic's uplink (kiosk → internet) through a token bucket of `kbit` kbit/s with a
    /// 100 ms queue (tbf, as in ../shared/notes/network-faults.md): what overflows is dropped.
    func capKioskUplink(kbit: Int) throws {
        try Self.ns(Self.nat, ["tc", "qdisc", "replace", "dev", "n0", "root", "tbf", "rate", "\(kbit)kbit",
                               "burst", "4kb", "latency", "100ms"])
    }

    /// The token bucket's own counters ("Sent … dropped …"), for the test's figures.
    func kioskUplinkQueue() throws -> String {
        try Self.run(["ip", "netns", "exec", Self.nat, "tc", "-s", "qdisc", "show", "dev", "n0"], quiet: true)
    }

    /// The clinician's home uplink (browser → internet) through the same kind of bucket.
    func capClinicianUplink(kbit: Int) throws {
        try Self.ns(Self.clinician, ["tc", "qdisc", "replace", "dev", "b0", "root", "tbf", "rate", "\(kbit)kbit",
                                     "burst", "4kb", "latency", "100ms"])
    }

    func clinicianUplinkQueue() throws -> String {
        try Self.run(["ip", "netns", "exec", Self.clinician, "tc", "-s", "qdisc", "show", "dev", "b0"], quiet: true)
    }

    /// The path between the clinic and the internet as a bad link, both directions, in the
    /// clinic's router (kl-nat): `lossPercent` of UDP packets dropped at random (nftables
    /// numgen, as ../shared/notes/network-faults.md), each direction capped at `kbit` through a
    /// token bucket with a 100 ms queue, and `delayMilliseconds` added each way by the project's
    /// TUN delay line (scripts/netlab-delayline.py; this kernel has no netem).
    func impair(lossPercent: Double = 0, kbit: Int? = nil, delayMilliseconds: Int = 0) throws {
        if lossPercent > 0 {
            // Counted once, on arrival from either side (a delayed packet crosses forward twice).
            try nft(Self.nat, """
                table inet kl-loss {
                  chain kl_forward { type filter hook forward priority 0; policy accept;
                    iifname { "n0", "n1" } meta l4proto udp numgen random mod 1000 < \(Int(lossPercent * 10)) counter drop
                  }
                }
                """)
        }
        if let kbit {
            for dev in ["n0", "n1"] {
                try Self.ns(Self.nat, ["tc", "qdisc", "replace", "dev", dev, "root", "tbf", "rate", "\(kbit)kbit",
                                       "burst", "4kb", "latency", "100ms"])
            }
        }
        if delayMilliseconds > 0 {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/netlab-delayline.py").path
            try Self.ns(Self.nat, ["ip", "tuntap", "add", "dev", "dl0", "mode", "tun"])
            try Self.ns(Self.nat, ["ip", "link", "set", "dl0", "up"])
            for key in ["all", "default", "dl0", "n0", "n1"] { try Self.ns(Self.nat, ["sysctl", "-qw", "net.ipv4.conf.\(key).rp_filter=0"]) }
            delayLine = try NamespacedProcess(namespace: Self.nat, ["python3", script, "dl0", String(delayMilliseconds)],
                                              name: "delayline", readyWhen: "delayline up")
            // What arrives from either side goes into the delay line; what it writes back comes
            // in on dl0 and is forwarded by the main table.
            try Self.ns(Self.nat, ["ip", "route", "add", "default", "dev", "dl0", "table", "100"])
            try Self.ns(Self.nat, ["ip", "rule", "add", "iif", "n0", "lookup", "100", "pref", "100"])
            try Self.ns(Self.nat, ["ip", "rule", "add", "iif", "n1", "lookup", "100", "pref", "101"])
        }
    }

    /// UDP packets the loss rule dropped so far.
    func impairmentDrops() throws -> Int {
        let text = try Self.run(["ip", "netns", "exec", Self.nat, "nft", "list", "table", "inet", "kl-loss"], quiet: true)
        guard let r = text.range(of: "packets ") else { return 0 }
        return Int(text[r.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    /// What the clinic router's token buckets dropped (tail drops), toward the internet (n1,
    /// the kiosk's packets) and toward the clinic (n0, the clinician's).
    func bucketDrops() throws -> (toClinician: Int, toKiosk: Int) {
        func dropped(_ dev: String) throws -> Int {
            let text = try Self.run(["ip", "netns", "exec", Self.nat, "tc", "-s", "qdisc", "show", "dev", dev], quiet: true)
            guard let r = text.range(of: "dropped ") else { return 0 }
            return Int(text[r.upperBound...].prefix { $0.isNumber }) ?? 0
        }
        return (try dropped("n1"), try dropped("n0"))
    }

    func moveKioskAddress(to cidr: String) throws {
        try Self.ns(Self.kiosk, ["ip", "addr", "add", cidr, "dev", "k0"])
        try Self.ns(Self.kiosk, ["ip", "addr", "del", "\(Self.kioskAddress)/24", "dev", "k0"])
        try Self.ns(Self.kiosk, ["ip", "route", "replace", "default", "via", "10.231.1.1"])
    }

    func nft(_ ns: String, _ ruleset: String) throws {
        try Self.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input: ruleset)
    }

    static func ns(_ ns: String, _ argv: [String]) throws {
        try run(["ip", "netns", "exec", ns] + argv)
    }

    static func down() {
        for ns in namespaces {
            _ = try? run(["ip", "netns", "del", ns], quiet: true)
            try? FileManager.default.removeItem(atPath: "/etc/netns/\(ns)")
        }
    }

    @discardableResult
    static func run(_ argv: [String], input: String? = nil, quiet: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure.command(argv, String(decoding: error, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// A child process inside one of the lab's namespaces, its output in a file, ready when a line
/// of that output says so (its ports are not reachable from the test's own namespace).
final class NamespacedProcess: @unchecked Sendable {
    let process = Process()
    let logFile: String

    init(namespace: String, _ argv: [String], name: String, readyWhen marker: String, timeout: TimeInterval = 30) throws {
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-\(name)-\(UUID().uuidString.prefix(6)).log").path
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace] + argv
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while !log(contains: marker) {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw NetworkLab.Failure.command(argv, "not ready (no \"\(marker)\"); log: \(String(self.log.suffix(2000)))")
            }
            usleep(50_000)
        }
    }

    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }
    func log(contains text: String) -> Bool { log.contains(text) }

    /// SIGTERM, then SIGKILL after 2 s (coturn can take longer to wind its relays down).
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}
