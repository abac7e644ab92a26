import Testing
@testable import KernelLogic

@Suite("Signal selection")
struct SignalSelectionTests {
    private let bit = SignalSelection.bit

    @Test("a thread's own pending signals go before the process's; blocked ones wait")
    func threadFirst() {
        let next = SignalSelection.next(threadPending: bit(12), sharedPending: bit(10), blocked: 0)
        #expect(next?.signal == 12 && next?.onThread == true)
        let shared = SignalSelection.next(threadPending: bit(12), sharedPending: bit(10), blocked: bit(12))
        #expect(shared?.signal == 10 && shared?.onThread == false)
        #expect(SignalSelection.next(threadPending: bit(12), sharedPending: 0, blocked: bit(12)) == nil)
    }

    @Test("the lowest number first, but a synchronous signal (SIGSEGV) before any other")
    func order() {
        #expect(SignalSelection.lowest(in: bit(15) | bit(2), blocked: 0) == 2)
        #expect(SignalSelection.lowest(in: bit(2) | bit(11), blocked: 0) == 11)
        #expect(SignalSelection.lowest(in: bit(2) | bit(11), blocked: bit(11)) == 2)
    }

    @Test("a thread takes a signal it does not block, or one it waits for in sigtimedwait")
    func accepts() {
        #expect(SignalSelection.accepts(15, blocked: 0, waitingFor: 0))
        #expect(!SignalSelection.accepts(15, blocked: bit(15), waitingFor: 0))
        #expect(SignalSelection.accepts(15, blocked: bit(15), waitingFor: bit(15)))
        #expect(SignalSelection.waited(bit(15) | bit(2), threadPending: bit(2), sharedPending: bit(15))?.signal == 2)
        #expect(SignalSelection.waited(bit(15), threadPending: bit(2), sharedPending: bit(15))?.onThread == false)
    }
}

@Suite("The scheduler's tick")
struct TickPolicyTests {
    @Test("no tick while the task runs alone with no sleeper")
    func alone() {
        #expect(TickPolicy.deadline(now: 100, othersWaiting: false, slice: 10, sleeperDeadlines: [], armed: nil) == nil)
    }

    @Test("the end of the slice when another task waits; an earlier sleeper's deadline wins")
    func sliceAndSleepers() {
        #expect(TickPolicy.deadline(now: 100, othersWaiting: true, slice: 10, sleeperDeadlines: [], armed: nil) == 110)
        #expect(TickPolicy.deadline(now: 100, othersWaiting: true, slice: 10, sleeperDeadlines: [105, 130], armed: nil) == 105)
        #expect(TickPolicy.deadline(now: 100, othersWaiting: false, slice: 10, sleeperDeadlines: [130, 120], armed: nil) == 120)
    }

    @Test("a tick already armed early enough serves; one that passed or fires too late does not")
    func armed() {
        #expect(TickPolicy.deadline(now: 100, othersWaiting: true, slice: 10, sleeperDeadlines: [], armed: 105) == nil)
        #expect(TickPolicy.deadline(now: 100, othersWaiting: true, slice: 10, sleeperDeadlines: [], armed: 150) == 110)
        #expect(TickPolicy.deadline(now: 100, othersWaiting: true, slice: 10, sleeperDeadlines: [], armed: 90) == 110)
    }
}

@Suite("Clone flags")
struct CloneFlagsTests {
    /// What glibc's pthread_create and musl's pass (CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|
    /// SETTLS|PARENT_SETTID|CHILD_CLEARTID).
    static let pthreadFlags: UInt64 = 0x3D0F00

    @Test("the thread flag sets of glibc, musl, Go and C++ runtimes are accepted")
    func threads() throws {
        try CloneFlags.checkThread(Self.pthreadFlags)
        try CloneFlags.checkThread(CloneFlags.vm | CloneFlags.fs | CloneFlags.files | CloneFlags.sighand
                                   | CloneFlags.sysvsem | CloneFlags.thread)  // Go's runtime.clone
    }

    @Test("Linux's consistency checks: THREAD needs SIGHAND, SIGHAND needs VM")
    func consistency() {
        #expect(throws: Errno.EINVAL) { try CloneFlags.checkThread(CloneFlags.thread | CloneFlags.vm) }
        #expect(throws: Errno.EINVAL) { try CloneFlags.checkThread(CloneFlags.sighand) }
    }

    @Test("namespaces are EPERM; new processes (fork, posix_spawn's VM|VFORK) are ENOSYS")
    func refused() {
        #expect(throws: Errno.EPERM) { try CloneFlags.checkThread(Self.pthreadFlags | 0x2000_0000) }  // CLONE_NEWPID
        #expect(throws: Errno.ENOSYS) { try CloneFlags.checkThread(0) }
        #expect(throws: Errno.ENOSYS) { try CloneFlags.checkThread(CloneFlags.vm | CloneFlags.vfork) }
    }
}
