import UnikernelABI

/// One thread of the process (Linux's task): its own kernel stack with the
/// saved context of its last switch, its TLS base, extended (x87/SSE/AVX)
/// state while it is not running, its signal mask, pending set and alternate
/// stack, and what `clone`, `set_tid_address` and `set_robust_list` asked the
/// kernel to do when it exits. The process-wide state (address space, files,
/// signal actions) stays in `Process`.
final class Task {
    enum State { case running, runnable, blocked, dead }
    /// Why a blocked task runs again.
    enum WakeReason { case woken, timedOut, interrupted }

    /// The thread id (a forked child's only task takes the child's pid).
    var tid: Int
    var state: State = .runnable
    let stack: KernelStack
    /// Where uk_switch_stack keeps this task's stack pointer while it is switched out
    /// (a stable address: the switch writes it from assembly).
    let savedStackPointer: UnsafeMutablePointer<UInt64>
    /// The XSAVE (or FXSAVE) image of the task's extended state while it is switched out;
    /// nil for the idle task, which never runs application code.
    let extendedState: UnsafeMutableRawPointer?
    var fsBase: UInt64 = 0
    var gsBase: UInt64 = 0
    var signals = ThreadSignals()
    /// CLONE_CHILD_CLEARTID / set_tid_address: zeroed and futex-woken at exit.
    var clearChildTID: UInt64 = 0
    /// set_robust_list: the head of the robust-futex list walked at exit.
    var robustList: UInt64 = 0
    /// Monotonic deadline of a timed wait; nil when the wait has none.
    var deadline: UInt64?
    var wakeReason: WakeReason = .woken
    /// Whether a signal may end the current wait (every wait here is interruptible but the idle task's).
    var interruptible = false
    /// The CPU affinity mask (sched_setaffinity), as set; reported masked with the online vCPUs.
    /// Informational: the one run queue serves every vCPU.
    var affinity = UInt64.max
    let isIdle: Bool
    /// The vCPU it runs (or last ran) on.
    var cpu = 0
    /// The frame of the system call the task is blocked in (uk_syscall_in_progress while it runs).
    var callInProgress: UInt64 = 0
    /// CPU time used up to its last switch out (nanoseconds; application and kernel alike).
    var cpuTime: UInt64 = 0
    /// When it was last switched in (monotonic nanoseconds).
    var runningSince: UInt64 = 0

    /// The user frame at the top of the kernel stack: every entry from the application
    /// (syscall, fault, interrupt) builds it there (syscall.S, exceptions.S).
    var userFrame: UnsafeMutablePointer<SyscallFrame> {
        // SAFETY: the stack's top 160 bytes are the frame's slot; the task owns its stack.
        UnsafeMutablePointer<SyscallFrame>(bitPattern: UInt(stack.top - UInt64(MemoryLayout<SyscallFrame>.size)))!
    }

    /// A task on `stack`. The boot task adopts the boot stack; others get a prepared first switch.
    init(tid: Int, stack: KernelStack, isIdle: Bool = false) {
        self.tid = tid
        self.stack = stack
        self.isIdle = isIdle
        savedStackPointer = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        savedStackPointer.initialize(to: 0)
        if isIdle {
            extendedState = nil
        } else {
            let area = UnsafeMutableRawPointer.allocate(byteCount: ExtendedState.contextBytes, alignment: 64)
            // SAFETY: a fresh area of contextBytes, owned by the task until it is reaped.
            area.initializeMemory(as: UInt8.self, repeating: 0, count: ExtendedState.contextBytes)
            extendedState = area
        }
    }

    /// Prepares the first switch into this task: it starts at `entry` (uk_task_first_entry or
    /// uk_idle_first_entry) with zeroed callee-saved registers, below the user-frame slot.
    func prepareFirstSwitch(entry: UInt64) {
        let frameBytes = UInt64(MemoryLayout<SyscallFrame>.size)
        var pointer = stack.top - frameBytes - 8
        // SAFETY: the words written lie inside the task's own, unused kernel stack.
        UnsafeMutablePointer<UInt64>(bitPattern: UInt(pointer))!.pointee = entry
        for _ in 0..<6 {
            pointer -= 8
            UnsafeMutablePointer<UInt64>(bitPattern: UInt(pointer))!.pointee = 0
        }
        savedStackPointer.pointee = pointer
    }

    /// Frees what the task owns; called once it can never run again.
    func release() {
        extendedState?.deallocate()
        savedStackPointer.deallocate()
        KernelStack.release(stack)
    }
}

/// A task's kernel stack: `size` bytes of physically contiguous frames, used
/// through the direct map, with a canary word at its lowest address that the
/// scheduler checks on every switch (no guard page: the direct map maps every frame).
struct KernelStack {
    static let size: UInt64 = 32 * 1024
    static let canary: UInt64 = 0x5441_534B_5354_4B21
    let base: UInt64
    var top: UInt64 { base + KernelStack.size }

    /// Stacks of exited tasks, reused before new frames are taken.
    private static var pool: [UInt64] = []

    /// A stack at `base` that already exists (a secondary vCPU's boot stack).
    init(base: UInt64) { self.base = base }

    static func allocate() -> KernelStack? {
        let base: UInt64
        if let reused = pool.popLast() {
            base = reused
        } else {
            guard let frames = Frames.allocateContiguous(pages: Int(size / UK_PAGE_SIZE)) else { return nil }
            base = DirectMap.virtualAddress(frames)
        }
        let stack = KernelStack(base: base)
        stack.setCanary()
        return stack
    }

    /// The boot stack (entry.S), which becomes the first task's.
    static func boot() -> KernelStack {
        let top = uk_kernel_stack_top_address()
        let stack = KernelStack(base: top - size)
        stack.setCanary()
        return stack
    }

    static func release(_ stack: KernelStack) { pool.append(stack.base) }

    private func setCanary() {
        // SAFETY: the stack's lowest word, owned by the stack.
        UnsafeMutablePointer<UInt64>(bitPattern: UInt(base))!.pointee = KernelStack.canary
    }

    /// Whether the stack ever grew into its lowest word.
    var overflowed: Bool {
        // SAFETY: as in setCanary.
        UnsafeMutablePointer<UInt64>(bitPattern: UInt(base))!.pointee != KernelStack.canary
    }
}

@_extern(c, "uk_kernel_stack_top_address") func uk_kernel_stack_top_address() -> UInt64
