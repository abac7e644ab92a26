import UnikernelABI

/// The kernel's half of the I/O ring (`uk_ring`, unikernel_abi.h): a transfer on a regular
/// host file is posted in this vCPU's slot, where a host I/O thread picks it up while the
/// vCPU waits in the guest, so the call costs no VM exit. The host performs a slot exactly as
/// the matching hypercall; only the transport differs.
///
/// The doorbell (UK_HC_RING serve, one exit) is rung when the host's I/O thread is parked
/// (`server_awake` 0: the first request of a burst, which also wakes it), when a posted slot
/// stays unclaimed for `claimPatience` (the I/O thread is not running, e.g. on a busy host),
/// and when a claimed one is not done after `donePatience` (the host then waits for it on a
/// futex instead of this vCPU spinning). A slot left unclaimed means the host's I/O thread
/// gets no CPU in time (a busy host): the next `backOff` calls then take the hypercall
/// directly, so that a contended host costs no more than exits did. Callers settle
/// HostFileBuffer first, as `Hypercall.perform` does.
enum IORing {
    /// Calls that bypass the ring after a posted slot went unclaimed.
    static let backOff = 32
    /// How long a posted slot may wait for the I/O thread before the doorbell.
    static let claimPatience: UInt64 = 20_000
    /// How long the vCPU spins on a claimed slot before it waits in the host.
    static let donePatience: UInt64 = 2_000_000

    /// The ring's guest-physical page; 0 before the first use.
    private static var physical: UInt64 = 0
    /// The ring could not be set up: every call takes the hypercall.
    private static var unavailable = false
    /// Calls left to bypass the ring (see `backOff`).
    private static var bypassing = 0

    /// Performs `operation` through this vCPU's slot and returns its result (bytes or -errno),
    /// or nil when the ring cannot serve this vCPU (the caller then makes the hypercall).
    static func perform(_ operation: uk_ring_op, handle: Int32, cr3: UInt64 = 0, address: UInt64 = 0,
                        length: UInt64 = 0, offset: Int64 = -1) -> Int64? {
        if bypassing > 0 {
            bypassing -= 1
            return nil
        }
        let cpu = CPULocal.index
        guard cpu >= 0, cpu < Int(UK_RING_SLOTS), let ring = ring() else { return nil }
        let slot = ring + MemoryLayout<uk_ring>.offset(of: \uk_ring.slots)! + cpu * MemoryLayout<uk_ring_slot>.size
        // SAFETY: this vCPU's 64-byte slot of the ring page (direct map); only this vCPU posts
        // in it, and the host touches it only while it is POSTED or CLAIMED.
        let request = slot.assumingMemoryBound(to: uk_ring_slot.self)
        request.pointee.op = operation.rawValue
        request.pointee.handle = handle
        request.pointee.cr3 = cr3
        request.pointee.address = address
        request.pointee.len = length
        request.pointee.offset = offset
        request.pointee.result = -5  // EIO, unless the host answers
        let state = slot.assumingMemoryBound(to: UInt64.self)
        // xchg: the fields above are visible before the state, and the state before the load
        // of server_awake below (a full barrier, matching the host's before it parks).
        _ = uk_atomic_exchange(state, UK_RING_POSTED)
        if uk_volatile_load(ring) == 0 {
            ringDoorbell(cpu)
        } else {
            waitForHost(state, cpu: cpu)
        }
        let result = request.pointee.result
        request.pointee.state = UK_RING_FREE
        return result
    }

    /// Spins until the slot is done; rings the doorbell when the host is too slow.
    private static func waitForHost(_ state: UnsafeMutablePointer<UInt64>, cpu: Int) {
        let start = Clock.monotonicNanoseconds()
        var spins = 0
        while true {
            let now = uk_volatile_load(UnsafeMutableRawPointer(state))
            if now == UK_RING_DONE { return }
            spins += 1
            if spins & 63 == 0 {
                let waited = Clock.monotonicNanoseconds() &- start
                if now == UK_RING_POSTED && waited > claimPatience {
                    bypassing = backOff
                    ringDoorbell(cpu)
                    return
                }
                if waited > donePatience {
                    ringDoorbell(cpu)
                    return
                }
            }
            uk_pause()
        }
    }

    /// UK_HC_RING serve: the host performs the slot now (or waits for its I/O thread to).
    private static func ringDoorbell(_ cpu: Int) {
        _ = Hypercall.ring(UK_RING_CALL_SERVE, slot: UInt32(cpu))
    }

    /// The ring page (direct map), set up and registered at the first use; nil if that failed.
    private static func ring() -> UnsafeMutableRawPointer? {
        if physical != 0 { return DirectMap.pointer(physical) }
        guard !unavailable else { return nil }
        guard let frame = Frames.allocate() else {
            unavailable = true
            return nil
        }
        let page = DirectMap.pointer(frame)
        // SAFETY: a fresh frame of UK_PAGE_SIZE bytes; uk_ring fills exactly one page.
        page.initializeMemory(as: UInt8.self, repeating: 0, count: Int(UK_PAGE_SIZE))
        guard Hypercall.ring(UK_RING_CALL_REGISTER, ringPhysical: frame) == 0 else {
            Frames.release(frame)
            unavailable = true
            return nil
        }
        physical = frame
        return page
    }
}
