import UnikernelABI

/// Runs the process's tasks on the CPU: a FIFO run queue with time slices
/// (the host's timer interrupt, UK_TIMER_VECTOR, preempts a task running
/// application code; one landing in the kernel asks for a reschedule on the
/// way out), blocking with optional deadlines, and an idle task that parks
/// the vCPU in the host (UK_HC_IDLE) until the next deadline when nothing can run.
///
/// Tasks switch only inside the kernel, at the points below, each on its own
/// kernel stack; the application's state stays in the user frame at the top
/// of that stack, plus the TLS base and extended state kept in the task.
enum Scheduler {
    /// The time slice a task runs before a runnable peer preempts it.
    static let timeSlice: UInt64 = 10_000_000

    private static var running: Task?
    /// Every live task of the process (the idle task is not one of them).
    private(set) static var tasks: [Task] = []
    private static var runQueue: [Task] = []
    /// Blocked tasks with a deadline.
    private static var sleepers: [Task] = []
    /// Tasks that exited; their stacks are freed once another task runs.
    private static var zombies: [Task] = []
    private static var idleTask: Task?
    /// When the armed tick fires (monotonic); nil when none is armed.
    private static var tickDeadline: UInt64?
    /// The FS and GS bases loaded in the CPU (written only when the next task's differ).
    private static var loadedFSBase: UInt64 = 0
    private static var loadedGSBase: UInt64 = 0
    private static var nextTID = 0

    /// The running task.
    static var current: Task { running.unsafelyUnwrapped }

    /// Adopts the boot stack as the first task (tid = the process id) and creates the idle task.
    static func start(pid: Int) {
        let main = Task(tid: pid, stack: KernelStack.boot())
        main.state = .running
        tasks = [main]
        running = main
        nextTID = pid + 1
        CPULocal.kernelStackTop = main.stack.top
        guard let stack = KernelStack.allocate() else { kernelPanic("scheduler: no memory for the idle task") }
        let idle = Task(tid: 0, stack: stack, isIdle: true)
        idle.prepareFirstSwitch(entry: uk_idle_first_entry_address())
        idleTask = idle
    }

    /// A new tid (Linux allocates them from the pid space; here they follow the process id).
    static func allocateTID() -> Int {
        defer { nextTID += 1 }
        return nextTID
    }

    /// Adds a new task, ready to run.
    static func add(_ task: Task) {
        tasks.append(task)
        makeRunnable(task)
    }

    static func task(tid: Int) -> Task? {
        for task in tasks where task.tid == tid { return task }
        return nil
    }

    // MARK: Blocking and waking

    /// Blocks the running task until `wake` (or the deadline, or a signal when
    /// `interruptible`) and returns why it runs again. The caller has put the task on
    /// the wait list whose owner will wake it.
    static func block(deadline: UInt64? = nil, interruptible: Bool = true) -> Task.WakeReason {
        let task = current
        if interruptible, Signals.hasDeliverable(task) { return .interrupted }
        if let deadline, Clock.monotonicNanoseconds() >= deadline { return .timedOut }
        task.state = .blocked
        task.interruptible = interruptible
        task.deadline = deadline
        task.wakeReason = .woken
        if deadline != nil { sleepers.append(task) }
        schedule()
        return task.wakeReason
    }

    /// Makes a blocked task runnable with `reason`; nothing for a task that is not blocked.
    static func wake(_ task: Task, reason: Task.WakeReason = .woken) {
        guard task.state == .blocked else { return }
        if reason == .interrupted, !task.interruptible { return }
        task.wakeReason = reason
        if task.deadline != nil {
            task.deadline = nil
            sleepers.removeAll { $0 === task }
        }
        makeRunnable(task)
    }

    /// Sleeps until monotonic `deadline`; false when a signal ended the sleep early.
    static func sleep(until deadline: UInt64) -> Bool {
        while Clock.monotonicNanoseconds() < deadline {
            if block(deadline: deadline) == .interrupted { return false }
        }
        return true
    }

    /// Gives the CPU to the next runnable task, if there is one.
    static func yield() {
        expireSleepers()
        guard !runQueue.isEmpty else { return }
        let task = current
        task.state = .runnable
        runQueue.append(task)
        schedule()
    }

    /// The scheduler's tick (the timer interrupt in application code, or a request
    /// left by one that landed in the kernel): the slice is over.
    static func tick() {
        tickDeadline = nil
        yield()
        armTimerIfNeeded()
    }

    /// On every way back to the application: honours a tick that landed in the kernel.
    static func preemptIfRequested() {
        if CPULocal.takeRescheduleRequest() { tick() }
    }

    // MARK: Exit

    /// Ends the running task for good; switches away and never returns.
    static func exitCurrent() -> Never {
        let task = current
        task.state = .dead
        tasks.removeAll { $0 === task }
        zombies.append(task)
        schedule()
        kernelPanic("scheduler: a dead task ran again")
    }

    // MARK: Switching

    private static func makeRunnable(_ task: Task) {
        task.state = .runnable
        runQueue.append(task)
        armTimerIfNeeded()
    }

    /// Runs the next runnable task (or the idle task) in place of the current one, whose
    /// state the caller has set (runnable and queued, blocked, or dead).
    private static func schedule() {
        expireSleepers()
        let next = runQueue.isEmpty ? idleTask.unsafelyUnwrapped : runQueue.removeFirst()
        if !next.isIdle { armTimerIfNeeded() }
        switchTo(next)
    }

    /// Wakes every sleeper whose deadline passed; returns the earliest remaining deadline.
    @discardableResult
    private static func expireSleepers() -> UInt64? {
        guard !sleepers.isEmpty else { return nil }
        let now = Clock.monotonicNanoseconds()
        var earliest: UInt64?
        for task in sleepers {
            guard let deadline = task.deadline else { continue }
            if deadline <= now {
                wake(task, reason: .timedOut)
            } else if earliest.map({ deadline < $0 }) ?? true {
                earliest = deadline
            }
        }
        return earliest
    }

    private static func switchTo(_ next: Task) {
        let previous = current
        guard next !== previous else {
            previous.state = .running
            return
        }
        if previous.stack.overflowed { kernelPanic("scheduler: kernel stack overflow in task", value: UInt64(previous.tid)) }
        if let area = previous.extendedState, previous.state != .dead { ExtendedState.saveContext(to: area) }
        previous.callInProgress = SyscallInProgress.current
        SyscallInProgress.current = next.callInProgress
        next.state = .running
        running = next
        CPULocal.kernelStackTop = next.stack.top
        if let area = next.extendedState {
            ExtendedState.restoreContext(from: area)
            if next.fsBase != loadedFSBase {
                CPU.fsBase = next.fsBase
                loadedFSBase = next.fsBase
            }
            if next.gsBase != loadedGSBase {
                CPU.gsBase = next.gsBase
                loadedGSBase = next.gsBase
            }
        }
        uk_switch_stack(previous.savedStackPointer, next.savedStackPointer.pointee)
        // Running as `previous` again.
        reapZombies()
    }

    /// Records a TLS base the running task set itself (arch_prctl, clone's CLONE_SETTLS).
    static func noteBaseRegisters(fs: UInt64? = nil, gs: UInt64? = nil) {
        if let fs { current.fsBase = fs; loadedFSBase = fs }
        if let gs { current.gsBase = gs; loadedGSBase = gs }
    }

    private static func reapZombies() {
        guard !zombies.isEmpty else { return }
        let dead = zombies.filter { $0 !== current }
        zombies.removeAll { $0 !== current }
        for task in dead { task.release() }
    }

    /// Arms the tick when the running task must be interrupted: at the end of its slice if
    /// another task waits to run, or at the earliest sleeper's deadline.
    private static func armTimerIfNeeded() {
        let now = Clock.monotonicNanoseconds()
        var wanted: UInt64? = runQueue.isEmpty ? nil : now &+ timeSlice
        for task in sleepers {
            if let deadline = task.deadline, wanted.map({ deadline < $0 }) ?? true { wanted = deadline }
        }
        guard let wanted else { return }
        // A tick armed for an earlier moment that has not passed yet serves.
        if let armed = tickDeadline, armed > now, armed <= wanted { return }
        tickDeadline = wanted
        Hypercall.armTimer(nanoseconds: max(wanted > now ? wanted - now : 0, 1))
    }

    /// The idle task: runs whatever became runnable, else parks the vCPU in the host
    /// until the earliest deadline (or for good, if no task has one: as on Linux, a
    /// process whose threads all wait for each other hangs until it is killed).
    static func idleLoop() -> Never {
        reapZombies()
        while true {
            _ = CPULocal.takeRescheduleRequest()
            let earliest = expireSleepers()
            if !runQueue.isEmpty {
                tickDeadline = nil
                let next = runQueue.removeFirst()
                armTimerIfNeeded()
                switchTo(next)
                continue
            }
            let now = Clock.monotonicNanoseconds()
            Hypercall.idle(nanoseconds: earliest.map { $0 > now ? $0 - now : 0 })
        }
    }
}

/// The first run of a new task (uk_task_first_entry), on its own stack: finish the
/// switch, then leave for the application through the frame at `frame`.
@_cdecl("uk_task_started")
func taskStarted(_ frame: UnsafeMutableRawPointer) {
    Scheduler.finishFirstSwitch()
    // SAFETY: the task's user frame, built by Thread.clone at the top of its own stack.
    Signals.deliverPending(to: &frame.assumingMemoryBound(to: SyscallFrame.self).pointee)
}

@_cdecl("uk_idle_loop")
func idleLoopEntry() {
    Scheduler.idleLoop()
}

extension Scheduler {
    /// What switchTo does after uk_switch_stack returns, for a task that starts fresh.
    static func finishFirstSwitch() { reapZombies() }
}

@_extern(c, "uk_switch_stack") func uk_switch_stack(_ save: UnsafeMutablePointer<UInt64>, _ next: UInt64)
@_extern(c, "uk_task_first_entry_address") func uk_task_first_entry_address() -> UInt64
@_extern(c, "uk_idle_first_entry_address") func uk_idle_first_entry_address() -> UInt64
