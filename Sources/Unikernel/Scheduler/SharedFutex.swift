import UnikernelABI

/// Futexes on words of shared regions (MAP_SHARED windows), which other processes, each in
/// its own VM, map too: their waits and wakes are the host's shared futex on the page
/// (UK_PROC_FUTEX), so a process-shared mutex or semaphore works across processes as on
/// Linux. Only shared (not FUTEX_PRIVATE) WAIT, WAIT_BITSET, WAKE and WAKE_BITSET come here.
///
/// A wait parks the vCPU in the host without the kernel lock, in slices, so that signals,
/// deadlines and the process's other runnable tasks are looked at between slices.
enum SharedFutex {
    /// The longest single wait in the host.
    static let slice: UInt64 = 20_000_000

    /// The guest-physical address of the futex word at `address`, when it lies in a shared region.
    static func word(at address: UInt64) -> UInt64? {
        guard address & 3 == 0, let index = currentProcess.addressSpace.regionIndex(containing: address),
              currentProcess.addressSpace.regions[index].kind == .shared,
              let frame = currentProcess.addressSpace.frame(for: address, write: false) else { return nil }
        return frame + (address & AddressSpace.pageMask)
    }

    /// Waits while the word holds `expected`: as Futex.wait (EAGAIN, ETIMEDOUT, EINTR, 0).
    static func wait(word: UInt64, expected: UInt32, bitset: UInt32, deadline: UInt64?) throws(Errno) {
        guard bitset != 0 else { throw .EINVAL }
        while true {
            if Signals.hasDeliverable(Scheduler.current) { throw .EINTR }
            let now = Clock.monotonicNanoseconds()
            if let deadline, now >= deadline { throw .ETIMEDOUT }
            let interval = min(slice, deadline.map { $0 - now } ?? slice)
            KernelLock.release()
            let result = Hypercall.process(UK_PROC_FUTEX, Int64(word), Int64(expected) | Int64(bitset) << 32, Int64(interval))
            KernelLock.acquire()
            TLB.catchUp()
            do throws(Errno) {
                _ = try Errno.check(result)
                return
            } catch {
                switch error {
                case .ETIMEDOUT: Scheduler.yield()  // a slice ended: let the process's other tasks run
                case .EINTR: HostSignals.take()
                default: throw error
                }
            }
        }
    }

    /// Wakes up to `count` waiters (in every process) whose bitset meets `bitset`.
    static func wake(word: UInt64, count: Int32, bitset: UInt32) throws(Errno) -> Int {
        guard bitset != 0 else { throw .EINVAL }
        guard count > 0 else { return 0 }
        return try Errno.check(Hypercall.process(UK_PROC_FUTEX, Int64(word), Int64(UInt32(bitPattern: count)) | Int64(bitset) << 32,
                                                 0, flags: 1))
    }
}
