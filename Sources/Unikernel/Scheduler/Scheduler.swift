import UnikernelABI

/// Runs the process's tasks on the vCPUs: one FIFO run queue shared by every vCPU
/// (under the kernel lock), time slices (the host's timer interrupt, UK_TIMER_VECTOR,
/// preempts a task running application code; one landing in the kernel asks for a
/// reschedule on the way out), blocking with optional deadlines, and an idle task per
/// vCPU that parks it in the host (UK_HC_IDLE) until the next deadline or a kick
/// (UK_HC_KICK) when nothing can run. vCPUs other than the first start when there is
/// work for them (UK_HC_START_CPU).
///
/// Tasks switch only inside the kernel, at the points below, each on its own kernel
/// stack; the application's state stays in the user frame at the top of that stack, plus
/// the TLS base and extended state kept in the task.
enum Scheduler {
    /// The time slice a task runs before a runnable peer preempts it.
    static let timeSlice: UInt64 = 10_000_000

    /// What the scheduler keeps per vCPU.
    struct CPUState {
        var running: Task?
        var idleTask: Task?
        /// When the armed tick fires (monotonic); nil when none is armed.
        var tickDeadline: UInt64?
        /// The FS and GS bases loaded in the CPU (written only when the next task's differ).
        var loadedFSBase: UInt64 = 0
        var loadedGSBase: UInt64 = 0
        var started = false
        /// Parked in the host by its idle task (set and cleared under the kernel lock).
        var idling = false
    }

    private static var cpus: [CPUState] = []
    /// How long an idle vCPU polls for work before it parks in the host (where waking it takes a
    /// kick through the host: a signal and a thread wake-up, tens of microseconds).
    static let idlePoll: UInt64 = 50_000
    /// Every live task of the process (the idle tasks are not among them).
    private(set) static var tasks: [Task] = []
    private static var runQueue: [Task] = [] {
        didSet { runnableHint.pointee = UInt64(runQueue.count) }
    }
    /// runQueue.count, readable by an idle vCPU polling without the kernel lock.
    private static var runnableHint: UnsafeMutablePointer<UInt64> {
        // SAFETY: uk_runnable_hint, a .data word written under the kernel lock only.
        UnsafeMutablePointer<UInt64>(bitPattern: UInt(uk_runnable_hint_address()))!
    }
    /// Blocked tasks with a deadline.
    private static var sleepers: [Task] = []
    /// Tasks that exited; their stacks are freed once another task runs.
    private static var zombies: [Task] = []
    /// Thread ids start at Linux's PID_MAX_LIMIT (2^22): the process id is the host's pid,
    /// and no host pid, which another guest process may have, reaches that range.
    static let firstThreadID = 0x40_0000
    private static var nextTID = firstThreadID
    private(set) static var startedCPUCount = 1

    private static var me: Int { CPULocal.index }

    /// The running task.
    static var current: Task { cpus[me].running.unsafelyUnwrapped }

    /// The vCPUs the process may run on.
    static var cpuCount: Int { cpus.count }

    /// Adopts the boot stack as the first task (tid = the process id) on vCPU 0 and creates
    /// its idle task.
    static func start(pid: Int, cpuCount: Int) {
        cpus = [CPUState](repeating: CPUState(), count: max(1, min(cpuCount, Int(UK_MAX_CPUS))))
        let main = Task(tid: pid, stack: KernelStack.boot())
        main.state = .running
        main.signals.blocked = ExecSyscalls.inheritedMask
        tasks = [main]
        nextTID = firstThreadID
        guard let stack = KernelStack.allocate() else { kernelPanic("scheduler: no memory for the idle task") }
        let idle = Task(tid: 0, stack: stack, isIdle: true)
        idle.prepareFirstSwitch(entry: uk_idle_first_entry_address())
        cpus[0] = CPUState(running: main, idleTask: idle, started: true)
        CPULocal.kernelStackTop = main.stack.top
    }

    /// A secondary vCPU's start (uk_secondary_main, holding the kernel lock): its boot
    /// stack becomes its idle task's, and it goes idle (picking up whatever is runnable).
    static func startSecondary(stackBase: UInt64) -> Never {
        let idle = Task(tid: 0, stack: KernelStack(base: stackBase), isIdle: true)
        idle.state = .running
        cpus[me].running = idle
        cpus[me].idleTask = idle
        CPULocal.kernelStackTop = idle.stack.top
        idleLoop()
    }

    /// A new thread id (Linux allocates them from the pid space; here from above it, so that
    /// none is another process's pid). After 2^31 they wrap, skipping live ones.
    static func allocateTID() -> Int {
        while true {
            let tid = nextTID
            nextTID = nextTID == Int(Int32.max) ? firstThreadID : nextTID + 1
            if task(tid: tid) == nil { return tid }
        }
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
        // (Host signals are not taken here: the caller is already on the wait list its wake-up
        // would use, and a wake before the task is blocked would be lost; the idle loop takes them.)
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

    /// Makes `task`, running application code on another vCPU, enter the kernel soon (a
    /// signal for it): that vCPU is interrupted.
    static func interrupt(_ task: Task) {
        guard task.state == .running, task.cpu != me else { return }
        Hypercall.kick(cpus: 1 << UInt64(task.cpu))
    }

    /// Sleeps until monotonic `deadline`; false when a signal ended the sleep early.
    static func sleep(until deadline: UInt64) -> Bool {
        while Clock.monotonicNanoseconds() < deadline {
            if block(deadline: deadline) == .interrupted { return false }
        }
        return true
    }

    /// Gives the vCPU to the next runnable task, if there is one.
    /// Lets the next runnable task run; false when there was none (the caller keeps running).
    @discardableResult
    static func yield() -> Bool {
        expireSleepers()
        guard !runQueue.isEmpty else { return false }
        let task = current
        task.state = .runnable
        runQueue.append(task)
        schedule()
        return true
    }

    /// The scheduler's tick (the timer interrupt in application code, a kick, or a request
    /// left by one that landed in the kernel): the slice is over.
    static func tick() {
        HostSignals.take()
        cpus[me].tickDeadline = nil
        yield()
        armTimerIfNeeded()
    }

    /// On every way back to the application: honours a tick that landed in the kernel.
    static func preemptIfRequested() {
        if CPULocal.takeRescheduleRequest() { tick() }
    }

    // MARK: CPU time

    /// CPU time of the threads that ended.
    private static var exitedCPUTime: UInt64 = 0

    /// The CPU time `task` has used (including its current run, on whichever vCPU).
    static func cpuTime(of task: Task) -> UInt64 {
        guard task.state == .running, !task.isIdle else { return task.cpuTime }
        let now = Clock.monotonicNanoseconds()
        return task.cpuTime &+ (now > task.runningSince ? now - task.runningSince : 0)
    }

    /// The CPU time the process has used: its threads', living and ended.
    static var processCPUTime: UInt64 {
        var total = exitedCPUTime
        for task in tasks { total &+= cpuTime(of: task) }
        return total
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

    // MARK: Fork

    /// In a forked child (ForkSyscalls.becomeChild, on vCPU 0 of the new VM and on
    /// `idleStack`, holding the kernel lock the parent's forking vCPU held): `survivor`,
    /// renamed `tid`, is the only task; the other threads and every vCPU's state are gone.
    static func restartAfterFork(survivor: Task, tid: Int, idleStack: KernelStack) {
        for task in tasks + zombies where task !== survivor {
            task.state = .dead
            task.release()
        }
        for cpu in cpus { cpu.idleTask?.release() }
        tasks = [survivor]
        runQueue = []
        sleepers = []
        zombies = []
        let idle = Task(tid: 0, stack: idleStack, isIdle: true)
        idle.state = .running
        cpus = [CPUState](repeating: CPUState(), count: cpus.count)
        cpus[0] = CPUState(running: idle, idleTask: idle, started: true)
        startedCPUCount = 1
        CPULocal.kernelStackTop = idle.stack.top
        CPULocal.inApplication = false
        _ = CPULocal.takeRescheduleRequest()
        survivor.tid = tid
        survivor.cpu = 0
        // As Linux: a child starts with no CPU time of its own.
        survivor.cpuTime = 0
        survivor.runningSince = Clock.monotonicNanoseconds()
        exitedCPUTime = 0
        survivor.deadline = nil
        survivor.callInProgress = 0
        SyscallInProgress.current = 0
    }

    /// The forked child's first scheduling: the survivor returns to the application from its
    /// user frame (RAX = 0), as a new thread starts.
    static func runAfterFork() -> Never {
        let survivor = tasks[0]
        survivor.prepareFirstSwitch(entry: uk_task_first_entry_address())
        makeRunnable(survivor)
        idleLoop()
    }

    // MARK: vCPUs in application code (TLB shootdowns)

    /// The started vCPUs other than `cpu` that run application code now, as a mask.
    static func cpusInApplication(except cpu: Int) -> UInt64 {
        var mask: UInt64 = 0
        for index in cpus.indices where index != cpu && cpus[index].started && CPULocal.inApplication(cpu: index) {
            mask |= 1 << UInt64(index)
        }
        return mask
    }

    // MARK: Switching

    private static func makeRunnable(_ task: Task) {
        task.state = .runnable
        runQueue.append(task)
        armTimerIfNeeded()
        dispatchToIdleCPU()
    }

    /// Lets an idle vCPU take the queued work: kicks one parked in the host, or starts one
    /// that never ran.
    private static func dispatchToIdleCPU() {
        // The idle task making a task runnable takes it itself.
        if current.isIdle, runQueue.count <= 1 { return }
        for index in cpus.indices where index != me && cpus[index].started && cpus[index].idling {
            cpus[index].idling = false  // kicked once; it clears the flag itself when it wakes
            Hypercall.kick(cpus: 1 << UInt64(index))
            return
        }
        guard let index = cpus.indices.first(where: { !cpus[$0].started }),
              let stack = KernelStack.allocate() else { return }
        cpus[index].started = true
        startedCPUCount += 1
        if Hypercall.startCPU(index, rip: uk_secondary_entry_address(), stackPointer: stack.top, argument: stack.base) != 0 {
            cpus[index].started = false
            startedCPUCount -= 1
            KernelStack.release(stack)
        }
    }

    /// Runs the next runnable task (or the idle task) in place of the current one, whose
    /// state the caller has set (runnable and queued, blocked, or dead).
    private static func schedule() {
        expireSleepers()
        let next = runQueue.isEmpty ? cpus[me].idleTask.unsafelyUnwrapped : runQueue.removeFirst()
        if !next.isIdle { armTimerIfNeeded() }
        switchTo(next)
    }

    /// Wakes every sleeper whose deadline passed; returns the earliest remaining deadline.
    @discardableResult
    private static func expireSleepers() -> UInt64? {
        let now = Clock.monotonicNanoseconds()
        TimerQueue.expire(now: now)
        var earliest = TimerQueue.earliest
        guard !sleepers.isEmpty else { return earliest }
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
        let cpu = me
        let previous = current
        guard next !== previous else {
            previous.state = .running
            return
        }
        let now = Clock.monotonicNanoseconds()
        if !previous.isIdle {
            previous.cpuTime &+= now &- previous.runningSince
            if previous.state == .dead { exitedCPUTime &+= previous.cpuTime }
        }
        next.runningSince = now
        if previous.stack.overflowed { kernelPanic("scheduler: kernel stack overflow in task", value: UInt64(previous.tid)) }
        if let area = previous.extendedState, previous.state != .dead { ExtendedState.saveContext(to: area) }
        previous.callInProgress = SyscallInProgress.current
        SyscallInProgress.current = next.callInProgress
        next.state = .running
        next.cpu = cpu
        cpus[cpu].running = next
        CPULocal.kernelStackTop = next.stack.top
        if let area = next.extendedState {
            ExtendedState.restoreContext(from: area)
            if next.fsBase != cpus[cpu].loadedFSBase {
                CPU.fsBase = next.fsBase
                cpus[cpu].loadedFSBase = next.fsBase
            }
            if next.gsBase != cpus[cpu].loadedGSBase {
                CPU.gsBase = next.gsBase
                cpus[cpu].loadedGSBase = next.gsBase
            }
        }
        uk_switch_stack(previous.savedStackPointer, next.savedStackPointer.pointee)
        // Running as `previous` again (perhaps on another vCPU).
        reapZombies()
    }

    /// Records a TLS base the running task set itself (arch_prctl).
    static func noteBaseRegisters(fs: UInt64? = nil, gs: UInt64? = nil) {
        if let fs { current.fsBase = fs; cpus[me].loadedFSBase = fs }
        if let gs { current.gsBase = gs; cpus[me].loadedGSBase = gs }
    }

    static func reapZombies() {
        guard !zombies.isEmpty else { return }
        // A task that exited on another vCPU may still be on its stack until that vCPU
        // switches away; it holds the kernel lock until then, so every zombie seen here
        // except the running task is off its stack.
        let dead = zombies.filter { $0 !== current }
        zombies.removeAll { $0 !== current }
        for task in dead { task.release() }
    }

    /// Arms this vCPU's tick when the running task must be interrupted: at the end of its
    /// slice if another task waits to run, or at the earliest sleeper's deadline.
    private static func armTimerIfNeeded() {
        let now = Clock.monotonicNanoseconds()
        guard let wanted = TickPolicy.deadline(now: now, othersWaiting: !runQueue.isEmpty, slice: timeSlice,
                                               sleeperDeadlines: sleepers.compactMap { $0.deadline } + (TimerQueue.earliest.map { [$0] } ?? []),
                                               armed: cpus[me].tickDeadline) else { return }
        cpus[me].tickDeadline = wanted
        Hypercall.armTimer(nanoseconds: max(wanted > now ? wanted - now : 0, 1))
    }

    /// After a timer was armed: this vCPU's tick fires by its deadline (the idle loop and
    /// every later tick look at the timers too).
    static func timersChanged() {
        armTimerIfNeeded()
    }

    /// The idle task of this vCPU (holding the kernel lock): runs whatever became runnable,
    /// else parks the vCPU in the host without the lock until the earliest deadline or a
    /// kick (for good, if nothing can wake it: as on Linux, a process whose threads all
    /// wait for each other hangs until it is killed).
    static func idleLoop() -> Never {
        while true {
            reapZombies()
            HostSignals.take()
            _ = CPULocal.takeRescheduleRequest()
            let earliest = expireSleepers()
            if !runQueue.isEmpty {
                cpus[me].tickDeadline = nil
                let next = runQueue.removeFirst()
                armTimerIfNeeded()
                switchTo(next)
                continue
            }
            // On kvm-pvm, poll a little without the lock before parking: a task made runnable
            // soon (a futex ping-pong partner) is taken at once, where a kick through the host
            // costs tens of microseconds. On hardware KVM the vCPU parks at once: spinning vCPUs
            // would only take the host's CPUs from others (and starve a nested host's kernel).
            // Only the TSC and the hint are read without the lock. The poll ends by the earliest
            // deadline, whose sleeper then runs without a call to the host.
            let polled = Clock.monotonicNanoseconds()
            var poll = Platform.kernelPrivileged ? 0 : idlePoll
            if let earliest { poll = min(poll, earliest > polled ? earliest - polled : 0) }
            let pollEnd = CPU.timestamp() &+ Clock.ticks(nanoseconds: poll)
            let hint = UnsafeMutableRawPointer(runnableHint)
            KernelLock.release()
            while uk_volatile_load(hint) == 0, CPU.timestamp() < pollEnd {}
            KernelLock.acquire()
            TLB.catchUp()
            if !runQueue.isEmpty { continue }
            let now = Clock.monotonicNanoseconds()
            // A deadline that passed meanwhile is taken at the top: parking for no time would
            // only cost an exit (and yield the host CPU for nothing).
            if let earliest, earliest <= now { continue }
            cpus[me].idling = true
            KernelLock.release()
            Hypercall.idle(nanoseconds: earliest.map { $0 > now ? $0 - now : 0 })
            KernelLock.acquire()
            TLB.catchUp()
            cpus[me].idling = false
        }
    }
}

/// The first run of a new task (uk_task_first_entry), on its own stack, holding the kernel
/// lock its vCPU took: finish the switch, then leave for the application through `frame`.
@_cdecl("uk_task_started")
func taskStarted(_ frame: UnsafeMutableRawPointer) {
    Scheduler.reapZombies()
    // SAFETY: the task's user frame, built by ThreadSyscalls.spawn at the top of its own stack.
    Signals.deliverPending(to: &frame.assumingMemoryBound(to: SyscallFrame.self).pointee)
    KernelLock.leaveToApplication()
}

@_cdecl("uk_idle_loop")
func idleLoopEntry() {
    Scheduler.idleLoop()
}

/// A secondary vCPU's first Swift code (uk_secondary_entry), on its idle stack.
@_cdecl("uk_secondary_main")
func secondaryMain(_ stackBase: UInt64) {
    KernelLock.acquire()
    Scheduler.startSecondary(stackBase: stackBase)
}

@_extern(c, "uk_switch_stack") func uk_switch_stack(_ save: UnsafeMutablePointer<UInt64>, _ next: UInt64)
@_extern(c, "uk_task_first_entry_address") func uk_task_first_entry_address() -> UInt64
@_extern(c, "uk_idle_first_entry_address") func uk_idle_first_entry_address() -> UInt64
@_extern(c, "uk_secondary_entry_address") func uk_secondary_entry_address() -> UInt64
@_extern(c, "uk_runnable_hint_address") func uk_runnable_hint_address() -> UInt64
