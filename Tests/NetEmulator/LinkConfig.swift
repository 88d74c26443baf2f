import SessionCore

/// What one direction of an emulated link does to the datagrams that cross it (str0m's
/// `netem`, and Linux netem's knobs): loss (independent or in bursts), delay with jitter,
/// reordering, duplication, a rate cap with a finite queue, and a filter saying which packet
/// classes the impairments touch. Every random choice comes from the emulator's seed.
public struct LinkConfig: Sendable, Equatable {
    public enum Loss: Sendable, Equatable {
        case none
        /// Each packet lost independently with this probability.
        case bernoulli(Double)
        /// Gilbert–Elliott: a good and a bad state; `goodToBad`/`badToGood` are the per-packet
        /// transition probabilities, and packets are lost with `lossInGood` / `lossInBad`.
        /// Mean burst length is 1 / `badToGood`; average loss ≈ πbad·lossInBad + πgood·lossInGood
        /// with πbad = goodToBad / (goodToBad + badToGood).
        case gilbertElliott(goodToBad: Double, badToGood: Double, lossInGood: Double, lossInBad: Double)

        /// Bursts of mean length `meanBurst` packets, `average` loss overall (every packet of a
        /// burst lost, none outside one).
        public static func bursts(meanBurst: Double, average: Double) -> Loss {
            let badToGood = 1 / meanBurst
            // πbad = average → goodToBad = average·badToGood / (1 − average)
            return .gilbertElliott(goodToBad: average * badToGood / (1 - average), badToGood: badToGood,
                                   lossInGood: 0, lossInBad: 1)
        }
    }

    /// One-way propagation delay.
    public var delay: Duration = .milliseconds(20)
    /// Each packet's delay varies uniformly within ±`jitter` (so packets can overtake).
    public var jitter: Duration = .zero
    public var loss: Loss = .none
    /// Probability that a packet is held back by `reorderDelay` more (and so arrives late).
    public var reorder: Double = 0
    public var reorderDelay: Duration = .milliseconds(50)
    /// Probability that a packet arrives twice.
    public var duplicate: Double = 0
    /// A bottleneck: bits per second, nil for none. Packets queue behind each other at this
    /// rate; one that would wait longer than `queueLimit` is dropped (tail drop), like tbf.
    public var rateBitsPerSecond: Int?
    public var queueLimit: Duration = .milliseconds(100)
    /// The classes the impairments (loss, jitter, reorder, duplicate) apply to; the others
    /// only see the delay and the rate cap.
    public var impairs: Set<PacketClass> = Set(PacketClass.allCases)

    public init() {}

    public static let clean = LinkConfig()
}

/// What a datagram carries, from its first bytes (RFC 7983 §7 demultiplexing; RTCP by its
/// packet type, RFC 5761 §4).
public enum PacketClass: String, Sendable, CaseIterable, Hashable {
    case stun, dtls, rtp, rtcp, other

    public static func of(_ bytes: [UInt8]) -> PacketClass {
        guard let first = bytes.first else { return .other }
        switch first {
        case 0...3: return .stun
        case 20...63: return .dtls
        case 128...191:
            guard bytes.count > 1 else { return .other }
            return (192...223).contains(bytes[1]) ? .rtcp : .rtp
        default: return .other
        }
    }
}
