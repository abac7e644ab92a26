import CLinux
import Glibc
import UnikernelABI

/// One vCPU's run-loop state, touched only by the thread that runs it.
final class VCPUContext {
    let index: Int
    let vcpu: VirtualCPU
    /// UK_TIMER_VECTOR waits to be injected (as soon as the guest can take it).
    var interruptPending = false

    init(index: Int, vcpu: VirtualCPU) {
        self.index = index
        self.vcpu = vcpu
    }
}

/// What the vCPU threads of one run share: which vCPUs run (their threads, and the kernel
/// thread ids kicks are sent to), and the run's outcome, set once by the first vCPU that ends
/// the run; setting it stops the others.
final class RunState: @unchecked Sendable {
    private let lock = HostMutex()
    /// The threads vCPUs 1... run on, for joining them (vCPU 0 runs on the runner's thread).
    private var threads: [Int: pthread_t] = [:]
    /// Each running vCPU's kernel thread id, recorded by that thread itself before it enters
    /// the guest (the kernel kicks only vCPUs that ran, and a stop is looked for after this).
    private var threadIDs: [Int: pid_t] = [:]
    private var reserved: Set<Int> = []
    private var stoppedWith: RunOutcome?

    /// The outcome, once a vCPU ended the run.
    var outcome: RunOutcome? { lock.withLock { stoppedWith } }

    /// Claims vCPU `cpu` for starting; false when it runs already or the run is ending.
    func reserve(cpu: Int) -> Bool {
        lock.withLock {
            guard stoppedWith == nil, !reserved.contains(cpu) else { return false }
            reserved.insert(cpu)
            return true
        }
    }

    func release(cpu: Int) { lock.withLock { _ = reserved.remove(cpu) } }

    /// vCPU `cpu` (> 0) runs on `thread`, which its starter will join.
    func started(cpu: Int, thread: pthread_t) {
        lock.withLock {
            reserved.insert(cpu)
            threads[cpu] = thread
        }
    }

    /// Called on vCPU `cpu`'s own thread before it first enters the guest: kicks may reach it
    /// now. Returns the outcome if the run already ended (a stop before this kicked nobody).
    func entering(cpu: Int) -> RunOutcome? {
        lock.withLock {
            reserved.insert(cpu)
            threadIDs[cpu] = ckvm_current_thread_id()
            return stoppedWith
        }
    }

    /// Records `outcome` if no vCPU ended the run yet, kicks every other vCPU thread out of
    /// the guest (they see the outcome and stop), and returns the run's outcome.
    @discardableResult
    func stop(with outcome: RunOutcome) -> RunOutcome {
        let (final, others) = lock.withLock { () -> (RunOutcome, [pid_t]) in
            if stoppedWith == nil { stoppedWith = outcome }
            let me = ckvm_current_thread_id()
            return (stoppedWith!, threadIDs.values.filter { $0 != me })
        }
        for thread in others { _ = ckvm_kick_thread(thread) }
        return final
    }

    /// Interrupts the running vCPUs in `mask` (a kick: UK_TIMER_VECTOR is injected).
    func kick(_ mask: UInt64) {
        let targets = lock.withLock { threadIDs.filter { $0.key < 64 && mask & (1 << UInt64($0.key)) != 0 }.map(\.value) }
        for thread in targets { _ = ckvm_kick_thread(thread) }
    }

    /// Waits for every vCPU thread but the caller's (vCPU 0's) to end.
    func joinOthers() {
        let others = lock.withLock { Array(threads.values) }
        for thread in others { pthread_join(thread, nil) }
    }
}

/// A pthread mutex (the host side's threads are vCPU threads, not Swift tasks).
/// A machine's vCPUs by index: vCPU 0 made with the machine, each other one made the first
/// time the kernel starts it (most programs never start a second vCPU, and making one costs a
/// KVM_CREATE_VCPU, its set-up and its destruction at exit). The kernel may start vCPUs from
/// any vCPU's thread, so the slots are guarded by a lock of their own.
final class VirtualCPUSet: @unchecked Sendable {
    /// How many vCPUs the guest may use (`--cpus`): made or not.
    let count: Int
    /// vCPU 0, which runs the kernel's start-up on the runner's thread.
    let first: VirtualCPU
    private var others: [VirtualCPU?]
    private let lock = HostMutex()

    init(first: VirtualCPU, count: Int) {
        self.first = first
        self.count = max(count, 1)
        others = Array(repeating: nil, count: max(count, 1) - 1)
    }

    /// vCPU `index` (0 < `index` < `count`), made by `make` the first time it is asked for.
    func vcpu(at index: Int, orMake make: () throws -> VirtualCPU) rethrows -> VirtualCPU {
        precondition(index > 0 && index < count, "VirtualCPUSet: no vCPU \(index)")
        return try lock.withLock {
            if let made = others[index - 1] { return made }
            let made = try make()
            others[index - 1] = made
            return made
        }
    }
}

final class HostMutex: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() {
        // SAFETY: a fresh allocation, initialised once and destroyed in deinit.
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Makes the mutex unlocked again, in a forked child only: a fork copies the mutex as it
    /// was, and a thread of the parent that held it (to read what it guards) does not exist in
    /// the child, so nothing would ever release it there. The caller knows that no holder was
    /// changing the guarded state at the fork (its writers run under the fork's own lock).
    func reinitializeInForkedChild() {
        // SAFETY: the allocation made in init, live until deinit; no thread of this process holds it.
        pthread_mutex_init(mutex, nil)
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// Starts a pthread running a closure (vCPU threads).
enum HostThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// The new thread, or nil when it could not be created.
    static func start(_ run: @escaping () -> Void) -> pthread_t? {
        let body = Unmanaged.passRetained(Body(run)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            // SAFETY: the argument is the retained Body passed below, released here once.
            let body = Unmanaged<AnyObject>.fromOpaque(argument!).takeRetainedValue() as! Body
            body.run()
            return nil
        }, body)
        guard result == 0 else {
            Unmanaged<AnyObject>.fromOpaque(body).release()
            return nil
        }
        return thread
    }
}
