/// epoll instances, their interest lists and ready lists, with Linux's semantics
/// (fs/eventpoll.c): an item is put on its instance's ready list when the object it watches
/// wakes it (a write to a pipe, a close of the other end, a new ready item of a nested
/// instance), when it is added or modified while ready, and, for level-triggered items, again
/// after each report. epoll_wait re-checks every item it takes from the list and reports only
/// what is ready now; edge-triggered items then wait for the next wake-up, one-shot items are
/// disarmed until EPOLL_CTL_MOD. The system calls are in EpollSyscalls.

/// What an item watches: an open file description (Linux's struct file), a guest object or a
/// host handle. Descriptors made by dup share it.
enum EpollTarget {
    case object(GuestObject)
    case host(Int32)

    init(_ file: OpenFile) {
        if let object = file.object { self = .object(object) } else { self = .host(file.hostHandle) }
    }

    func isSame(as other: EpollTarget) -> Bool {
        switch (self, other) {
        case let (.object(a), .object(b)): return a.isSame(as: b)
        case let (.host(a), .host(b)): return a == b
        default: return false
        }
    }
}

/// One entry of an interest list (Linux's struct epitem), keyed like Linux's by the
/// descriptor number it was added with and the open file description behind it.
final class EpollItem {
    let owner: EpollInstance
    let fd: Int
    let target: EpollTarget
    /// The events asked for (EPOLLERR and EPOLLHUP always among them) and the flags
    /// (EPOLLET, EPOLLONESHOT, ...); a disarmed one-shot item keeps only the flags.
    var events: UInt32
    var data: UInt64
    /// Whether the item is on its instance's ready list.
    var queued = false
    /// For a host target: what the host last reported (host files cannot wake their items, so
    /// a newly reported event counts as the wake-up).
    var hostSeen: UInt32 = 0

    init(owner: EpollInstance, fd: Int, target: EpollTarget, events: UInt32, data: UInt64) {
        self.owner = owner
        self.fd = fd
        self.target = target
        self.events = events
        self.data = data
    }

    var isArmed: Bool { events & ~Epoll.privateBits != 0 }

    /// The asked-for events ready now (Linux's ep_item_poll).
    func poll(_ host: HostAnswers) -> UInt32 {
        switch target {
        case let .object(object): return Readiness.events(of: object, host: host) & events
        case let .host(handle): return host.events(of: handle) & events
        }
    }

    /// The watched object may have become ready (Linux's ep_poll_callback): an armed item whose
    /// events meet `key` (0: any) joins the ready list, and whatever watches the instance is woken.
    func wake(_ key: UInt32) {
        guard isArmed, key == 0 || key & events != 0 else { return }
        owner.enqueue(self)
        owner.watchers.wake(Readiness.pollIn)
    }
}

/// One epoll instance: its interest list, its ready list (in the order items became ready) and
/// the items of other instances that watch it (nested epoll).
final class EpollInstance {
    private(set) var items: [EpollItem] = []
    private var ready: [EpollItem] = []
    let watchers = ReadinessWatchers()
    /// Memo of the nesting check (Linux's gen and loop_check_depth).
    var checkGeneration = 0
    var checkDepth = 0

    func item(fd: Int, target: EpollTarget) -> EpollItem? {
        for item in items where item.fd == fd && item.target.isSame(as: target) { return item }
        return nil
    }

    func enqueue(_ item: EpollItem) {
        guard !item.queued else { return }
        item.queued = true
        ready.append(item)
    }

    /// Puts `item` on the ready list if it is ready now; whatever watches the instance is woken
    /// when it joins (Linux: ep_insert and ep_modify).
    private func enqueueIfReady(_ item: EpollItem, host: HostAnswers) {
        guard !item.queued, item.poll(host) != 0 else { return }
        enqueue(item)
        watchers.wake(Readiness.pollIn)
    }

    /// EPOLL_CTL_ADD; `events` already holds EPOLLERR and EPOLLHUP. With `pathChecks` (Linux's
    /// full check), the new item must not give any of those descriptions more wake-up paths
    /// than Linux allows (EINVAL, and nothing changes).
    func insert(fd: Int, target: EpollTarget, events: UInt32, data: UInt64, host: HostAnswers,
                pathChecks: [EpollTarget]?) throws(Errno) {
        let item = EpollItem(owner: self, fd: fd, target: target, events: events, data: data)
        items.append(item)
        Epoll.itemCount += 1
        if case let .object(object) = target { object.watchers.add(item, exclusive: events & Epoll.exclusive != 0) }
        if let pathChecks, !Epoll.wakeUpPathsAllowed(from: pathChecks) {
            remove(item)
            throw .EINVAL
        }
        if case let .host(handle) = target { item.hostSeen = host.events(of: handle) }
        enqueueIfReady(item, host: host)
    }

    /// EPOLL_CTL_MOD: new events and data; a disarmed one-shot item is armed again.
    func modify(_ item: EpollItem, events: UInt32, data: UInt64, host: HostAnswers) {
        item.events = events
        item.data = data
        enqueueIfReady(item, host: host)
    }

    /// EPOLL_CTL_DEL, or the watched description is gone.
    func remove(_ item: EpollItem) {
        if case let .object(object) = item.target { object.watchers.remove(item) }
        for index in items.indices where items[index] === item {
            items.remove(at: index)
            Epoll.itemCount -= 1
            break
        }
        if item.queued {
            for index in ready.indices where ready[index] === item {
                ready.remove(at: index)
                break
            }
            item.queued = false
        }
    }

    /// Removes every item watching `target` (any descriptor number).
    func removeItems(watching target: EpollTarget) {
        for item in items where item.target.isSame(as: target) { remove(item) }
    }

    /// Empties the interest list (the instance's last descriptor closed).
    func removeAll() {
        for item in items { remove(item) }
    }

    /// Adds the host handles of this instance's items, and of nested instances', to `handles`.
    func collectHostHandles(into query: inout Readiness.HostQuery) {
        for item in items {
            switch item.target {
            case let .host(handle): query.add(handle, events: item.events)
            case let .object(.epoll(nested)): nested.collectHostHandles(into: &query)
            default: break
            }
        }
    }

    /// Host items: events the host reports now that it did not report before wake the item.
    private func noticeHostChanges(_ host: HostAnswers) {
        for item in items {
            guard case let .host(handle) = item.target, let now = host.answer(for: handle) else { continue }
            let new = now & ~item.hostSeen
            item.hostSeen = now
            if new != 0 { item.wake(new) }
        }
    }

    /// The instance's own readiness (poll, select, a nested instance): EPOLLIN when an item on
    /// its ready list is ready; items found not ready on the way leave the list (Linux's
    /// __ep_eventpoll_poll).
    func events(host: HostAnswers) -> UInt32 {
        noticeHostChanges(host)
        while let first = ready.first {
            if first.poll(host) != 0 { return Readiness.pollIn | Readiness.pollReadNormal }
            first.queued = false
            ready.removeFirst()
        }
        return 0
    }

    /// epoll_wait's harvest (Linux's ep_send_events): takes the ready list in order and writes
    /// up to `maximum` packed epoll_events (u32 events, u64 data) at `address`. An item not ready
    /// leaves the list; a reported one stays (level-triggered, at the end), leaves (EPOLLET), or
    /// is disarmed (EPOLLONESHOT). Items not reached stay first. EFAULT only when nothing was written.
    func sendEvents(to address: UInt64, maximum: Int, host: HostAnswers) throws(Errno) -> Int {
        noticeHostChanges(host)
        let taken = ready
        ready = []
        var requeued: [EpollItem] = []
        var index = 0
        var sent = 0
        var failure: Errno? = nil
        while index < taken.count, sent < maximum {
            let item = taken[index]
            let revents = item.poll(host)
            if revents == 0 {
                item.queued = false
                index += 1
                continue
            }
            let slot = address + UInt64(sent * EpollInstance.eventSize)  // inside the range validated by the caller
            do throws(Errno) {
                try UserMemory.store(revents, to: slot)
                try UserMemory.store(item.data, to: slot + 4)
            } catch {
                if sent == 0 { failure = error }
                break
            }
            index += 1
            sent += 1
            if item.events & Epoll.oneShot != 0 {
                item.events &= Epoll.privateBits
                item.queued = false
            } else if item.events & Epoll.edgeTriggered != 0 {
                item.queued = false
            } else {
                requeued.append(item)
            }
        }
        // Items woken during the harvest (nested instances) went to `ready`.
        ready = Array(taken[index...]) + ready + requeued
        if let failure { throw failure }
        return sent
    }

    /// sizeof(struct epoll_event) on x86-64: packed.
    static let eventSize = 12
}

/// The process's epoll instances and the rules that span them.
enum Epoll {
    static let exclusive: UInt32 = 1 << 28, wakeUp: UInt32 = 1 << 29
    static let oneShot: UInt32 = 1 << 30, edgeTriggered: UInt32 = 1 << 31
    /// Flags that are not events (Linux's EP_PRIVATE_BITS).
    static let privateBits = exclusive | wakeUp | oneShot | edgeTriggered
    /// What an EPOLLEXCLUSIVE item may ask for (Linux's EPOLLEXCLUSIVE_OK_BITS).
    static let exclusiveAllowed = Readiness.pollIn | Readiness.pollOut | Readiness.pollErr | Readiness.pollHup
        | wakeUp | edgeTriggered | exclusive
    /// Linux's EP_MAX_NESTS: at most this many instances below one (five levels in all).
    static let maximumNesting = 4
    /// Items in all instances at most (Linux's max_user_watches; ENOSPC beyond).
    static let itemLimit = 8192

    /// Every open instance (host targets have no object to find their items through).
    private(set) static var instances: [EpollInstance] = []
    static var itemCount = 0
    private static var checkGeneration = 0

    static func create() -> EpollInstance {
        let instance = EpollInstance()
        instances.append(instance)
        return instance
    }

    /// The instance's last descriptor closed: its items go and it is forgotten.
    static func destroy(_ instance: EpollInstance) {
        instance.removeAll()
        for index in instances.indices where instances[index] === instance {
            instances.remove(at: index)
            break
        }
    }

    /// The last descriptor of an open file description closed: every item watching it goes,
    /// in every instance (Linux's eventpoll_release).
    static func forget(_ target: EpollTarget) {
        switch target {
        case let .object(object):
            for item in object.watchers.all { item.owner.remove(item) }
        case .host:
            for instance in instances { instance.removeItems(watching: target) }
        }
    }

    /// Adding instance `inner` to `outer` must close no cycle and make no chain of nested
    /// instances deeper than Linux allows: ELOOP otherwise (Linux's ep_loop_check). The other
    /// descriptions below `inner` are added to `files`, for the path check.
    static func checkNesting(adding inner: EpollInstance, to outer: EpollInstance, files: inout [EpollTarget]) throws(Errno) {
        checkGeneration += 1
        let below = depth(below: inner, inserting: outer, level: 0, files: &files)
        guard below <= maximumNesting else { throw .ELOOP }
        checkGeneration += 1
        guard below + 1 + depth(above: outer) <= maximumNesting else { throw .ELOOP }
    }

    /// How many levels of instances lie below `instance`; more than the limit when `outer` is among them.
    private static func depth(below instance: EpollInstance, inserting outer: EpollInstance, level: Int,
                              files: inout [EpollTarget]) -> Int {
        if instance.checkGeneration == checkGeneration { return instance.checkDepth }
        instance.checkGeneration = checkGeneration
        var result = 0
        for item in instance.items {
            guard case let .object(.epoll(nested)) = item.target else {
                if !files.contains(where: { $0.isSame(as: item.target) }) { files.append(item.target) }
                continue
            }
            if nested === outer || level > maximumNesting {
                result = maximumNesting + 1
            } else {
                result = max(result, depth(below: nested, inserting: outer, level: level + 1, files: &files) + 1)
            }
            if result > maximumNesting { break }
        }
        instance.checkDepth = result
        return result
    }

    /// Linux's path_limits: how many wake-up paths of each length one description may have to
    /// instances that nothing watches (one to five levels; direct ones are not limited).
    private static let pathLimits = [Int.max, 500, 100, 50, 10]

    /// Linux's reverse_path_check: from each of `files`, the paths up through nested instances
    /// to unwatched ones stay within `pathLimits` and EP_MAX_NESTS. This bounds the work of a wake-up.
    static func wakeUpPathsAllowed(from files: [EpollTarget]) -> Bool {
        for file in files {
            var counts = [Int](repeating: 0, count: pathLimits.count)
            if !pathsAllowed(items(watching: file), depth: 0, counts: &counts) { return false }
        }
        return true
    }

    private static func pathsAllowed(_ watching: [EpollItem], depth: Int, counts: inout [Int]) -> Bool {
        guard depth <= maximumNesting else { return false }
        for item in watching {
            let above = item.owner.watchers.all
            if above.isEmpty {
                counts[depth] += 1
                if counts[depth] > pathLimits[depth] { return false }
            } else if !pathsAllowed(above, depth: depth + 1, counts: &counts) {
                return false
            }
        }
        return true
    }

    /// The items, in every instance, that watch `target`.
    private static func items(watching target: EpollTarget) -> [EpollItem] {
        if case let .object(object) = target { return object.watchers.all }
        var found: [EpollItem] = []
        for instance in instances {
            for item in instance.items where item.target.isSame(as: target) { found.append(item) }
        }
        return found
    }

    /// How many levels of instances watch `instance` from above.
    private static func depth(above instance: EpollInstance) -> Int {
        if instance.checkGeneration == checkGeneration { return instance.checkDepth }
        var result = 0
        for item in instance.watchers.all { result = max(result, depth(above: item.owner) + 1) }
        instance.checkGeneration = checkGeneration
        instance.checkDepth = result
        return result
    }
}
