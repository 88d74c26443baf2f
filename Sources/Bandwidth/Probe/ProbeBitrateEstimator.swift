import SessionCore

/// What a probe cluster says the path carries (libwebrtc's `ProbeBitrateEstimator`): from
/// the feedback about its packets, the rate they were sent at and the rate they arrived at;
/// the smaller, and 95 % of the arrival rate when that fell under 90 % of the send rate (the
/// path is full: what arrived is its capacity). Judged once 80 % of the cluster's packets
/// and bytes are reported; a result that makes no sense (arrivals twice as fast as sends,
/// intervals over a second) is none.
public struct ProbeBitrateEstimator: Sendable {
    struct Cluster: Sendable {
        var id: Int
        var expectedPackets: Int
        var expectedBytes: Int
        var firstSend = Instant.never, lastSend = Instant.zero, lastSendSize = 0
        var firstArrival = Instant.never, lastArrival = Instant.zero, firstArrivalSize = 0
        var bytes = 0, packets = 0
        var done = false
    }

    static let minReceivedRatio = 0.8
    static let maxValidRatio = 2.0
    static let unsaturatedRatio = 0.9
    static let targetUtilization = 0.95
    static let maxInterval = Duration.seconds(1)
    static let kept = 4

    private var clusters: [Cluster] = []
    private var result: Int?

    public init() { clusters.reserveCapacity(Self.kept) }

    /// A cluster was sent: `packets` packets, `bytes` in all (as recorded in the history).
    public mutating func sent(cluster id: Int, packets: Int, bytes: Int) {
        if let i = clusters.firstIndex(where: { $0.id == id }) {
            clusters[i].expectedPackets += packets
            clusters[i].expectedBytes += bytes
            return
        }
        if clusters.count == Self.kept { clusters.removeFirst() }
        clusters.append(Cluster(id: id, expectedPackets: packets, expectedBytes: bytes))
    }

    /// One packet of a cluster the feedback reports received.
    public mutating func packet(cluster id: Int, sentAt: Instant, arrivedAt: Instant, size: Int) {
        guard let i = clusters.firstIndex(where: { $0.id == id }), !clusters[i].done else { return }
        var c = clusters[i]
        if sentAt < c.firstSend { c.firstSend = sentAt }
        if sentAt > c.lastSend { c.lastSend = sentAt; c.lastSendSize = size }
        if arrivedAt < c.firstArrival { c.firstArrival = arrivedAt; c.firstArrivalSize = size }
        if arrivedAt > c.lastArrival { c.lastArrival = arrivedAt }
        c.bytes += size
        c.packets += 1
        if Double(c.packets) >= Self.minReceivedRatio * Double(c.expectedPackets),
           Double(c.bytes) >= Self.minReceivedRatio * Double(c.expectedBytes) {
            c.done = true
            if let r = Self.rate(c) { result = r }
        }
        clusters[i] = c
    }

    /// The last result since the last call, once.
    public mutating func takeResult() -> Int? {
        defer { result = nil }
        return result
    }

    static func rate(_ c: Cluster) -> Int? {
        let send = c.lastSend - c.firstSend, arrival = c.lastArrival - c.firstArrival
        guard send > .zero, send <= maxInterval, arrival > .zero, arrival <= maxInterval else { return nil }
        let sendRate = Double(c.bytes - c.lastSendSize) * 8 / seconds(send)
        let arrivalRate = Double(c.bytes - c.firstArrivalSize) * 8 / seconds(arrival)
        guard arrivalRate / sendRate <= maxValidRatio else { return nil }
        var r = min(sendRate, arrivalRate)
        if arrivalRate < unsaturatedRatio * sendRate { r = targetUtilization * arrivalRate }
        return Int(r)
    }

    static func seconds(_ d: Duration) -> Double { Double(d.nanosecondsClamped) / 1e9 }
}
