import UnikernelABI

/// Sockets: each guest socket is a host socket the host made for it (UK_FILE_SOCKET,
/// `HostKind.socket`), so addresses, ports, buffers, options and errors are the host kernel's.
/// The host socket never blocks; a call that must wait (accept, connect, a receive with nothing
/// queued, a send into a full buffer) waits for readiness here (Readiness.waitForReadiness), so
/// the process's other threads run meanwhile, and a signal ends the wait as on Linux
/// (ERESTARTSYS: restarted after an SA_RESTART handler). poll, select, epoll, fstat, close,
/// fork and exec treat the descriptor as any other host descriptor.
///
/// AF_UNIX path names are guest paths: the kernel resolves them against the working directory
/// and the host binds or connects beneath the guest's root. The kernel keeps the name each
/// socket was bound or connected with, which getsockname and getpeername return (the host's
/// own name for the file means nothing to the guest). Abstract names (and autobind, `bind`
/// with the family alone) live in a namespace the host keeps for the guest's processes.
/// Data move straight between the application's pages and the host socket: the host is
/// given (address, length) pairs and translates them itself (no copy through the bounce
/// buffer, no size limit but the host's).
enum SocketSyscalls {
    static let sockNonblock = 0o4000
    static let sockCloexec = 0o2000000
    static let familyUnix: UInt16 = 1
    static let sockStream = 1
    static let msgDontWait = 0x40, msgWaitAll = 0x100, msgNoSignal = 0x4000
    static let solSocket = 1, soType = 3, soError = 4
    static let fionbio: UInt32 = 0x5421
    /// sizeof(struct sockaddr_storage): the longest address a call takes.
    static let addressCapacity = 128
    static let callSize = MemoryLayout<uk_socket_call>.size
    /// Where uk_socket_call.addr lies (after eight 32-bit fields and two handles).
    static let addressOffset = 40
    /// The most data bytes one host call moves through the bounce buffer.
    static var payloadCapacity: Int { BounceBuffer.dataCapacity - callSize - BounceBuffer.pathCapacity - rightsCapacity }
    /// SCM_MAX_FD: the most descriptors one SCM_RIGHTS message carries.
    static let maximumRights = 253
    /// Room after the path for the descriptors of SCM_RIGHTS (a handle and a kind each).
    static let rightsCapacity = maximumRights * 8
    static let msgCmsgCloexec = 0x4000_0000

    /// What the kernel knows of a socket beyond its host handle: its type and, for AF_UNIX,
    /// the names (family, path, NUL) it was bound and connected with.
    struct Record {
        var handle: Int32
        var type: Int
        var local: [UInt8] = []
        var peer: [UInt8] = []
        /// SO_RCVTIMEO and SO_SNDTIMEO in nanoseconds (nil: none), kept so that a wait need
        /// not ask the host; `timeoutsKnown` false until asked (a socket that came in by exec,
        /// fork or SCM_RIGHTS may have them set).
        var receiveTimeout: UInt64? = nil
        var sendTimeout: UInt64? = nil
        var timeoutsKnown = true
    }

    static var records: [Record] = []
    /// The host handles and kinds (UK_HOST_KIND_*) of the descriptors the last receive took in.
    static var receivedRights: [(Int32, Int32)] = []
    /// The SCM_CREDENTIALS the last receive got (the receiver set SO_PASSCRED).
    static var receivedCredentials: Credentials?
    /// The other control messages the last receive got (IP_PKTINFO, timestamps, ...), as
    /// struct cmsghdr records.
    static var receivedControl: [UInt8] = []

    /// struct ucred.
    struct Credentials {
        var pid: Int32
        var uid: UInt32
        var gid: UInt32
    }

    private static func recordIndex(_ handle: Int32) -> Int? {
        for index in records.indices where records[index].handle == handle { return index }
        return nil
    }

    private static func remember(_ record: Record) {
        if let index = recordIndex(record.handle) { records[index] = record } else { records.append(record) }
    }

    /// Drops the record of a socket whose last descriptor closed.
    static func forget(_ handle: Int32) {
        if let index = recordIndex(handle) { records.remove(at: index) }
    }

    /// The record of `handle`; a socket inherited through execve is asked its type.
    private static func record(_ handle: Int32) -> Record {
        if let index = recordIndex(handle) { return records[index] }
        var type = sockStream
        if let value = try? optionInt(handle, level: solSocket, name: soType) { type = value }
        var record = Record(handle: handle, type: type)
        record.timeoutsKnown = false
        records.append(record)
        return record
    }

    // MARK: host calls

    /// Makes socket call `op` on `handle` with the data already staged after the header
    /// (`dataLength` bytes) and an address (raw bytes, or an absolute guest path for AF_UNIX).
    /// `userBuffers`: the data area holds that many (address, length) pairs of the
    /// application's buffers, which the host reads or fills directly. `credentials`: sent as
    /// SCM_CREDENTIALS.
    private static func call(_ op: uk_socket_op, handle: Int32, _ a0: Int = 0, _ a1: Int = 0, _ a2: Int = 0,
                             address: [UInt8] = [], path: [UInt8] = [], dataLength: Int = 0, userBuffers: Int = 0,
                             credentials: Credentials? = nil, hostWait: Int32 = 0,
                             rights: [Int32] = [], rightsRoom: Int = 0,
                             control: [UInt8] = [], controlRoom: Int = 0) throws(Errno) -> (Int, uk_socket_call) {
        guard path.count < BounceBuffer.pathCapacity else { throw .ENAMETOOLONG }
        var header = uk_socket_call()
        header.op = op.rawValue
        header.a0 = Int32(truncatingIfNeeded: a0)
        header.a1 = Int32(truncatingIfNeeded: a1)
        header.a2 = Int32(truncatingIfNeeded: a2)
        header.data_len = UInt32(dataLength)
        header.path_len = UInt32(path.count)
        header.addr_len = UInt32(address.count)
        if userBuffers > 0 {
            header.user_count = UInt32(userBuffers)
            header.user_root = CPU.boot.cr3
        }
        header.wait_ms = hostWait
        header.control_len = UInt32(control.count)
        if let credentials {
            header.cred_flags = 1
            header.cred_pid = credentials.pid
            header.cred_uid = credentials.uid
            header.cred_gid = credentials.gid
        }
        // SAFETY: the header, the address (<= 128 bytes inside it), the data (<= payloadCapacity),
        // the path (< pathCapacity) and the rights (<= rightsCapacity) fit in the bounce
        // buffer's data area, which is this call's alone until the hypercall returns.
        let data = BounceBuffer.data
        data.storeBytes(of: header, as: uk_socket_call.self)
        for (index, byte) in address.enumerated() { data.storeBytes(of: byte, toByteOffset: addressOffset + index, as: UInt8.self) }
        for (index, byte) in path.enumerated() {
            data.storeBytes(of: byte, toByteOffset: callSize + dataLength + index, as: UInt8.self)
        }
        let rightsOffset = callSize + dataLength + path.count
        for (index, handle) in rights.enumerated() {
            data.storeBytes(of: handle, toByteOffset: rightsOffset + index * 4, as: Int32.self)
        }
        let controlOffset = rightsOffset + rights.count * 4
        for (index, byte) in control.enumerated() { data.storeBytes(of: byte, toByteOffset: controlOffset + index, as: UInt8.self) }
        let result: Int
        do throws(Errno) {
            result = try Hypercall.file(UK_FILE_SOCKET, handle: handle,
                                        dataLength: controlOffset + control.count + rightsRoom * 8 + controlRoom)
        } catch {
            // A signal reached the runner while the host waited: not ready yet; the caller's
            // wait sees the signal if the application acts on it.
            guard error == .EINTR, hostWait != 0 else { throw error }
            HostSignals.take()
            throw .EAGAIN
        }
        return (result, data.load(as: uk_socket_call.self))
    }

    /// The address bytes a call answered (addr_len of them).
    private static func answeredAddress(_ header: uk_socket_call) -> [UInt8] {
        let count = min(Int(header.addr_len), addressCapacity)
        var bytes: [UInt8] = []
        for index in 0..<count { bytes.append(BounceBuffer.data.load(fromByteOffset: addressOffset + index, as: UInt8.self)) }
        return bytes
    }

    private static func optionInt(_ handle: Int32, level: Int, name: Int) throws(Errno) -> Int {
        let (_, header) = try call(UK_SOCK_GETOPT, handle: handle, level, name, dataLength: 4)
        guard header.data_len >= 4 else { return 0 }
        return Int(BounceBuffer.data.load(fromByteOffset: callSize, as: Int32.self))
    }

    /// SO_RCVTIMEO_OLD and SO_SNDTIMEO_OLD (struct timeval), what the waits of receiving and
    /// sending calls honour, and their _NEW forms (the same layout on x86-64).
    static let soReceiveTimeout = 20, soSendTimeout = 21, soReceiveTimeoutNew = 66, soSendTimeoutNew = 67

    /// The socket's receive or send timeout in nanoseconds; nil for none (0). Kept in the
    /// socket's record; asked of the host once for a socket the kernel did not make.
    private static func timeout(_ file: OpenFile, sending: Bool) -> UInt64? {
        var entry = record(file.hostHandle)
        if !entry.timeoutsKnown {
            entry.receiveTimeout = hostTimeout(file.hostHandle, sending: false)
            entry.sendTimeout = hostTimeout(file.hostHandle, sending: true)
            entry.timeoutsKnown = true
            remember(entry)
        }
        return sending ? entry.sendTimeout : entry.receiveTimeout
    }

    /// The host's SO_RCVTIMEO or SO_SNDTIMEO of `handle` in nanoseconds; nil for none.
    private static func hostTimeout(_ handle: Int32, sending: Bool) -> UInt64? {
        guard let (_, header) = try? call(UK_SOCK_GETOPT, handle: handle, solSocket,
                                          sending ? soSendTimeout : soReceiveTimeout, dataLength: 16),
              header.data_len >= 16 else { return nil }
        let seconds = BounceBuffer.data.load(fromByteOffset: callSize, as: Int64.self)
        let microseconds = BounceBuffer.data.load(fromByteOffset: callSize + 8, as: Int64.self)
        guard seconds >= 0, microseconds >= 0, seconds > 0 || microseconds > 0 else { return nil }
        let (nanoseconds, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? nil : nanoseconds &+ UInt64(microseconds) * 1000
    }

    /// Waits until the host reports `events` (or an error or hang-up) on the socket. With the
    /// socket's SO_RCVTIMEO (receiving) or SO_SNDTIMEO (`sending`) set, the wait ends with
    /// EAGAIN when it passes, and a signal ends it with EINTR, as Linux's sock_intr_errno;
    /// without, a signal's handler with SA_RESTART restarts the call (ERESTARTSYS).
    static func wait(_ file: OpenFile, for events: UInt32) throws(Errno) {
        let sending = events == Readiness.pollOut
        let limit = timeout(file, sending: sending)
        let ready: Int
        do throws(Errno) {
            ready = try Readiness.waitForReadiness(deadline: Readiness.deadline(after: limit),
                                                   host: Readiness.HostQuery(file.hostHandle, events: events)) {
                (host) throws(Errno) -> Int in
                host.events(of: file.hostHandle) & (events | Readiness.pollErr | Readiness.pollHup | Readiness.pollNval) != 0 ? 1 : 0
            }
        } catch {
            throw error == .EINTR && limit == nil ? .ERESTARTSYS : error
        }
        if ready == 0 { throw .EAGAIN }
    }

    /// How long the host may wait inside a call that finds the socket not ready (uk_socket_call
    /// wait_ms), so that a blocking call costs one exit instead of a try, a wait and a retry:
    /// only when nothing else could run meanwhile (one task, no deliverable signal), never for a
    /// socket with SO_RCVTIMEO/SO_SNDTIMEO (its own wait keeps that exact), and no longer than
    /// until the next interval timer (whose signal may end the call). 0: no wait.
    private static func hostWait(_ file: OpenFile, flags: Int, sending: Bool) -> Int32 {
        guard blocking(file, flags: flags), Scheduler.tasks.count == 1,
              !Signals.hasDeliverable(Scheduler.current), timeout(file, sending: sending) == nil else { return 0 }
        guard let timer = TimerQueue.earliest else { return -1 }
        let now = Clock.monotonicNanoseconds()
        guard timer > now else { return 0 }
        return Int32(min((timer - now) / 1_000_000, 1000))
    }

    /// The socket behind descriptor `fd`: EBADF for none, ENOTSOCK for another kind.
    private static func socket(_ fd: Int) throws(Errno) -> OpenFile {
        let file = try currentProcess.files.file(fd)
        guard file.hostKind == .socket else { throw .ENOTSOCK }
        return file
    }

    private static func blocking(_ file: OpenFile, flags: Int = 0) -> Bool {
        file.flags & sockNonblock == 0 && flags & msgDontWait == 0
    }

    private static func install(handle: Int32, flags: Int) throws(Errno) -> Int {
        return try currentProcess.files.installHostHandle(OpenFile(hostHandle: handle, path: [], flags: 2 | (flags & sockNonblock),
                                                                   closeOnExec: flags & sockCloexec != 0, hostKind: .socket))
    }

    // MARK: addresses

    /// A guest address: the raw bytes, or for an AF_UNIX path the absolute guest path and the
    /// name getsockname/getpeername will answer.
    struct Address {
        var raw: [UInt8] = []
        var path: [UInt8] = []
        var name: [UInt8] = []
    }

    /// Copies in the address at `address` (`length` bytes), as Linux's move_addr_to_kernel.
    private static func copyAddress(_ address: UInt64, _ length: Int) throws(Errno) -> Address {
        guard length >= 0, length <= addressCapacity else { throw .EINVAL }
        if length == 0 { return Address() }
        var bytes: [UInt8] = []
        for index in 0..<length { bytes.append(try UserMemory.load(UInt8.self, from: address + UInt64(index))) }
        guard length > 2, UInt16(bytes[0]) | UInt16(bytes[1]) << 8 == familyUnix, bytes[2] != 0 else {
            return Address(raw: bytes)
        }
        var name: [UInt8] = []
        for byte in bytes[2...] {
            if byte == 0 { break }
            name.append(byte)
        }
        return Address(path: PathResolver.resolve(name, relativeTo: currentProcess.workingDirectory),
                       name: [bytes[0], bytes[1]] + name + [0])
    }

    /// Writes `bytes` to the application's address buffer as Linux's move_addr_to_user: at most
    /// the room `*lengthAddress` gives, then the full length there. Nothing for a NULL buffer.
    private static func storeAddress(_ bytes: [UInt8], to address: UInt64, lengthAddress: UInt64) throws(Errno) {
        guard address != 0, lengthAddress != 0 else { return }
        let room = Int(try UserMemory.load(Int32.self, from: lengthAddress))
        guard room >= 0 else { throw .EINVAL }
        let count = min(room, bytes.count)
        if count > 0 { try UserMemory.copyOut(from: bytes, to: address, count: count) }
        try UserMemory.store(Int32(bytes.count), to: lengthAddress)
    }

    // MARK: creating

    /// socket(domain, type, protocol): SOCK_NONBLOCK and SOCK_CLOEXEC are the guest's; the host
    /// checks the rest (and the --net policy).
    static func socket(_ a: SyscallArguments) throws(Errno) -> Int {
        let type = a.int32(1)
        let (handle, _) = try call(UK_SOCK_CREATE, handle: -1, a.int32(0), type & ~(sockNonblock | sockCloexec), a.int32(2))
        remember(Record(handle: Int32(handle), type: type & 0xF))
        return try install(handle: Int32(handle), flags: type)
    }

    /// socketpair(domain, type, protocol, sv).
    static func socketpair(_ a: SyscallArguments) throws(Errno) -> Int {
        let type = a.int32(1)
        let (_, header) = try call(UK_SOCK_PAIR, handle: -1, a.int32(0), type & ~(sockNonblock | sockCloexec), a.int32(2))
        let first = header.handles.0, second = header.handles.1
        remember(Record(handle: first, type: type & 0xF))
        remember(Record(handle: second, type: type & 0xF))
        let fd0: Int
        do throws(Errno) {
            fd0 = try install(handle: first, flags: type)
        } catch {
            _ = Hypercall.close(handle: second)
            throw error
        }
        let fd1: Int
        do throws(Errno) {
            fd1 = try install(handle: second, flags: type)
        } catch {
            _ = try? FileSyscalls.release(fd0)
            throw error
        }
        do throws(Errno) {
            try UserMemory.store(Int32(fd0), to: a[3])
            try UserMemory.store(Int32(fd1), to: a[3] + 4)
        } catch {
            _ = try? FileSyscalls.release(fd0)
            _ = try? FileSyscalls.release(fd1)
            throw error
        }
        return 0
    }

    // MARK: naming and connecting

    static func bind(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try socket(a.int32(0))
        let address = try copyAddress(a[1], a.int32(2))
        _ = try call(UK_SOCK_BIND, handle: file.hostHandle, address: address.raw, path: address.path)
        if !address.name.isEmpty {
            var entry = record(file.hostHandle)
            entry.local = address.name
            remember(entry)
        }
        return 0
    }

    static func listen(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try socket(a.int32(0))
        return try call(UK_SOCK_LISTEN, handle: file.hostHandle, a.int32(1)).0
    }

    /// connect(fd, addr, len): a non-blocking socket answers EINPROGRESS as the host does; a
    /// blocking one waits until the host reports it writable and answers SO_ERROR.
    static func connect(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try socket(a.int32(0))
        let address = try copyAddress(a[1], a.int32(2))
        var waiting = false
        while true {
            do throws(Errno) {
                _ = try call(UK_SOCK_CONNECT, handle: file.hostHandle, address: address.raw, path: address.path)
                rememberPeer(file, address)
                return 0
            } catch {
                if error == .EINPROGRESS { rememberPeer(file, address) }
                // A blocking connect waits: in progress, already in progress (restarted after a
                // signal), or a full AF_UNIX backlog.
                guard blocking(file), error == .EINPROGRESS || error == .EALREADY || error == .EAGAIN else {
                    // The connect a wait saw finish: EISCONN means it succeeded.
                    if waiting, error == .EISCONN { return 0 }
                    throw error
                }
            }
            do throws(Errno) {
                try wait(file, for: Readiness.pollOut)
            } catch {
                // SO_SNDTIMEO passed: the connect goes on (Linux: EINPROGRESS).
                throw error == .EAGAIN ? .EINPROGRESS : error
            }
            let failure = try optionInt(file.hostHandle, level: solSocket, name: soError)
            if failure != 0 { throw Errno(rawValue: failure) ?? .EIO }
            waiting = true
        }
    }

    private static func rememberPeer(_ file: OpenFile, _ address: Address) {
        guard !address.name.isEmpty else { return }
        var entry = record(file.hostHandle)
        entry.peer = address.name
        remember(entry)
    }

    static func accept(_ a: SyscallArguments) throws(Errno) -> Int { try accept(a, flags: 0) }

    static func accept4(_ a: SyscallArguments) throws(Errno) -> Int {
        let flags = a.int32(3)
        guard flags & ~(sockNonblock | sockCloexec) == 0 else { throw .EINVAL }
        return try accept(a, flags: flags)
    }

    private static func accept(_ a: SyscallArguments, flags: Int) throws(Errno) -> Int {
        let file = try socket(a.int32(0))
        if a[1] != 0, a[2] != 0 {
            guard try UserMemory.load(Int32.self, from: a[2]) >= 0 else { throw .EINVAL }
        }
        while true {
            do throws(Errno) {
                let (handle, header) = try call(UK_SOCK_ACCEPT, handle: file.hostHandle,
                                                hostWait: hostWait(file, flags: 0, sending: false))
                // The accepted socket has the listener's options, its timeouts among them.
                let listener = record(file.hostHandle)
                remember(Record(handle: Int32(handle), type: listener.type, local: listener.local,
                                receiveTimeout: listener.receiveTimeout, sendTimeout: listener.sendTimeout,
                                timeoutsKnown: listener.timeoutsKnown))
                let peer = answeredAddress(header)
                let fd = try install(handle: Int32(handle), flags: flags)
                do throws(Errno) {
                    try storeAddress(peer, to: a[1], lengthAddress: a[2])
                } catch {
                    _ = try? FileSyscalls.release(fd)
                    throw error
                }
                return fd
            } catch {
                guard error == .EAGAIN, blocking(file) else { throw error }
            }
            try wait(file, for: Readiness.pollIn)
        }
    }

    static func shutdown(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try socket(a.int32(0))
        return try call(UK_SOCK_SHUTDOWN, handle: file.hostHandle, a.int32(1)).0
    }

    static func getsockname(_ a: SyscallArguments) throws(Errno) -> Int { try name(a, peer: false) }
    static func getpeername(_ a: SyscallArguments) throws(Errno) -> Int { try name(a, peer: true) }

    private static func name(_ a: SyscallArguments, peer: Bool) throws(Errno) -> Int {
        let file = try socket(a.int32(0))
        let (_, header) = try call(peer ? UK_SOCK_PEER : UK_SOCK_NAME, handle: file.hostHandle)
        var bytes = answeredAddress(header)
        if bytes.count == 2, UInt16(bytes[0]) | UInt16(bytes[1]) << 8 == familyUnix {
            let entry = record(file.hostHandle)
            let kept = peer ? entry.peer : entry.local
            if !kept.isEmpty { bytes = kept }
        }
        try storeAddress(bytes, to: a[1], lengthAddress: a[2])
        return 0
    }

    // MARK: options

    static func setsockopt(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try socket(a.int32(0))
        let length = a.int32(4)
        guard length >= 0 else { throw .EINVAL }
        guard length <= payloadCapacity else { throw .ENOMEM }
        if length > 0 { try UserMemory.copyIn(from: a[3], to: BounceBuffer.data + callSize, count: length) }
        let result = try call(UK_SOCK_SETOPT, handle: file.hostHandle, a.int32(1), a.int32(2), dataLength: length).0
        let name = a.int32(2)
        if a.int32(1) == solSocket, name == soReceiveTimeout || name == soSendTimeout
            || name == soReceiveTimeoutNew || name == soSendTimeoutNew {
            // The host accepted it: keep what it now holds.
            var entry = record(file.hostHandle)
            let sending = name == soSendTimeout || name == soSendTimeoutNew
            if sending { entry.sendTimeout = hostTimeout(file.hostHandle, sending: true) }
            else { entry.receiveTimeout = hostTimeout(file.hostHandle, sending: false) }
            remember(entry)
        }
        return result
    }

    static func getsockopt(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try socket(a.int32(0))
        let room = Int(try UserMemory.load(Int32.self, from: a[4]))
        guard room >= 0 else { throw .EINVAL }
        let (_, header) = try call(UK_SOCK_GETOPT, handle: file.hostHandle, a.int32(1), a.int32(2),
                                   dataLength: min(room, 4096))
        let count = min(Int(header.data_len), room)
        if count > 0 { try UserMemory.copyOut(from: BounceBuffer.data + callSize, to: a[3], count: count) }
        try UserMemory.store(Int32(count), to: a[4])
        return 0
    }

    // MARK: data

    /// The application's buffers of one call: (address, length) pairs.
    typealias Vector = [(UInt64, Int)]

    private static func loadVector(_ address: UInt64, count: Int) throws(Errno) -> Vector {
        guard count >= 0, count <= FileSyscalls.maxIovecs else { throw .EMSGSIZE }
        try UserMemory.validate(address, count * 16)
        var vector: Vector = []
        var total = 0
        for index in 0..<count {
            let base = try UserMemory.load(UInt64.self, from: address + UInt64(index * 16))
            let length = try UserMemory.load(Int.self, from: address + UInt64(index * 16 + 8))
            guard length >= 0, total <= Int.max - length else { throw .EINVAL }
            total += length
            if length > 0 { vector.append((base, length)) }
        }
        return vector
    }

    private static func total(_ vector: Vector) -> Int {
        var sum = 0
        for (_, length) in vector { sum += length }
        return sum
    }

    /// The most application buffers and bytes one host call of a stream socket moves (the
    /// host takes at most IOV_MAX vectors of pages: 256 pairs over 1 MiB stay below it).
    static let streamPairs = 256, streamChunk = 1 << 20

    /// Names the application's bytes [skip, skip + count) of `vector` to the host: (address,
    /// length) pairs in the data area, each range's pages made present first (writable ones
    /// for a receive). Returns the pairs and the bytes they cover; `whole`: a range that
    /// cannot be made present is EFAULT (a datagram goes whole or not at all), else the pairs
    /// end before it (EFAULT only when no byte is present).
    private static func stage(_ vector: Vector, skip: Int, count: Int, receiving: Bool, whole: Bool,
                              maximumPairs: Int) throws(Errno) -> (pairs: Int, bytes: Int) {
        var skip = skip, left = count, pairs = 0, bytes = 0
        for (base, length) in vector where left > 0 && pairs < maximumPairs {
            if skip >= length {
                skip -= length
                continue
            }
            let part = min(length - skip, left)
            let address = base + UInt64(skip)
            let ready = UserMemory.populate(address, part, write: receiving)
            // SAFETY: pairs < maximumPairs, whose 16 bytes each fit in the data area.
            if ready > 0 {
                BounceBuffer.data.storeBytes(of: address, toByteOffset: callSize + pairs * 16, as: UInt64.self)
                BounceBuffer.data.storeBytes(of: UInt64(ready), toByteOffset: callSize + pairs * 16 + 8, as: UInt64.self)
                pairs += 1
                bytes += ready
            }
            if ready < part {
                if whole || bytes == 0 { throw .EFAULT }
                break
            }
            skip = 0
            left -= part
        }
        return (pairs, bytes)
    }

    /// Sends the vector's bytes, straight from the application's pages: a blocking stream
    /// socket sends them all (waiting while the host's buffer is full), other sockets one
    /// host send (a datagram whole). SIGPIPE for EPIPE unless MSG_NOSIGNAL.
    private static func send(_ file: OpenFile, _ vector: Vector, flags: Int, address: Address,
                             rights: [Int32] = [], credentials: Credentials? = nil, control: [UInt8] = []) throws(Errno) -> Int {
        let size = total(vector)
        let stream = record(file.hostHandle).type == sockStream
        var sent = 0
        while true {
            do throws(Errno) {
                let (pairs, chunk) = try stage(vector, skip: sent, count: stream ? min(size - sent, streamChunk) : size,
                                               receiving: false, whole: !stream,
                                               maximumPairs: stream ? streamPairs : FileSyscalls.maxIovecs)
                // The descriptors and credentials go with the first bytes only.
                let passed = sent == 0 ? rights : []
                let (moved, _) = try call(UK_SOCK_SEND, handle: file.hostHandle, flags & ~msgDontWait, passed.count,
                                          address: address.raw, path: address.path, dataLength: pairs * 16,
                                          userBuffers: pairs, credentials: sent == 0 ? credentials : nil,
                                          hostWait: hostWait(file, flags: flags, sending: true), rights: passed,
                                          control: sent == 0 ? control : [])
                sent += moved
                if !stream || sent >= size || !blocking(file, flags: flags) { return sent }
                if moved == chunk { continue }
            } catch {
                if error == .EAGAIN, blocking(file, flags: flags) {
                    // Wait below.
                } else {
                    if sent > 0 { return sent }
                    if error == .EPIPE, flags & msgNoSignal == 0 { Signals.send(13, code: Signals.codeUser, to: Scheduler.current) }
                    throw error
                }
            }
            do throws(Errno) {
                try wait(file, for: Readiness.pollOut)
            } catch {
                if sent > 0 { return sent }
                throw error
            }
        }
    }

    /// Receives into the vector, straight into the application's pages; returns the bytes
    /// received (the datagram's full length with MSG_TRUNC), the sender's address and
    /// recvmsg's flags. The descriptors and credentials that came are in `receivedRights`
    /// and `receivedCredentials`.
    private static func receive(_ file: OpenFile, _ vector: Vector, flags: Int,
                                rightsRoom: Int = 0, controlRoom: Int = 0) throws(Errno) -> (Int, [UInt8], Int) {
        let size = total(vector)
        let stream = record(file.hostHandle).type == sockStream
        var received = 0
        receivedRights = []
        receivedCredentials = nil
        receivedControl = []
        while true {
            do throws(Errno) {
                let (pairs, room) = try stage(vector, skip: received, count: stream ? min(size - received, streamChunk) : size,
                                              receiving: true, whole: !stream,
                                              maximumPairs: stream ? streamPairs : FileSyscalls.maxIovecs)
                let asked = received == 0 ? rightsRoom : 0
                let otherRoom = received == 0 ? min(controlRoom, maximumControlRoom) : 0
                let (count, header) = try call(UK_SOCK_RECV, handle: file.hostHandle, flags & ~(msgDontWait | msgCmsgCloexec),
                                               asked, otherRoom, dataLength: pairs * 16, userBuffers: pairs,
                                               hostWait: hostWait(file, flags: flags, sending: false), rightsRoom: asked,
                                               controlRoom: otherRoom)
                // Descriptors that came: (handle, kind) pairs after the pairs.
                for index in 0..<Int(max(header.a1, 0)) {
                    let at = callSize + pairs * 16 + index * 8
                    receivedRights.append((BounceBuffer.data.load(fromByteOffset: at, as: Int32.self),
                                           BounceBuffer.data.load(fromByteOffset: at + 4, as: Int32.self)))
                }
                if header.cred_flags & 1 != 0, received == 0 {
                    receivedCredentials = Credentials(pid: header.cred_pid, uid: header.cred_uid, gid: header.cred_gid)
                }
                let otherAt = callSize + pairs * 16 + asked * 8
                for index in 0 ..< min(Int(header.control_len), otherRoom) {
                    receivedControl.append(BounceBuffer.data.load(fromByteOffset: otherAt + index, as: UInt8.self))
                }
                let address = answeredAddress(header)
                received += count
                let more = stream && flags & msgWaitAll != 0 && count > 0 && received < size && blocking(file, flags: flags)
                if !more { return (received, address, Int(header.msg_flags)) }
                if count == room { continue }
            } catch {
                guard error == .EAGAIN, blocking(file, flags: flags) else {
                    if received > 0 { return (received, [], 0) }
                    throw error
                }
            }
            do throws(Errno) {
                try wait(file, for: Readiness.pollIn)
            } catch {
                if received > 0 { return (received, [], 0) }
                throw error
            }
        }
    }

    /// sendto(fd, buf, len, flags, addr, addrlen).
    static func sendto(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try socket(a.int32(0))
        let length = a.byteCount(2)
        let address = a[4] == 0 ? Address() : try copyAddress(a[4], a.int32(5))
        if length > 0 { try UserMemory.validate(a[1], length) }
        return try send(file, length > 0 ? [(a[1], length)] : [], flags: a.int32(3), address: address)
    }

    /// recvfrom(fd, buf, len, flags, addr, addrlen).
    static func recvfrom(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try socket(a.int32(0))
        let length = a.byteCount(2)
        if length > 0 { try UserMemory.validate(a[1], length) }
        let (count, address, _) = try receive(file, length > 0 ? [(a[1], length)] : [], flags: a.int32(3))
        if a[4] != 0 { try storeAddress(address, to: a[4], lengthAddress: a[5]) }
        return count
    }

    /// sendmsg(fd, msg, flags): the name, the iovecs and SCM_RIGHTS descriptors (the host
    /// passes the host descriptors behind them); other ancillary data is EOPNOTSUPP.
    static func sendmsg(_ a: SyscallArguments) throws(Errno) -> Int {
        try sendMessage(try socket(a.int32(0)), a[1], flags: a.int32(2))
    }

    private static func sendMessage(_ file: OpenFile, _ message: UInt64, flags: Int) throws(Errno) -> Int {
        let name = try UserMemory.load(UInt64.self, from: message)
        let nameLength = Int(try UserMemory.load(UInt32.self, from: message + 8))
        let vector = try loadVector(try UserMemory.load(UInt64.self, from: message + 16),
                                    count: Int(try UserMemory.load(UInt64.self, from: message + 24) & 0x7FFF_FFFF))
        let controlLength = Int(try UserMemory.load(UInt64.self, from: message + 40))
        let control = try UserMemory.load(UInt64.self, from: message + 32)
        var credentials: Credentials?
        var other: [UInt8] = []
        let rights = controlLength != 0 && control != 0
            ? try controlMessages(control: control, length: controlLength, credentials: &credentials, other: &other) : []
        let address = name == 0 ? Address() : try copyAddress(name, nameLength)
        return try send(file, vector, flags: flags, address: address, rights: rights, credentials: credentials, control: other)
    }

    /// The host handles of the descriptors the SCM_RIGHTS messages of a control buffer name,
    /// and the SCM_CREDENTIALS it carries (the host kernel checks them as Linux does: the
    /// guest's pid, uid and gid are the host process's). Linux's checks: EINVAL for a message
    /// that does not fit or too many descriptors, EBADF for a descriptor not open. A pipe the
    /// kernel serves moves to a host pipe first; an eventfd or an epoll instance has no host
    /// descriptor to pass (EOPNOTSUPP), and neither has another kind of message.
    private static func controlMessages(control: UInt64, length: Int, credentials: inout Credentials?,
                                        other: inout [UInt8]) throws(Errno) -> [Int32] {
        guard length >= 0, length <= 64 * 1024 else { throw .ENOBUFS }
        var handles: [Int32] = []
        var offset = 0
        while offset + 16 <= length {
            let size = Int(try UserMemory.load(UInt64.self, from: control + UInt64(offset)))
            guard size >= 16, offset + size <= length else { throw .EINVAL }
            let level = try UserMemory.load(Int32.self, from: control + UInt64(offset + 8))
            let type = try UserMemory.load(Int32.self, from: control + UInt64(offset + 12))
            guard level == Int32(solSocket), type == scmRights || type == scmCredentials else {
                // Another message (IP_PKTINFO, IP_TTL, UDP_SEGMENT, ...): the host adds it as it is.
                guard other.count + ((size + 7) & ~7) <= otherControlCapacity else { throw .ENOBUFS }
                for index in 0 ..< size { other.append(try UserMemory.load(UInt8.self, from: control + UInt64(offset + index))) }
                while other.count % 8 != 0 { other.append(0) }
                offset += (size + 7) & ~7
                continue
            }
            if type == scmCredentials {
                guard size == 28 else { throw .EINVAL }
                credentials = Credentials(pid: try UserMemory.load(Int32.self, from: control + UInt64(offset + 16)),
                                          uid: try UserMemory.load(UInt32.self, from: control + UInt64(offset + 20)),
                                          gid: try UserMemory.load(UInt32.self, from: control + UInt64(offset + 24)))
                offset += (size + 7) & ~7
                continue
            }
            let count = (size - 16) / 4
            guard handles.count + count <= maximumRights else { throw .EINVAL }
            for index in 0..<count {
                let fd = Int(try UserMemory.load(Int32.self, from: control + UInt64(offset + 16 + index * 4)))
                var file = try currentProcess.files.file(fd)
                // A pipe the kernel serves becomes a host pipe first, as at fork.
                switch file.object {
                case let .pipeReader(pipe), let .pipeWriter(pipe):
                    try ForkSyscalls.sharePipesWithHost(only: pipe)
                    file = try currentProcess.files.file(fd)
                default:
                    break
                }
                guard file.object == nil, file.hostHandle >= 0 else { throw .EOPNOTSUPP }
                handles.append(file.hostHandle)
            }
            offset += (size + 7) & ~7
        }
        return handles
    }

    /// SOL_SOCKET control messages: SCM_RIGHTS and SCM_CREDENTIALS.
    static let scmRights: Int32 = 1, scmCredentials: Int32 = 2
    /// CMSG_SPACE(sizeof(struct ucred)): where descriptors follow credentials.
    static let credentialsSpace = 32
    /// The most control room a receive asks of the host: credentials, SCM_MAX_FD descriptors
    /// and other messages.
    static let maximumControlRoom = credentialsSpace + 16 + 4 * maximumRights + otherControlCapacity
    /// The most bytes of other control messages one call carries.
    static let otherControlCapacity = 1024

    /// recvmsg(fd, msg, flags): the name, the iovecs, msg_flags and SCM_RIGHTS descriptors
    /// (installed with MSG_CMSG_CLOEXEC's close-on-exec).
    static func recvmsg(_ a: SyscallArguments) throws(Errno) -> Int {
        try receiveMessage(try socket(a.int32(0)), a[1], flags: a.int32(2))
    }

    private static func receiveMessage(_ file: OpenFile, _ message: UInt64, flags requested: Int) throws(Errno) -> Int {
        let name = try UserMemory.load(UInt64.self, from: message)
        let vector = try loadVector(try UserMemory.load(UInt64.self, from: message + 16),
                                    count: Int(try UserMemory.load(UInt64.self, from: message + 24) & 0x7FFF_FFFF))
        let control = try UserMemory.load(UInt64.self, from: message + 32)
        let controlRoom = control == 0 ? 0 : Int(try UserMemory.load(UInt64.self, from: message + 40))
        let rightsRoom = controlRoom >= 16 ? min((controlRoom - 16) / 4, maximumRights) : 0
        var (count, address, flags) = try receive(file, vector, flags: requested, rightsRoom: rightsRoom, controlRoom: controlRoom)
        // The host always asks MSG_CMSG_CLOEXEC; msg_flags echoes the application's request, as Linux.
        flags = flags & ~msgCmsgCloexec | requested & msgCmsgCloexec
        // The descriptors that came become the lowest free ones, as Linux's scm_detach_fds.
        var fds: [Int32] = []
        for (handle, kind) in receivedRights {
            let hostFlags = kind == UK_HOST_KIND_SOCKET ? 2 : (try? Hypercall.file(UK_FILE_GET_FLAGS, handle: handle)) ?? 2
            let installed = try? currentProcess.files.install(OpenFile(hostHandle: handle, path: [], flags: hostFlags & (3 | 0o2000),
                                                                       closeOnExec: requested & msgCmsgCloexec != 0,
                                                                       hostKind: HostKind(rawValue: kind) ?? .plain))
            if let installed { fds.append(Int32(installed)) } else {
                _ = Hypercall.close(handle: handle)
                flags |= 0x8  // MSG_CTRUNC
            }
        }
        receivedRights = []
        // As Linux's recvmsg: the credentials first (SO_PASSCRED), then the descriptors.
        var controlLength = 0
        if let credentials = receivedCredentials {
            receivedCredentials = nil
            if controlRoom >= 28 {
                try UserMemory.store(UInt64(28), to: control)
                try UserMemory.store(Int32(solSocket), to: control + 8)
                try UserMemory.store(scmCredentials, to: control + 12)
                try UserMemory.store(credentials.pid, to: control + 16)
                try UserMemory.store(credentials.uid, to: control + 20)
                try UserMemory.store(credentials.gid, to: control + 24)
                controlLength = min(credentialsSpace, controlRoom)
            } else {
                flags |= 0x8  // MSG_CTRUNC
            }
        }
        // Then the other messages, as far as the room goes (MSG_CTRUNC for the rest).
        if !receivedControl.isEmpty {
            let fit = min(receivedControl.count, max(controlRoom - controlLength, 0))
            if fit > 0 { try UserMemory.copyOut(from: Array(receivedControl[0 ..< fit]), to: control + UInt64(controlLength), count: fit) }
            if fit < receivedControl.count { flags |= 0x8 }
            controlLength += fit
            receivedControl = []
        }
        if !fds.isEmpty {
            let at = UInt64(controlLength)
            let fit = controlRoom - controlLength >= 20 ? min(fds.count, (controlRoom - controlLength - 16) / 4) : 0
            if fit < fds.count {
                // No room: the descriptors that do not fit are closed (MSG_CTRUNC).
                for fd in fds[fit...] { _ = try? FileSyscalls.release(Int(fd)) }
                flags |= 0x8
            }
            if fit > 0 {
                let length = 16 + 4 * fit
                try UserMemory.store(UInt64(length), to: control + at)
                try UserMemory.store(Int32(solSocket), to: control + at + 8)
                try UserMemory.store(scmRights, to: control + at + 12)
                for index in 0 ..< fit { try UserMemory.store(fds[index], to: control + at + 16 + UInt64(index * 4)) }
                controlLength = min(controlLength + ((length + 7) & ~7), controlRoom)
            }
        }
        if name != 0 {
            let room = Int(try UserMemory.load(UInt32.self, from: message + 8))
            let stored = min(room, address.count)
            if stored > 0 { try UserMemory.copyOut(from: address, to: name, count: stored) }
            try UserMemory.store(UInt32(address.count), to: message + 8)
        } else {
            try UserMemory.store(UInt32(0), to: message + 8)
        }
        try UserMemory.store(UInt64(controlLength), to: message + 40)
        try UserMemory.store(Int32(truncatingIfNeeded: flags), to: message + 48)
        return count
    }

    /// MSG_WAITFORONE: recvmmsg waits for the first message only.
    static let msgWaitForOne = 0x10000
    /// sizeof(struct mmsghdr): a msghdr, then msg_len (padded to 8).
    static let mmsghdrSize = 64

    /// sendmmsg(fd, msgvec, vlen, flags): sendmsg for each message (at most UIO_MAXIOV), its
    /// msg_len stored; an error after the first message ends the batch with the count so far.
    static func sendmmsg(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try socket(a.int32(0))
        let count = min(a.uint32(2), FileSyscalls.maxIovecs)
        var done = 0
        while done < count {
            let entry = a[1] + UInt64(done * mmsghdrSize)
            do throws(Errno) {
                let sent = try sendMessage(file, entry, flags: a.int32(3))
                try UserMemory.store(UInt32(truncatingIfNeeded: sent), to: entry + 56)
            } catch {
                if done > 0 { return done }
                throw error
            }
            done += 1
        }
        return done
    }

    /// recvmmsg(fd, msgvec, vlen, flags, timeout): recvmsg for each message, msg_len stored;
    /// with MSG_WAITFORONE only the first waits. The timeout is Linux's: checked after each
    /// message (it never cuts a wait short), the batch ends once it has passed, and the time
    /// left is written back when a message came. An error after a message ends the batch.
    static func recvmmsg(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try socket(a.int32(0))
        let count = min(a.uint32(2), FileSyscalls.maxIovecs)
        var flags = a.int32(3)
        let deadline: UInt64?
        if a[4] != 0 {
            let (end, overflow) = Clock.monotonicNanoseconds().addingReportingOverflow(try TimeSyscalls.loadTimespec(a[4]))
            deadline = overflow ? UInt64.max : end
        } else {
            deadline = nil
        }
        var done = 0
        var left: UInt64 = 0
        while done < count {
            let entry = a[1] + UInt64(done * mmsghdrSize)
            do throws(Errno) {
                let received = try receiveMessage(file, entry, flags: flags & ~msgWaitForOne)
                try UserMemory.store(UInt32(truncatingIfNeeded: received), to: entry + 56)
            } catch {
                if done > 0 { break }
                throw error
            }
            done += 1
            if flags & msgWaitForOne != 0 { flags |= msgDontWait }
            if let deadline {
                let now = Clock.monotonicNanoseconds()
                left = deadline > now ? deadline - now : 0
                if left == 0 { break }
            }
        }
        if deadline != nil, done > 0 {
            try UserMemory.store(Int64(left / 1_000_000_000), to: a[4])
            try UserMemory.store(Int64(left % 1_000_000_000), to: a[4] + 8)
        }
        return done
    }

    /// read/write(2) of a socket: recv/send without flags, straight between the application's
    /// pages and the host socket. A blocking read waits for data; a blocking write of a stream
    /// socket moves every byte. A read of nothing answers 0 at once (as Linux's sock_read_iter:
    /// no datagram is taken).
    static func transfer(_ file: OpenFile, buffer: UInt64, count: Int, write: Bool) throws(Errno) -> Int {
        try transfer(file, count > 0 ? [(buffer, count)] : [], write: write)
    }

    /// readv/writev(2) of a socket: one recvmsg/sendmsg of the whole vector, so a datagram is
    /// written and read whole; a vector of nothing reads 0 at once.
    static func transferVector(_ file: OpenFile, vector address: UInt64, count: Int, write: Bool) throws(Errno) -> Int {
        try transfer(file, try loadVector(address, count: count), write: write)
    }

    /// The core of read/write and readv/writev: send or receive without flags.
    private static func transfer(_ file: OpenFile, _ vector: Vector, write: Bool) throws(Errno) -> Int {
        if write { return try send(file, vector, flags: 0, address: Address()) }
        if total(vector) == 0 { return 0 }
        return try receive(file, vector, flags: 0).0
    }

    /// SIOCOUTQ: the bytes a socket has not sent yet.
    static let siocoutq: UInt32 = 0x5411

    /// ioctl(2) of a socket: FIONREAD (SIOCINQ) and SIOCOUTQ from the host, FIONBIO sets the
    /// guest's O_NONBLOCK.
    static func ioctl(_ fd: Int, _ file: OpenFile, request: UInt32, argument: UInt64) throws(Errno) -> Int {
        if request == siocoutq { return try InotifySyscalls.hostIntegerIoctl(file, request: request, argument: argument) }
        if request == fionbio {
            let on = try UserMemory.load(Int32.self, from: argument)
            var changed = file
            changed.flags = on != 0 ? file.flags | sockNonblock : file.flags & ~sockNonblock
            try currentProcess.files.update(fd, changed)
            return 0
        }
        return try InotifySyscalls.ioctl(file, request: request, argument: argument)
    }
}
