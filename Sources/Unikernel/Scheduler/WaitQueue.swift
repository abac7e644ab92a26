/// Tasks blocked until something changes (Linux's wait_queue_head): a waiter blocks on the
/// queue, optionally until a deadline; whoever changes the state wakes the queue. The
/// waiter re-checks its condition after every wake-up.
final class WaitQueue {
    private var waiters: [Task] = []

    /// Blocks the running task until a wake-up, the deadline or a signal.
    func wait(deadline: UInt64? = nil) -> Task.WakeReason {
        let task = Scheduler.current
        waiters.append(task)
        let reason = Scheduler.block(deadline: deadline)
        waiters.removeAll { $0 === task }
        return reason
    }

    /// Wakes every waiting task.
    func wakeAll() {
        guard !waiters.isEmpty else { return }
        let woken = waiters
        waiters.removeAll()
        for task in woken { Scheduler.wake(task) }
    }

    var isEmpty: Bool { waiters.isEmpty }
}
