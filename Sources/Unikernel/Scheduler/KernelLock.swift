import UnikernelABI

/// The big kernel lock: one vCPU at a time runs kernel code (Linux 2.0's design, the first
/// step to finer locks). Taken on every entry from the application (syscall, fault, tick)
/// and held across task switches; released on the way back to the application and while
/// a vCPU idles in the host. The application itself runs on every vCPU in parallel.
enum KernelLock {
    private static var word: UnsafeMutablePointer<UInt64> {
        // SAFETY: uk_big_lock is a 64-byte-aligned .data word only uk_spin_lock_until and uk_spin_unlock touch.
        UnsafeMutablePointer<UInt64>(bitPattern: UInt(uk_big_lock_address()))!
    }

    /// How long a vCPU spins for the lock before it lets the host run something else: about
    /// one exit to the host on kvm-pvm (a holder's hypercall lasts that long), far more than a
    /// syscall's time in the kernel.
    static let spinBudget: UInt64 = 50_000

    /// Takes the lock. A vCPU that spun `spinBudget` in vain yields its host CPU (UK_HC_IDLE
    /// with no time: the host's sched_yield) and spins again: the holder may be a vCPU thread
    /// the host preempted, which spinning on would only keep from running (a busy host makes
    /// that common, and every vCPU entering the kernel would then wait for a host time slice).
    static func acquire() {
        // The common case, a free lock: one locked bit-test-and-set (a deadline already passed
        // tries once), without reading the clock for a spin deadline.
        if uk_spin_lock_until(word, 0) != 0 { return }
        while uk_spin_lock_until(word, CPU.timestamp() &+ Clock.ticks(nanoseconds: spinBudget)) == 0 {
            Hypercall.idle(nanoseconds: 0)
        }
    }

    static func release() { uk_spin_unlock(word) }

    /// Entry from the application on this vCPU.
    static func enterFromApplication() {
        // Before spinning: a shootdown must not wait for a vCPU that waits for its lock.
        CPULocal.inApplication = false
        acquire()
        TLB.catchUp()  // kernel memory (the heap) may have been remapped meanwhile too
    }

    /// The way back to the application: pending TLB work done, this vCPU's TLB current,
    /// then the lock released.
    static func leaveToApplication() {
        TLB.settle()
        TLB.catchUp()
        CPULocal.inApplication = true
        release()
    }
}

@_extern(c, "uk_spin_lock_until") func uk_spin_lock_until(_ word: UnsafeMutablePointer<UInt64>, _ deadline: UInt64) -> UInt64
@_extern(c, "uk_spin_unlock") func uk_spin_unlock(_ word: UnsafeMutablePointer<UInt64>)
@_extern(c, "uk_big_lock_address") func uk_big_lock_address() -> UInt64
