/// The kiosk's one `@unchecked Sendable` box, for a hand-over the compiler cannot see is safe:
/// a non-Sendable device moved into the single thread that uses it from then on
/// (`MediaPipeline`), a weak reference carried into the one task that reads it
/// (`SignalingLink`), or a result written by a task before it signals the semaphore the
/// waiting thread reads it after (`ControlSocket`). Nothing touches `value` from two threads
/// at once.
final class UncheckedSendable<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
