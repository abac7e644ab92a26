import CLinux
import Glibc
import UnikernelABI

/// Serves the guest's I/O ring (`uk_ring`, unikernel_abi.h): request slots in guest memory
/// that a host I/O thread polls, so that a file transfer needs no VM exit (one exit costs tens
/// of µs on kvm-pvm, as much as moving a MiB).
///
/// The kernel posts a request in its vCPU's slot; whoever claims it first (POSTED -> CLAIMED,
/// one compare-and-swap) performs it exactly as the matching hypercall would, through
/// `perform`, then publishes the result and DONE. Claimers: the I/O thread, which polls while
/// requests keep coming and parks after `idleSpin` without one (clearing `server_awake`), and
/// the vCPU's own thread when the kernel rings the doorbell (UK_HC_RING serve), which also
/// wakes the I/O thread for the requests that follow. Every slot is decoded like a hypercall
/// block, with the same checks: the guest can write the ring at any time.
///
/// The thread exists only between a doorbell and `quiesce()`: the machine quiesces it before
/// a host fork (the child starts without it), an exec, and the final flush of a stopped guest.
final class IORingServer: @unchecked Sendable {
    /// How long the I/O thread polls after its last request before it parks.
    static let idleSpin: UInt64 = 200_000
    /// The longest single park of the I/O thread (it looks at `stopping` after each).
    static let parkSlice: UInt64 = 100_000_000

    private let memory: GuestMemory
    /// Performs one decoded call (the machine takes its call lock around the handler).
    private let perform: (Hypercall) -> Int64
    /// How many slots can be posted (one per vCPU).
    private let slotCount: Int
    private let lock = HostMutex()
    /// The ring's host address once the guest registered it.
    private var ring: UnsafeMutableRawPointer?
    private var thread: pthread_t?
    /// Between `suspend()` and `resume()` no I/O thread starts (doorbells are served inline).
    private var suspended = false
    /// Host-only words: 1 asks the I/O thread to end; the futex word the thread parks on.
    private let control = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)

    init(memory: GuestMemory, slotCount: Int, perform: @escaping (Hypercall) -> Int64) {
        self.memory = memory
        self.slotCount = min(slotCount, Int(UK_RING_SLOTS))
        self.perform = perform
        // SAFETY: a fresh allocation of two words, freed in deinit.
        control.initialize(repeating: 0, count: 2)
    }

    deinit { control.deallocate() }

    private var stopping: UnsafeMutablePointer<UInt64> { control }
    private var wakeWord: UnsafeMutablePointer<UInt64> { control + 1 }

    // MARK: Hypercalls

    /// UK_RING_CALL_REGISTER: the ring lives at guest-physical `physical` (one page, page-aligned).
    /// 0, -EINVAL for a misplaced ring, -EFAULT outside RAM, -EBUSY once one is registered.
    func register(physical: UInt64) -> Int64 {
        guard physical % UK_PAGE_SIZE == 0 else { return -Int64(EINVAL) }
        guard let pointer = try? memory.ramPointer(physical, length: UInt64(MemoryLayout<uk_ring>.size)) else { return -Int64(EFAULT) }
        return lock.withLock {
            guard ring == nil else { return -Int64(EBUSY) }
            ring = pointer
            ckvm_atomic_store64(awakeWord(pointer), 0)
            return 0
        }
    }

    /// UK_RING_CALL_SERVE on the vCPU's thread: wakes the I/O thread (starting it if needed),
    /// then performs slot `slot` if it is still posted. True when the slot needs no more from
    /// this thread; false when the I/O thread holds it (wait with `awaitSlot`).
    func serve(slot: Int) -> Bool {
        guard let ring = lock.withLock({ ring }), slot >= 0, slot < slotCount else { return true }
        wakeThread()
        if claim(slot, in: ring) {
            complete(slot, in: ring)
            return true
        }
        return ckvm_atomic_load64(state(slot, in: ring)) != UK_RING_CLAIMED
    }

    /// Waits at most `nanoseconds` for the I/O thread to finish slot `slot`; true once it did.
    func awaitSlot(_ slot: Int, nanoseconds: UInt64) -> Bool {
        guard let ring = lock.withLock({ ring }), slot >= 0, slot < slotCount else { return true }
        let word = state(slot, in: ring)
        guard ckvm_atomic_load64(word) == UK_RING_CLAIMED else { return true }
        // SAFETY: the low half of the slot's 8-aligned state word (little-endian), in RAM.
        _ = clinux_futex_wait(UnsafeMutableRawPointer(word).assumingMemoryBound(to: UInt32.self),
                              UInt32(UK_RING_CLAIMED), nanoseconds, UInt32.max)
        return ckvm_atomic_load64(word) != UK_RING_CLAIMED
    }

    // MARK: The I/O thread

    /// Ends the I/O thread and waits for it (a request it claimed completes first); the guest
    /// then rings the doorbell for its next request. Safe to call when no thread runs.
    func quiesce() {
        let running: pthread_t? = lock.withLock {
            defer { thread = nil }
            return thread
        }
        guard let running else { return }
        ckvm_atomic_store64(stopping, 1)
        wake()
        pthread_join(running, nil)
        ckvm_atomic_store64(stopping, 0)
        if let ring = lock.withLock({ ring }) { ckvm_atomic_store64(awakeWord(ring), 0) }
    }

    /// Quiesces the I/O thread and keeps it from starting until `resume()` (around a host fork,
    /// even if another vCPU rings meanwhile).
    func suspend() {
        lock.withLock { suspended = true }
        quiesce()
    }

    func resume() {
        lock.withLock { suspended = false }
    }

    /// In a forked child: the parent's I/O thread does not exist here (the parent quiesced it
    /// before forking, so no slot is claimed by it).
    func forgetThreadAfterFork() {
        lock.withLock {
            thread = nil
            suspended = false
        }
        ckvm_atomic_store64(stopping, 0)
        if let ring = lock.withLock({ ring }) { ckvm_atomic_store64(awakeWord(ring), 0) }
    }

    /// Starts the I/O thread if the ring is registered and none runs, or wakes the parked one.
    private func wakeThread() {
        let start = lock.withLock { () -> Bool in
            guard ring != nil, thread == nil, !suspended else { return false }
            guard let started = HostThread.start({ [self] in pollLoop() }) else { return false }
            thread = started
            return true
        }
        if !start { wake() }
    }

    private func wake() {
        ckvm_atomic_store64(wakeWord, 1)
        // SAFETY: the low half of a host-only 8-aligned word.
        _ = clinux_futex_wake(UnsafeMutableRawPointer(wakeWord).assumingMemoryBound(to: UInt32.self), 1, UInt32.max)
    }

    /// The I/O thread: serves posted slots; after `idleSpin` without one it clears
    /// `server_awake`, looks once more (a request posted meanwhile saw the flag still set and
    /// will not ring), and parks until a doorbell or `quiesce`.
    private func pollLoop() {
        HostThreadSignals.blockAll()
        guard let ring = lock.withLock({ ring }) else { return }
        let awake = awakeWord(ring)
        ckvm_atomic_store64(awake, 1)
        var lastWork = PhaseTimer.now()
        while ckvm_atomic_load64(stopping) == 0 {
            if serveAnyPosted(in: ring) {
                lastWork = PhaseTimer.now()
                continue
            }
            if PhaseTimer.now() &- lastWork < IORingServer.idleSpin {
                ckvm_pause()
                continue
            }
            ckvm_atomic_store64(awake, 0)
            if serveAnyPosted(in: ring) {
                ckvm_atomic_store64(awake, 1)
                lastWork = PhaseTimer.now()
                continue
            }
            // SAFETY: the low half of a host-only 8-aligned word.
            _ = clinux_futex_wait(UnsafeMutableRawPointer(wakeWord).assumingMemoryBound(to: UInt32.self), 0,
                                  IORingServer.parkSlice, UInt32.max)
            ckvm_atomic_store64(wakeWord, 0)
            ckvm_atomic_store64(awake, 1)
            lastWork = PhaseTimer.now()
        }
        ckvm_atomic_store64(awake, 0)
    }

    /// Claims and performs every posted slot; true when there was one.
    private func serveAnyPosted(in ring: UnsafeMutableRawPointer) -> Bool {
        var served = false
        for slot in 0..<slotCount where ckvm_atomic_load64(state(slot, in: ring)) == UK_RING_POSTED {
            if claim(slot, in: ring) {
                complete(slot, in: ring)
                served = true
            }
        }
        return served
    }

    // MARK: Slots

    private func claim(_ slot: Int, in ring: UnsafeMutableRawPointer) -> Bool {
        ckvm_atomic_cas64(state(slot, in: ring), UK_RING_POSTED, UK_RING_CLAIMED) != 0
    }

    /// Performs a claimed slot and publishes its result, then DONE (waking a waiting vCPU thread).
    private func complete(_ slot: Int, in ring: UnsafeMutableRawPointer) {
        let base = slotAddress(slot, in: ring)
        // SAFETY: a 64-byte slot inside the registered page; loadUnaligned reads a snapshot the
        // guest may change meanwhile (decoding checks every field of the copy, not the slot).
        let request = base.loadUnaligned(as: uk_ring_slot.self)
        let result: Int64
        switch IORingServer.decode(request, memory: memory) {
        case let .success(call): result = perform(call)
        case let .failure(errno): result = -errno.rawValue
        }
        // SAFETY: the slot's 8-aligned result word inside the registered page.
        (base + MemoryLayout<uk_ring_slot>.offset(of: \uk_ring_slot.result)!).storeBytes(of: result, as: Int64.self)
        let word = state(slot, in: ring)
        ckvm_atomic_store64(word, UK_RING_DONE)
        // SAFETY: the low half of the slot's state word.
        _ = clinux_futex_wake(UnsafeMutableRawPointer(word).assumingMemoryBound(to: UInt32.self), Int32.max, UInt32.max)
    }

    /// Why a slot cannot be performed (answered in its `result`).
    struct SlotError: Error, Equatable {
        var rawValue: Int64
        static let invalid = SlotError(rawValue: Int64(EINVAL))
        static let fault = SlotError(rawValue: Int64(EFAULT))
    }

    /// The hypercall a slot asks for, its guest-physical buffer checked as `Hypercall.decode`
    /// checks one (application buffers are checked page by page when performed).
    static func decode(_ request: uk_ring_slot, memory: GuestMemory) -> Result<Hypercall, SlotError> {
        switch request.op {
        case UK_RING_READ_USER.rawValue, UK_RING_WRITE_USER.rawValue:
            let span = UserSpan(root: request.cr3, address: request.address, length: request.len)
            return .success(request.op == UK_RING_READ_USER.rawValue
                ? .readUser(handle: request.handle, span: span, offset: request.offset)
                : .writeUser(handle: request.handle, span: span, offset: request.offset))
        case UK_RING_READ.rawValue:
            guard (try? memory.check(request.address, length: request.len)) != nil else { return .failure(.fault) }
            return .success(.read(handle: request.handle, buffer: GuestRange(address: request.address, length: request.len),
                                  offset: request.offset))
        case UK_RING_FLUSH.rawValue:
            return .success(.flushPendingWrite)
        default:
            return .failure(.invalid)
        }
    }

    private func slotAddress(_ slot: Int, in ring: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        ring + MemoryLayout<uk_ring>.offset(of: \uk_ring.slots)! + slot * MemoryLayout<uk_ring_slot>.size
    }

    private func state(_ slot: Int, in ring: UnsafeMutableRawPointer) -> UnsafeMutablePointer<UInt64> {
        // SAFETY: the slot's first word: 8-aligned (the page is page-aligned, slots 64 bytes).
        slotAddress(slot, in: ring).assumingMemoryBound(to: UInt64.self)
    }

    private func awakeWord(_ ring: UnsafeMutableRawPointer) -> UnsafeMutablePointer<UInt64> {
        // SAFETY: the ring's first word (server_awake), 8-aligned.
        ring.assumingMemoryBound(to: UInt64.self)
    }
}

/// Signal masks of the host's helper threads.
enum HostThreadSignals {
    /// Blocks every signal on the calling thread: the runner's signals (timeout, SIGINT,
    /// forwarded ones, vCPU kicks) are for the vCPU threads.
    static func blockAll() {
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, nil)
    }
}
