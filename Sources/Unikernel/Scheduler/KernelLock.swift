import UnikernelABI

/// The big kernel lock: one vCPU at a time runs kernel code (Linux 2.0's design, the first
/// step to finer locks). Taken on every entry from the application (syscall, fault, tick)
/// and held across task switches; released on the way back to the application and while
/// a vCPU idles in the host. The application itself runs on every vCPU in parallel.
enum KernelLock {
    private static var word: UnsafeMutablePointer<UInt64> {
        // SAFETY: uk_big_lock is a 64-byte-aligned .data word only uk_spin_lock/unlock touch.
        UnsafeMutablePointer<UInt64>(bitPattern: UInt(uk_big_lock_address()))!
    }

    static func acquire() { uk_spin_lock(word) }
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

@_extern(c, "uk_spin_lock") func uk_spin_lock(_ word: UnsafeMutablePointer<UInt64>)
@_extern(c, "uk_spin_unlock") func uk_spin_unlock(_ word: UnsafeMutablePointer<UInt64>)
@_extern(c, "uk_big_lock_address") func uk_big_lock_address() -> UInt64
