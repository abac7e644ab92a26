import UnikernelABI

/// Futex wait queues: tasks blocked on a 32-bit word of the application,
/// keyed by its virtual address (one address space: private and shared
/// futexes are the same key), each with the bitset it waits for. The value
/// check and the enqueue happen without a switch in between, so a wake that
/// follows the application's store is never lost.
enum Futex {
    static let bitsetMatchAny: UInt32 = 0xFFFF_FFFF
    static let waitersBit: UInt32 = 0x8000_0000
    static let ownerDiedBit: UInt32 = 0x4000_0000
    static let tidMask: UInt32 = 0x3FFF_FFFF

    private static var waiters = FutexWaitList<Task>()

    /// Waits while the word at `address` holds `expected`: EAGAIN when it does not,
    /// ETIMEDOUT at `deadline`, EINTR for a signal, 0 when woken.
    static func wait(address: UInt64, expected: UInt32, bitset: UInt32, deadline: UInt64?) throws(Errno) {
        guard address & 3 == 0 else { throw .EINVAL }
        guard bitset != 0 else { throw .EINVAL }
        guard try UserMemory.load(UInt32.self, from: address) == expected else { throw .EAGAIN }
        let task = Scheduler.current
        waiters.add(task, address: address, bitset: bitset)
        let reason = Scheduler.block(deadline: deadline)
        let stillQueued = waiters.remove(task)
        switch reason {
        case .woken where !stillQueued: return
        case .timedOut where stillQueued: throw .ETIMEDOUT
        case _ where !stillQueued: return  // woken by a wake as the deadline or a signal came
        default: throw .EINTR
        }
    }

    /// futex_waitv: waits on several words at once; returns the index of the one woken.
    static func waitAny(_ words: [(address: UInt64, expected: UInt32)], deadline: UInt64?) throws(Errno) -> Int {
        for word in words {
            guard try UserMemory.load(UInt32.self, from: word.address) == word.expected else { throw .EAGAIN }
        }
        let task = Scheduler.current
        for word in words { waiters.add(task, address: word.address) }
        let reason = Scheduler.block(deadline: deadline)
        // The woken entry is the one a wake removed; the others are still queued.
        var woken: Int?
        for (index, word) in words.enumerated() {
            let stillQueued = waiters.remove(task, address: word.address)
            if !stillQueued, woken == nil { woken = index }
        }
        if let woken { return woken }
        if reason == .timedOut { throw .ETIMEDOUT }
        throw .EINTR
    }

    /// Wakes up to `count` waiters on `address` whose bitset shares a bit with `bitset`.
    @discardableResult
    static func wake(address: UInt64, count: Int, bitset: UInt32 = bitsetMatchAny) -> Int {
        guard count > 0 else { return 0 }
        let woken = waiters.take(address: address, count: count, bitset: bitset)
        for task in woken { Scheduler.wake(task) }
        return woken.count
    }

    /// Wakes `wakeCount` waiters on `address` and moves up to `requeueCount` of the rest to
    /// `target`; returns how many were woken plus moved (Linux's FUTEX_CMP_REQUEUE result).
    static func requeue(address: UInt64, wakeCount: Int, requeueCount: Int, target: UInt64) -> Int {
        wake(address: address, count: wakeCount) + waiters.requeue(from: address, to: target, count: requeueCount)
    }

    // MARK: Priority-inheritance locks (FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI)
    // The word holds the owner's tid, FUTEX_WAITERS while tasks wait, and FUTEX_OWNER_DIED
    // after a robust owner died. One scheduling class: inheriting a priority changes nothing
    // observable, so the kernel keeps the protocol (ownership hand-over on unlock).

    /// Takes the lock at `address` for the running task, waiting until `deadline` unless `trying`.
    static func lockPI(address: UInt64, deadline: UInt64?, trying: Bool) throws(Errno) {
        guard address & 3 == 0 else { throw .EINVAL }
        let task = Scheduler.current
        let tid = UInt32(task.tid)
        while true {
            let word = try UserMemory.load(UInt32.self, from: address)
            let owner = word & tidMask
            if owner == tid { throw .EDEADLK }
            if owner == 0 {
                // Free (possibly with OWNER_DIED kept for the new owner to see): take it.
                let waiting = waiters.hasPriorityInheritanceWaiters(address: address)
                let new = tid | (word & ownerDiedBit) | (waiting ? waitersBit : 0)
                if try UserMemory.compareExchange32(at: address, expected: word, new: new) == word { return }
                continue
            }
            if Scheduler.task(tid: Int(owner)) == nil {
                // The owner is gone without unlocking (not robust): Linux reports it as dead.
                let new = tid | ownerDiedBit | (word & waitersBit)
                if try UserMemory.compareExchange32(at: address, expected: word, new: new) == word { return }
                continue
            }
            if trying { throw .EAGAIN }
            if word & waitersBit == 0 {
                guard try UserMemory.compareExchange32(at: address, expected: word, new: word | waitersBit) == word else { continue }
            }
            waiters.add(task, address: address, priorityInheritance: true)
            let reason = Scheduler.block(deadline: deadline, interruptible: false)
            if !waiters.remove(task) {
                // Handed the lock by unlockPI.
                return
            }
            if reason == .timedOut { throw .ETIMEDOUT }
        }
    }

    /// Releases the lock at `address`, handing it to the first waiter.
    static func unlockPI(address: UInt64) throws(Errno) {
        guard address & 3 == 0 else { throw .EINVAL }
        let tid = UInt32(Scheduler.current.tid)
        let word = try UserMemory.load(UInt32.self, from: address)
        guard word & tidMask == tid else { throw .EPERM }
        try handOver(address: address, word: word)
    }

    /// Gives the PI lock at `address` (now holding `word`) to its first waiter, or frees it.
    private static func handOver(address: UInt64, word: UInt32) throws(Errno) {
        if let next = waiters.takePriorityInheritanceWaiter(address: address) {
            let more = waiters.hasPriorityInheritanceWaiters(address: address)
            let new = UInt32(next.tid) | (word & ownerDiedBit) | (more ? waitersBit : 0)
            _ = try UserMemory.compareExchange32(at: address, expected: word, new: new)
            Scheduler.wake(next)
        } else {
            _ = try UserMemory.compareExchange32(at: address, expected: word, new: 0)
        }
    }

    // MARK: Exit of a task (robust list and clear-child-tid)

    /// What Linux does for a dying task: marks each robust futex it owns with
    /// FUTEX_OWNER_DIED and wakes one waiter; then zeroes the clear-child-tid word and wakes it.
    static func taskExiting(_ task: Task) {
        walkRobustList(task)
        if task.clearChildTID != 0 {
            if (try? UserMemory.store(UInt32(0), to: task.clearChildTID)) != nil {
                wake(address: task.clearChildTID, count: 1)
            }
        }
    }

    /// The whole process ends (exit_group): every thread's robust futexes are marked and
    /// woken, as Linux's exit_mm does; it matters to the other processes sharing them.
    static func processExiting() {
        for task in Scheduler.tasks { walkRobustList(task) }
    }

    /// Linux's robust_list_head: next (the list, circular through the head), futex_offset,
    /// list_op_pending. Each entry's futex word sits at entry + futex_offset; bit 0 of an
    /// entry pointer marks a PI futex.
    private static func walkRobustList(_ task: Task) {
        let head = task.robustList
        guard head != 0, let words = try? UserMemory.load((UInt64, Int64, UInt64).self, from: head) else { return }
        let offset = words.1
        var entry = words.0
        var limit = 2048  // Linux's ROBUST_LIST_LIMIT: a looping list cannot hang the exit
        while entry != head, entry != 0, limit > 0 {
            let next = (try? UserMemory.load(UInt64.self, from: entry & ~1)) ?? head
            if entry != words.2 { markOwnerDied(at: UInt64(bitPattern: Int64(bitPattern: entry & ~1) &+ offset), tid: task.tid) }
            entry = next
            limit -= 1
        }
        if words.2 != 0 { markOwnerDied(at: UInt64(bitPattern: Int64(bitPattern: words.2 & ~1) &+ offset), tid: task.tid) }
    }

    private static func markOwnerDied(at address: UInt64, tid: Int) {
        guard address & 3 == 0, let word = try? UserMemory.load(UInt32.self, from: address),
              word & tidMask == UInt32(tid) else { return }
        if waiters.hasPriorityInheritanceWaiters(address: address) {
            try? handOver(address: address, word: word | ownerDiedBit)
            return
        }
        let new = (word & waitersBit) | ownerDiedBit
        guard (try? UserMemory.compareExchange32(at: address, expected: word, new: new)) == word else { return }
        guard word & waitersBit != 0 else { return }
        if let shared = SharedFutex.word(at: address) {
            _ = try? SharedFutex.wake(word: shared, count: 1, bitset: bitsetMatchAny)
        } else {
            wake(address: address, count: 1)
        }
    }
}
