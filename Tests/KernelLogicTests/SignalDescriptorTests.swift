import Testing
@testable import KernelLogic

@Suite("signalfd records")
struct SignalDescriptorRecordTests {
    private let bit = SignalSelection.bit

    private func u32(_ record: [UInt8], _ offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(record[offset + $1]) << UInt32(8 * $1) }
    }

    private func u64(_ record: [UInt8], _ offset: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(record[offset + $1]) << UInt64(8 * $1) }
    }

    @Test("a read takes the reading thread's signals of the mask before the process's, lowest first")
    func dequeueOrder() {
        let mask = bit(10) | bit(12) | bit(17)
        // SIGUSR2 raised on the thread, SIGUSR1 killed to the process: the thread's first.
        let first = SignalSelection.waited(mask, threadPending: bit(12), sharedPending: bit(10))
        #expect(first?.signal == 12 && first?.onThread == true)
        let second = SignalSelection.waited(mask, threadPending: 0, sharedPending: bit(10))
        #expect(second?.signal == 10 && second?.onThread == false)
        // Outside the mask: not taken, whatever is pending.
        #expect(SignalSelection.waited(mask, threadPending: bit(14), sharedPending: bit(15)) == nil)
        #expect(SignalSelection.waited(mask, threadPending: 0, sharedPending: bit(17) | bit(10))?.signal == 10)
    }

    @Test("siginfo layouts by signal and code, as Linux's siginfo_layout")
    func layouts() {
        typealias Record = SignalDescriptorRecord
        #expect(Record.layout(signal: 10, code: 0) == .kill)        // kill: SI_USER
        #expect(Record.layout(signal: 14, code: 0x80) == .kill)     // SI_KERNEL
        #expect(Record.layout(signal: 10, code: -1) == .queued)     // sigqueue: SI_QUEUE
        #expect(Record.layout(signal: 10, code: -6) == .queued)     // tkill: SI_TKILL
        #expect(Record.layout(signal: 34, code: -2) == .timer)      // SI_TIMER
        #expect(Record.layout(signal: 29, code: -5) == .poll)       // SI_SIGIO
        #expect(Record.layout(signal: 17, code: 1) == .child)       // CLD_EXITED
        #expect(Record.layout(signal: 11, code: 2) == .fault)       // SEGV_ACCERR
        #expect(Record.layout(signal: 31, code: 1) == .system)      // SYS_SECCOMP
        #expect(Record.layout(signal: 10, code: 3) == .poll)        // a kernel code of no signal's own
        #expect(Record.layout(signal: 17, code: 7) == .kill)        // past NSIGCHLD and NSIGPOLL
    }

    @Test("the fields of a record sit where struct signalfd_siginfo has them")
    func recordLayout() {
        let sender = UInt64(4242) | UInt64(1000) << 32
        let queued = SignalDescriptorRecord.bytes(signal: 10, code: -1, words: (sender, 42))
        #expect(queued.count == 128)
        #expect(u32(queued, 0) == 10)                  // ssi_signo
        #expect(u32(queued, 4) == 0)                   // ssi_errno
        #expect(u32(queued, 8) == UInt32(bitPattern: -1))  // ssi_code
        #expect(u32(queued, 12) == 4242)               // ssi_pid
        #expect(u32(queued, 16) == 1000)               // ssi_uid
        #expect(u32(queued, 44) == 42)                 // ssi_int
        #expect(u64(queued, 48) == 42)                 // ssi_ptr

        let killed = SignalDescriptorRecord.bytes(signal: 12, code: 0, words: (sender, 99))
        #expect(u32(killed, 12) == 4242 && u32(killed, 16) == 1000)
        #expect(u32(killed, 44) == 0 && u64(killed, 48) == 0)  // no value for kill

        let child = SignalDescriptorRecord.bytes(signal: 17, code: 1, words: (sender, 7))
        #expect(u32(child, 12) == 4242 && u32(child, 40) == 7)  // ssi_pid, ssi_status
        #expect(u64(child, 56) == 0 && u64(child, 64) == 0)     // ssi_utime, ssi_stime

        let timer = SignalDescriptorRecord.bytes(signal: 34, code: -2, words: (UInt64(3) | UInt64(5) << 32, 77))
        #expect(u32(timer, 24) == 3 && u32(timer, 32) == 5)     // ssi_tid, ssi_overrun
        #expect(u32(timer, 44) == 77 && u64(timer, 48) == 77)   // ssi_int, ssi_ptr
        #expect(u32(timer, 12) == 0)                            // no pid for a timer

        let fault = SignalDescriptorRecord.bytes(signal: 11, code: 1, words: (0, 0), address: 0xdead_0000)
        #expect(u64(fault, 72) == 0xdead_0000)                  // ssi_addr
    }
}
