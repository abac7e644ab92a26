import UnikernelABI

/// Readiness of descriptors, shared by poll, select and epoll: what each kind of open file
/// reports now (one function per kind, as Linux's f_op->poll), the host's answer for host
/// descriptors, the lists of epoll items a guest object wakes when it changes, and the one
/// place a readiness wait happens (`waitForReadiness`).
enum Readiness {
    // Linux's poll bits (EPOLLIN ... EPOLLRDHUP have the same values).
    static let pollIn: UInt32 = 0x1, pollPri: UInt32 = 0x2, pollOut: UInt32 = 0x4, pollErr: UInt32 = 0x8
    static let pollHup: UInt32 = 0x10, pollNval: UInt32 = 0x20, pollReadNormal: UInt32 = 0x40
    static let pollReadBand: UInt32 = 0x80, pollWriteNormal: UInt32 = 0x100, pollWriteBand: UInt32 = 0x200
    static let pollReadHangUp: UInt32 = 0x2000
    /// What a regular file or directory reports: always readable and writable (DEFAULT_POLLMASK).
    static let alwaysReady = pollIn | pollOut | pollReadNormal | pollWriteNormal

    // MARK: one function per kind

    /// The events ready on a guest object now, before any caller's filter.
    static func events(of object: GuestObject, host: HostAnswers) -> UInt32 {
        switch object {
        case let .pipeReader(pipe): return pipe.readEndEvents
        case let .pipeWriter(pipe): return pipe.writeEndEvents
        case let .eventCounter(counter): return counter.events
        case let .timer(timer): return timer.expirations > 0 ? pollIn : 0
        case let .signals(descriptor): return descriptor.events
        case let .epoll(instance): return instance.events(host: host)
        case .synthetic: return alwaysReady
        }
    }

    /// Whether `file` is a host file opened by path, taken to be a regular file or directory
    /// (always ready, never asked); the host's stdio handles are asked, and so is whatever was
    /// opened in /dev, where the host's devices are (terminals among them: /dev/tty, /dev/ptmx,
    /// /dev/pts/N), except the regular files of /dev/shm.
    static func isHostRegularFile(_ file: OpenFile) -> Bool {
        file.object == nil && file.hostHandle > 2 && file.path.first == PathResolver.slash
            && (!file.path.starts(with: devices) || file.path.starts(with: sharedMemory))
    }

    private static let devices: [UInt8] = Array("/dev/".utf8), sharedMemory: [UInt8] = Array("/dev/shm/".utf8)

    /// The events ready on `file` now, before any caller's filter: guest objects answer
    /// themselves, host files opened by path are always ready, other host descriptors
    /// (stdio: terminals, pipes) report what the host answered.
    static func events(of file: OpenFile, host: HostAnswers) -> UInt32 {
        if let object = file.object { return events(of: object, host: host) }
        if isHostRegularFile(file) { return alwaysReady }
        return host.events(of: file.hostHandle)
    }

    /// The bits worth asking the host about for a waiter of `events`: the whole input group
    /// when it wants any input event, the whole output group for any output event. A waiter
    /// that only reads is not woken by a socket that is (as nearly always) writable.
    static func hostInterest(for events: UInt32) -> UInt32 {
        let input = pollIn | pollPri | pollReadNormal | pollReadBand | pollReadHangUp
        let output = pollOut | pollWriteNormal | pollWriteBand
        return (events & input != 0 ? input : 0) | (events & output != 0 ? output : 0)
    }

    /// The host handles a wait asks about and, for each, the events it asks (`hostInterest`).
    struct HostQuery {
        var handles: [Int32] = []
        var interests: [UInt32] = []

        init() {}

        /// One handle asked for `events`.
        init(_ handle: Int32, events: UInt32) { add(handle, events: events) }

        /// Adds `handle` asked for `events` (merged with what it is asked already).
        mutating func add(_ handle: Int32, events: UInt32) {
            let interest = Readiness.hostInterest(for: events)
            for index in handles.indices where handles[index] == handle {
                interests[index] |= interest
                return
            }
            handles.append(handle)
            interests.append(interest)
        }
    }

    /// Adds the host handles whose answers `events(of: file)` needs for a waiter of `events`
    /// (an epoll instance: its items' own events).
    static func collectHostHandles(of file: OpenFile, events: UInt32, into query: inout HostQuery) {
        if let object = file.object {
            if case let .epoll(instance) = object { instance.collectHostHandles(into: &query) }
        } else if !isHostRegularFile(file) {
            query.add(file.hostHandle, events: events)
        }
    }

    // MARK: asking the host

    /// Asks the host about the query's handles (UK_FILE_POLL), each for its events, waiting up
    /// to `milliseconds` (-1: the host's longest wait) for one of them to become ready; no
    /// handles: no call.
    static func askHost(_ query: HostQuery, milliseconds: Int64) throws(Errno) -> HostAnswers {
        var answers = HostAnswers()
        let handles = query.handles
        guard !handles.isEmpty else { return answers }
        let data = BounceBuffer.data
        // SAFETY: at most FileTable.limit distinct handles of 8 bytes: far less than the data area.
        for (slot, handle) in handles.enumerated() {
            data.storeBytes(of: handle, toByteOffset: slot * 8, as: Int32.self)
            data.storeBytes(of: Int16(truncatingIfNeeded: query.interests[slot]), toByteOffset: slot * 8 + 4, as: Int16.self)
            data.storeBytes(of: Int16(0), toByteOffset: slot * 8 + 6, as: Int16.self)
        }
        do throws(Errno) {
            _ = try Hypercall.file(UK_FILE_POLL, handle: -1, dataLength: handles.count * 8, value: milliseconds)
        } catch {
            guard error == .EINTR else { throw error }
            // A signal reached the runner during the host's wait: nothing ready yet; the caller's
            // loop sees the signal if the application acts on it.
            HostSignals.take()
            return answers
        }
        for (slot, handle) in handles.enumerated() {
            answers.add(handle, events: data.load(fromByteOffset: slot * 8 + 6, as: UInt16.self))
        }
        return answers
    }

    // MARK: waiting

    /// The monotonic deadline `nanoseconds` from now; nil (no deadline) for nil or when it
    /// would pass the clock's range.
    static func deadline(after nanoseconds: UInt64?) -> UInt64? {
        guard let nanoseconds else { return nil }
        let (deadline, overflow) = Clock.monotonicNanoseconds().addingReportingOverflow(nanoseconds)
        return overflow ? nil : deadline
    }

    /// Woken by every change of a guest object that may make something ready (a pipe's or an
    /// eventfd's read, write or close, an epoll's ready list): the tasks waiting in
    /// `waitForReadiness` or blocked on a pipe or eventfd re-check.
    static let changes = WaitQueue()

    /// How long a wait that also watches host descriptors sleeps on guest changes before it asks
    /// the host again, when other tasks could run meanwhile (a task blocked in the host would
    /// hold the kernel lock).
    static let hostPollInterval: UInt64 = 5_000_000

    /// The one place a system call waits for readiness (poll, select, epoll_wait and their
    /// variants). `scan` looks at what the call watches, given the host's answers for
    /// `hostHandles`, and returns how many things are ready (reporting them as it does). The wait
    /// ends when a scan finds something, when `deadline` (monotonic nanoseconds; nil: none) has
    /// passed after a scan, or with EINTR when a signal can be delivered (epoll_pwait's temporary
    /// mask may unblock one). In between the task blocks on `changes` (other tasks run); when host
    /// descriptors are watched too it asks the host again every `hostPollInterval`, or, as the
    /// only task, waits in the host itself. A wait nothing can end blocks until the process is
    /// killed, as on Linux.
    static func waitForReadiness(deadline: UInt64?, host hostHandles: HostQuery,
                                 scan: (HostAnswers) throws(Errno) -> Int) throws(Errno) -> Int {
        var answers = try askHost(hostHandles, milliseconds: 0)
        while true {
            let ready = try scan(answers)
            if ready > 0 { return ready }
            let now = Clock.monotonicNanoseconds()
            if let deadline, now >= deadline { return 0 }
            if Signals.hasDeliverable(Scheduler.current) { throw .EINTR }
            if hostHandles.handles.isEmpty {
                if changes.wait(deadline: deadline) == .interrupted { throw .EINTR }
            } else if Scheduler.tasks.count == 1 {
                // The host waits no longer than the next interval timer, whose signal may end
                // this wait (an alarm during a blocking read of a socket or inotify instance).
                var until = deadline
                if let timer = TimerQueue.earliest, until.map({ timer < $0 }) ?? true { until = timer }
                let milliseconds = until.map { $0 > now ? Int64(($0 - now + 999_999) / 1_000_000) : 0 } ?? -1
                answers = try askHost(hostHandles, milliseconds: milliseconds)
                TimerQueue.expire(now: Clock.monotonicNanoseconds())
            } else {
                let slice = now &+ hostPollInterval
                if changes.wait(deadline: deadline.map { min($0, slice) } ?? slice) == .interrupted { throw .EINTR }
                answers = try askHost(hostHandles, milliseconds: 0)
            }
        }
    }

    /// Blocks a read or write of a guest object until `ready()` holds (its state changed):
    /// ERESTARTSYS when a signal can be delivered meanwhile, as Linux's pipe, eventfd and timerfd
    /// waits (the call restarts after an SA_RESTART handler, else it is EINTR).
    static func block(until ready: () -> Bool) throws(Errno) {
        while !ready() {
            if changes.wait() == .interrupted { throw .ERESTARTSYS }
        }
    }
}

/// The host's answers (poll revents) for the host descriptors a wait watches, by host handle.
struct HostAnswers {
    private var handles: [Int32] = []
    private var answers: [UInt16] = []

    mutating func add(_ handle: Int32, events: UInt16) {
        handles.append(handle)
        answers.append(events)
    }

    /// What the host answered for `handle`; 0 when it was not asked.
    func events(of handle: Int32) -> UInt32 { answer(for: handle) ?? 0 }

    /// What the host answered for `handle`; nil when it was not asked.
    func answer(for handle: Int32) -> UInt32? {
        for (index, existing) in handles.enumerated() where existing == handle { return UInt32(answers[index]) }
        return nil
    }
}

/// The epoll items watching one side of a guest object (Linux: the entries ep_ptable_queue_proc
/// puts on the object's wait queue, whose callback is ep_poll_callback). The object wakes them
/// whenever it may have become ready; `key` names the events the change concerns, 0 all of them
/// (a close). As on Linux, a new entry goes first and an EPOLLEXCLUSIVE one last.
final class ReadinessWatchers {
    private var items: [EpollItem] = []

    var isEmpty: Bool { items.isEmpty }

    func add(_ item: EpollItem, exclusive: Bool) {
        if exclusive { items.append(item) } else { items.insert(item, at: 0) }
    }

    func remove(_ item: EpollItem) {
        for index in items.indices where items[index] === item {
            items.remove(at: index)
            return
        }
    }

    /// Every item watching this side (the items of one epoll or of several).
    var all: [EpollItem] { items }

    func wake(_ key: UInt32) {
        Readiness.changes.wakeAll()
        if items.isEmpty { return }
        for item in items { item.wake(key) }
    }
}
