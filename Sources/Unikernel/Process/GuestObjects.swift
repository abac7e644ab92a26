/// A pipe's buffer, shared by its read and write ends, served entirely in the
/// guest. Reads of an empty pipe with writers and writes to a full one block
/// (Readiness.block) unless the descriptor is non-blocking.
final class PipeBuffer {
    static let capacity = 65536
    /// PIPE_BUF: writes up to this size are never interleaved with others.
    static let atomicSize = 4096
    var bytes: [UInt8] = []
    var readers = 1
    var writers = 1
    /// The epoll items watching the read end and the write end (Linux's rd_wait and wr_wait).
    let readWatchers = ReadinessWatchers()
    let writeWatchers = ReadinessWatchers()

    var isFull: Bool { bytes.count >= PipeBuffer.capacity }

    /// Linux's pipe_poll for the read end: readable with bytes, EPOLLHUP without writers.
    var readEndEvents: UInt32 {
        (bytes.isEmpty ? 0 : Readiness.pollIn | Readiness.pollReadNormal) | (writers == 0 ? Readiness.pollHup : 0)
    }

    /// Linux's pipe_poll for the write end: writable unless full, EPOLLERR without readers.
    var writeEndEvents: UInt32 {
        (isFull ? 0 : Readiness.pollOut | Readiness.pollWriteNormal) | (readers == 0 ? Readiness.pollErr : 0)
    }
}

/// An eventfd counter (eventfd, eventfd2), served in the guest.
final class EventCounter {
    var value: UInt64
    let semaphore: Bool
    /// The epoll items watching the counter (Linux's ctx->wqh).
    let watchers = ReadinessWatchers()

    init(value: UInt64, semaphore: Bool) {
        self.value = value
        self.semaphore = semaphore
    }

    /// Linux's eventfd_poll: readable above zero, writable below the largest value, EPOLLERR at
    /// UINT64_MAX (which no write reaches). No EPOLLRDNORM or EPOLLWRNORM, as on Linux.
    var events: UInt32 {
        (value > 0 ? Readiness.pollIn : 0) | (value == UInt64.max ? Readiness.pollErr : 0)
            | (value < UInt64.max - 1 ? Readiness.pollOut : 0)
    }
}

/// A signalfd (signalfd, signalfd4), served in the guest: reads take the pending signals of its
/// mask, the reading thread's first, then the process's. It holds no signals itself: what it
/// reports depends on the thread that reads or polls it, as on Linux.
final class SignalDescriptor {
    /// The signals it takes (sigset_t bits; never SIGKILL or SIGSTOP).
    var mask: UInt64

    /// The epoll items watching any signalfd of the process (Linux's sighand->signalfd_wqh):
    /// every signal that becomes pending wakes them, and each item's poll asks its own mask.
    static let watchers = ReadinessWatchers()
    /// How many signalfds the process has open: while there are none, sending a signal wakes nothing.
    static var live = 0

    init(mask: UInt64) {
        self.mask = mask
        SignalDescriptor.live += 1
    }

    /// Linux's signalfd_poll: readable while a signal of the mask is pending on the polling
    /// thread or on the process (EPOLLIN only).
    var events: UInt32 { Signals.hasPending(in: mask, for: Scheduler.current) ? Readiness.pollIn : 0 }

    /// A signal became pending (Linux's signalfd_notify), or a mask changed: readers and
    /// pollers of every signalfd check again.
    static func signalPending() {
        guard live > 0 else { return }
        watchers.wake(Readiness.pollIn)
    }
}

/// What a descriptor refers to when it is not a host file.
enum GuestObject {
    case pipeReader(PipeBuffer)
    case pipeWriter(PipeBuffer)
    case eventCounter(EventCounter)
    /// A timerfd: its timer counts expirations for reads.
    case timer(IntervalTimer)
    /// A signalfd: its mask of signals to read.
    case signals(SignalDescriptor)
    case epoll(EpollInstance)
    /// A file or directory the kernel serves itself (/proc).
    case synthetic(SyntheticFile)

    /// Whether both are the same open file description (a pipe's two ends are two).
    func isSame(as other: GuestObject) -> Bool {
        switch (self, other) {
        case let (.pipeReader(a), .pipeReader(b)): return a === b
        case let (.pipeWriter(a), .pipeWriter(b)): return a === b
        case let (.eventCounter(a), .eventCounter(b)): return a === b
        case let (.timer(a), .timer(b)): return a === b
        case let (.signals(a), .signals(b)): return a === b
        case let (.epoll(a), .epoll(b)): return a === b
        case let (.synthetic(a), .synthetic(b)): return a === b
        default: return false
        }
    }

    /// The epoll items watching this object (Linux: the wait queue its poll hooks them on).
    var watchers: ReadinessWatchers {
        switch self {
        case let .pipeReader(pipe): return pipe.readWatchers
        case let .pipeWriter(pipe): return pipe.writeWatchers
        case let .eventCounter(counter): return counter.watchers
        case let .timer(timer): return timer.watchers
        case .signals: return SignalDescriptor.watchers
        case let .epoll(instance): return instance.watchers
        case let .synthetic(file): return file.watchers
        }
    }
}
