/// The one drain contract every sans-IO machine keeps (str0m's): after any input, `poll()`
/// returns the queued outputs in order, then exactly one `.timeout(t)` (call the machine's
/// `handleTimeout` at `t`; `Instant.never` when nothing is scheduled), then nil until the next
/// input. So a driver may loop `while let o = poll()` or stop at `.timeout`, and the last
/// `.timeout` it saw is always the one that holds. `DrainContractTests` holds every machine
/// to it.
public protocol SansIOMachine {
    associatedtype Output: TimedOutput
    mutating func poll() -> Output?
}

/// An output enum with a `timeout(Instant)` case (an enum case satisfies the requirement).
public protocol TimedOutput: Sendable {
    static func timeout(_ at: Instant) -> Self
    /// The instant of a `.timeout`, nil for every other output.
    var timeoutInstant: Instant? { get }
}

extension Instant {
    /// The deadline of a machine with nothing scheduled.
    public static let never = Instant(nanoseconds: .max)
}

/// The output queue of a sans-IO machine: pushes in order, then the one closing `.timeout`.
/// Its storage is kept between drains, so steady traffic allocates nothing.
public struct OutputQueue<Output: TimedOutput>: Sendable {
    private var items: FIFOQueue<Output>
    private var timeoutDue = true

    public init(capacity: Int = 16) { items = FIFOQueue(capacity: capacity) }

    /// An input arrived: the drain that follows ends with a `.timeout`, even with no outputs.
    public mutating func inputHandled() { timeoutDue = true }

    public mutating func push(_ output: Output) {
        items.append(output)
        timeoutDue = true
    }

    /// The next queued output, nil when the queue is empty.
    public mutating func next() -> Output? { items.popFirst() }

    /// Once the queue is empty: true exactly once per drain (return `.timeout` then), after
    /// that false (return nil). Two steps, so a struct machine computes its deadline outside
    /// the queue's exclusive access:
    ///
    ///     if let o = outputs.next() { return o }
    ///     return outputs.owesTimeout() ? .timeout(nextDeadline ?? .never) : nil
    public mutating func owesTimeout() -> Bool {
        guard timeoutDue else { return false }
        timeoutDue = false
        return true
    }

    public var isEmpty: Bool { items.isEmpty }
    public var count: Int { items.count }
}
