/// A FIFO that keeps its storage between bursts: appending and draining allocate nothing once
/// the high-water mark has been reached.
package struct FIFOQueue<Element: Sendable>: Sendable {
    private var items: [Element] = []
    private var head = 0

    package init(capacity: Int) { items.reserveCapacity(capacity) }

    package var isEmpty: Bool { head >= items.count }
    package var count: Int { items.count - head }
    package var first: Element? { head < items.count ? items[head] : nil }

    package mutating func append(_ e: Element) { items.append(e) }

    package mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        let e = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        return e
    }
}
