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

@Suite("Process creation flags")
struct ProcessCloneFlagsTests {
    @Test("fork (no flags, or glibc's CHILD_SETTID|CHILD_CLEARTID) and posix_spawn's VM|VFORK create a process")
    func processes() throws {
        #expect(try CloneFlags.createsProcess(0))
        #expect(try CloneFlags.createsProcess(CloneFlags.childSettid | CloneFlags.childCleartid))
        #expect(try CloneFlags.createsProcess(CloneFlags.vm | CloneFlags.vfork))
        #expect(try CloneFlags.createsProcess(CloneFlags.vfork))
    }

    @Test("threads and plain CLONE_VM clones are not processes")
    func notProcesses() throws {
        #expect(try !CloneFlags.createsProcess(CloneFlagsTests.pthreadFlags))
        #expect(try !CloneFlags.createsProcess(CloneFlags.vm))
    }

    @Test("a process sharing files, fs or handlers with its parent is ENOSYS; namespaces EPERM; SIGHAND without VM EINVAL")
    func refused() {
        #expect(throws: Errno.ENOSYS) { try CloneFlags.createsProcess(CloneFlags.files) }
        #expect(throws: Errno.ENOSYS) { try CloneFlags.createsProcess(CloneFlags.fs) }
        #expect(throws: Errno.EPERM) { try CloneFlags.createsProcess(0x2000_0000) }  // CLONE_NEWPID
        #expect(throws: Errno.EINVAL) { try CloneFlags.createsProcess(CloneFlags.sighand) }
    }
}

@Suite("Script interpreter lines")
struct ScriptInterpreterTests {
    private func parse(_ text: String) -> (String, String?)? {
        ScriptInterpreter.parse(Array(text.utf8)).map { (String(decoding: $0.interpreter, as: UTF8.self),
                                                         $0.argument.map { String(decoding: $0, as: UTF8.self) }) }
    }

    @Test("the interpreter alone, with blanks around it")
    func interpreterOnly() {
        #expect(parse("#!/bin/sh\necho") ?? ("", nil) == ("/bin/sh", nil))
        #expect(parse("#! \t/bin/sh \t\n") ?? ("", nil) == ("/bin/sh", nil))
    }

    @Test("everything after the first blank is one argument, trimmed")
    func oneArgument() {
        #expect(parse("#!/usr/bin/env  python3 -u  \n") ?? ("", nil) == ("/usr/bin/env", "python3 -u"))
        #expect(parse("#!./exec_target onearg") ?? ("", nil) == ("./exec_target", "onearg"))
    }

    @Test("no #!, or no interpreter: not a script")
    func notScripts() {
        #expect(parse("#!\n") == nil)
        #expect(parse("#!   \n/bin/sh") == nil)
        #expect(parse("\u{7f}ELF") == nil)
    }
}
