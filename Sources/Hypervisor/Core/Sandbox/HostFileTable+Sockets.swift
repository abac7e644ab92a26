import CLinux
import Glibc
import UnikernelABI

/// The guest's sockets are host sockets the host makes and uses on its behalf
/// (UK_FILE_SOCKET): always non-blocking and close-on-exec here, so no vCPU ever waits in the
/// host; the guest's kernel decides whether a call waits (it polls the handle) and sends
/// SIGPIPE itself. AF_UNIX path names live in the guest's file system: the guest gives the
/// absolute guest path, the host resolves its directory beneath the guest's root (O_PATH, as
/// every other path) and names the socket file as "/proc/self/fd/<dir>/<name>", so a path can
/// never reach a socket outside the guest's file system. Abstract names (and autobound ones)
/// are the guest's own: the host prefixes them with the guest's namespace
/// (`NetworkPolicy.abstractNamespace`), so the guest's processes meet each other and no host
/// program, and strips the prefix from the names it answers. Internet addresses pass the
/// `--net-allow` and `--net-listen` lists. Data move straight between the application's
/// pages and the host socket (`UserBuffers`) or through the call's data area.
extension HostFileTable {
    /// Gives `body` the host vectors of an application's buffers: (page-table root,
    /// (guest virtual address, length) pairs, whether the host writes them); -EFAULT when a
    /// page is not mapped as needed. HypercallHandler provides it; nil where there is no guest.
    public typealias UserBuffers = (_ root: UInt64, _ spans: [(UInt64, UInt64)], _ intoGuest: Bool,
                                    _ body: ([iovec]) -> Int64) -> Int64

    static let socketCallSize = MemoryLayout<uk_socket_call>.size
    static let familyUnix: Int32 = 1, familyInet: Int32 = 2, familyInet6: Int32 = 10
    static let socketNonblock: Int32 = 0o4000, socketCloexec: Int32 = 0o2000000
    static let messageDontWait: Int32 = 0x40, messageNoSignal: Int32 = 0x4000
    static let messageCmsgCloexec: Int32 = 0x4000_0000
    /// SCM_MAX_FD: the most descriptors one SCM_RIGHTS message carries.
    static let maximumRights: Int32 = 253
    /// sizeof(struct sockaddr_un): sun_family then 108 bytes of sun_path.
    static let unixAddressSize = 110

    /// Performs the socket call in `buffer` (uk_socket_call, then its data and path) on
    /// `handle`; writes the call's outputs back. Returns >= 0 or -errno.
    func socketCall(handle: Int32, buffer: UnsafeMutableRawBufferPointer?, user: UserBuffers? = nil) -> Int64 {
        guard let buffer, buffer.count >= HostFileTable.socketCallSize else { return -Int64(EINVAL) }
        var call = buffer.loadUnaligned(as: uk_socket_call.self)
        let dataStart = HostFileTable.socketCallSize
        guard call.addr_len <= 128, Int(call.data_len) + Int(call.path_len) <= buffer.count - dataStart else {
            return -Int64(EINVAL)
        }
        // SAFETY: the data, path and rights areas lie inside `buffer` (the guest range the
        // decoder bounds-checked): their lengths were checked against its size above and below.
        let data = UnsafeMutableRawBufferPointer(rebasing: buffer[dataStart ..< dataStart + Int(call.data_len)])
        let pathStart = dataStart + Int(call.data_len)
        let path = Array(buffer[pathStart ..< pathStart + Int(call.path_len)])
        // SCM_RIGHTS: SEND's a1 handles, or RECV's handle-and-kind pairs for a1 descriptors, after the path.
        let rightsStart = pathStart + Int(call.path_len)
        let rightsCount = call.op == UK_SOCK_SEND.rawValue || call.op == UK_SOCK_RECV.rawValue ? Int(max(call.a1, 0)) : 0
        let otherControl = call.op == UK_SOCK_SEND.rawValue ? Int(call.control_len)
            : call.op == UK_SOCK_RECV.rawValue ? Int(max(call.a2, 0)) : 0
        guard rightsCount <= HostFileTable.maximumRights,
              rightsStart + rightsCount * (call.op == UK_SOCK_RECV.rawValue ? 8 : 4) + otherControl <= buffer.count
        else { return -Int64(EINVAL) }
        let rights = UnsafeMutableRawBufferPointer(rebasing: buffer[rightsStart ..< buffer.count])
        let result: Int64
        switch call.op {
        case UK_SOCK_CREATE.rawValue:
            result = makeSocket(&call, pair: false)
        case UK_SOCK_PAIR.rawValue:
            result = makeSocket(&call, pair: true)
        default:
            guard let fd = descriptor(handle) else { return -Int64(EBADF) }
            result = socketOperation(fd, &call, data: data, path: path, rights: rights, user: user)
        }
        buffer.storeBytes(of: call, as: uk_socket_call.self)
        return result
    }

    private func makeSocket(_ call: inout uk_socket_call, pair: Bool) -> Int64 {
        let domain = call.a0
        guard domain == HostFileTable.familyUnix || domain == HostFileTable.familyInet
            || domain == HostFileTable.familyInet6 else { return -Int64(EAFNOSUPPORT) }
        if network.mode == .none, domain != HostFileTable.familyUnix {
            reportRefusal(pair ? "socketpair" : "socket", detail: domain == HostFileTable.familyInet ? "AF_INET" : "AF_INET6",
                          reason: "--net none")
            return -Int64(EACCES)
        }
        let type = call.a1 | HostFileTable.socketNonblock | HostFileTable.socketCloexec
        if !pair {
            let fd = Glibc.socket(domain, type, call.a2)
            return fd < 0 ? -Int64(errno) : adopt(fd)
        }
        var fds: [Int32] = [-1, -1]
        guard Glibc.socketpair(domain, type, call.a2, &fds) == 0 else { return -Int64(errno) }
        let first = adopt(fds[0])
        guard first >= 0 else {
            Glibc.close(fds[1])
            return first
        }
        let second = adopt(fds[1])
        guard second >= 0 else {
            _ = close(handle: Int32(first))
            return second
        }
        call.handles.0 = Int32(first)
        call.handles.1 = Int32(second)
        return 0
    }

    private func socketOperation(_ fd: Int32, _ call: inout uk_socket_call, data: UnsafeMutableRawBufferPointer,
                                 path: [UInt8], rights: UnsafeMutableRawBufferPointer, user: UserBuffers?) -> Int64 {
        var result: Int
        switch call.op {
        case UK_SOCK_BIND.rawValue:
            if !path.isEmpty, isReadOnly(path) { return -Int64(EROFS) }
            if path.isEmpty, call.addr_len == 2, call.addr.0 == UInt8(HostFileTable.familyUnix) { return autobind(fd) }
            return withAddress(call, path: path, operation: "bind") { address, length in
                Glibc.bind(fd, address, length) == 0 ? 0 : -Int64(errno)
            }
        case UK_SOCK_CONNECT.rawValue:
            return withAddress(call, path: path, operation: "connect") { address, length in
                Glibc.connect(fd, address, length) == 0 ? 0 : -Int64(errno)
            }
        case UK_SOCK_LISTEN.rawValue:
            if let port = listeningRefused(fd) {
                reportRefusal("listen", detail: "port \(port)", reason: "not in --net-listen")
                return -Int64(EACCES)
            }
            result = Int(Glibc.listen(fd, call.a0))
        case UK_SOCK_SHUTDOWN.rawValue:
            result = Int(Glibc.shutdown(fd, call.a0))
        case UK_SOCK_ACCEPT.rawValue:
            let accepted = waitingOnce(fd, events: Int16(POLLIN), call.wait_ms) {
                Int64(receiveAddress(&call) { address, length in
                    let accepted = clinux_accept4(fd, address, length, HostFileTable.socketNonblock | HostFileTable.socketCloexec)
                    return accepted >= 0 ? Int(accepted) : -Int(errno)
                })
            }
            guard accepted >= 0 else { return accepted }
            return adopt(Int32(accepted))
        case UK_SOCK_NAME.rawValue:
            result = receiveAddress(&call) { address, length in Int(getsockname(fd, address, length)) }
        case UK_SOCK_PEER.rawValue:
            result = receiveAddress(&call) { address, length in Int(getpeername(fd, address, length)) }
        case UK_SOCK_SEND.rawValue:
            let request = call
            return waitingOnce(fd, events: Int16(POLLOUT), call.wait_ms) {
                send(fd, request, data: data, path: path, rights: rights, user: user)
            }
        case UK_SOCK_RECV.rawValue:
            return waitingOnce(fd, events: Int16(POLLIN), call.wait_ms) {
                receive(fd, &call, data: data, rights: rights, user: user)
            }
        case UK_SOCK_SETOPT.rawValue:
            result = Int(setsockopt(fd, call.a0, call.a1, data.baseAddress, socklen_t(data.count)))
        case UK_SOCK_GETOPT.rawValue:
            var length = socklen_t(data.count)
            result = Int(getsockopt(fd, call.a0, call.a1, data.baseAddress, &length))
            if result >= 0 { call.data_len = UInt32(length) }
        default:
            return -Int64(EINVAL)
        }
        return result < 0 ? -Int64(errno) : Int64(result)
    }

    /// Runs `body` (a socket call answering >= 0 or -errno); when it answers EAGAIN and the
    /// guest allowed a wait (`milliseconds` != 0), waits up to that long (at most a second) for
    /// `events` on `fd` and runs it once more. A signal to the runner ends the wait: -EINTR.
    private func waitingOnce(_ fd: Int32, events: Int16, _ milliseconds: Int32, _ body: () -> Int64) -> Int64 {
        let first = body()
        guard first == -Int64(EAGAIN), milliseconds != 0 else { return first }
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let ready = Glibc.poll(&entry, 1, milliseconds < 0 ? 1000 : min(milliseconds, 1000))
        if ready < 0 { return -Int64(errno) }
        return ready == 0 ? first : body()
    }

    /// The port a listen on `fd` may not use under `--net-listen` (an internet socket bound
    /// to an unlisted port, or not bound yet: listen would pick an ephemeral one); nil when allowed.
    private func listeningRefused(_ fd: Int32) -> UInt16? {
        guard !network.listenPorts.isEmpty, let name = HostFileTable.localName(fd) else { return nil }
        return name.withUnsafeBytes { bytes in
            guard let (_, port) = NetworkPolicy.internetAddress(bytes), !network.permitsListening(port: port) else { return nil }
            return port
        }
    }

    /// The host's getsockname of `fd` (its bytes); nil when it fails.
    static func localName(_ fd: Int32) -> [UInt8]? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutableBytes(of: &storage) { bytes in
            getsockname(fd, bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard named == 0 else { return nil }
        // SAFETY: the host kernel filled `length` (<= sizeof sockaddr_storage) bytes of `storage`.
        return withUnsafeBytes(of: &storage) { Array($0[0 ..< min(Int(length), $0.count)]) }
    }

    /// bind(fd, {AF_UNIX}, 2): Linux's autobind (five hex digits in the abstract namespace),
    /// made in the guest's namespace; nothing for a socket that has a name already.
    private func autobind(_ fd: Int32) -> Int64 {
        if let name = HostFileTable.localName(fd), name.count > 2 { return 0 }
        for _ in 0 ..< 64 {
            let random = UInt32.random(in: 0 ... .max)
            let digits = String(random & 0xFFFFF, radix: 16)
            let name = Array((String(repeating: "0", count: 5 - digits.count) + digits).utf8)
            let address = [UInt8(HostFileTable.familyUnix), 0, 0] + Array(network.abstractNamespace.utf8) + name
            let bound = address.withUnsafeBytes { bytes in
                Glibc.bind(fd, bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(bytes.count))
            }
            if bound == 0 { return 0 }
            if errno != EADDRINUSE { return -Int64(errno) }
        }
        return -Int64(ENOSPC)
    }

    /// Runs `body` with an address the host may use for the guest's: the AF_UNIX path
    /// resolved beneath the guest's root, an abstract AF_UNIX name inside the guest's
    /// namespace, or the guest's own address (an internet one the --net-allow or --net-listen
    /// list permits, or an unnamed AF_UNIX one). `operation` ("bind", "connect", "sendto")
    /// names the check and the refusal.
    private func withAddress(_ call: uk_socket_call, path: [UInt8], operation: String,
                             _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int64) -> Int64 {
        if !path.isEmpty {
            return withParent(path) { directory, name in
                guard let address = HostFileTable.unixAddress(directory: directory, name: name) else {
                    return -Int64(ENAMETOOLONG)
                }
                // SAFETY: `address` is a complete sockaddr_un for the call's duration.
                return address.withUnsafeBytes { bytes in
                    body(bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(bytes.count))
                }
            }
        }
        // SAFETY: `raw` is the call's 128-byte address copy and `length` was checked <= 128.
        var raw = call.addr
        let length = Int(call.addr_len)
        return withUnsafeBytes(of: &raw) { bytes in
            let given = UnsafeRawBufferPointer(rebasing: bytes[0 ..< length])
            let family = length >= 2 ? Int32(bytes.load(as: UInt16.self)) : -1
            if family == HostFileTable.familyUnix, length > 2 {
                // Only abstract names come raw ("\0name"); a path comes as `path`, never as a host path.
                guard given[2] == 0 else {
                    reportRefusal(operation, detail: "an AF_UNIX path given as a raw address", reason: "outside the guest's file system")
                    return -Int64(EACCES)
                }
                let name = Array(given[3...])
                let address = [UInt8(HostFileTable.familyUnix), 0, 0] + Array(network.abstractNamespace.utf8) + name
                guard address.count <= HostFileTable.unixAddressSize else { return -Int64(EINVAL) }
                return address.withUnsafeBytes { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
            }
            let permitted = operation == "bind" ? network.permitsBinding(given) : network.permitsDestination(given)
            guard permitted else {
                reportRefusal(operation, detail: NetworkPolicy.describe(given),
                              reason: operation == "bind" ? "not in --net-listen" : "not in --net-allow")
                return -Int64(EACCES)
            }
            return body(bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(length))
        }
    }

    /// sockaddr_un bytes naming `name` in the directory open as `directory`, through the host's
    /// /proc link of that descriptor; nil when it does not fit in sun_path (with its NUL).
    static func unixAddress(directory: Int32, name: UnsafePointer<CChar>) -> [UInt8]? {
        let path = Array(HostFileTable.procPath(directory).utf8) + [UInt8(ascii: "/")]
            + Array(UnsafeBufferPointer(start: name, count: strlen(name))).map { UInt8(bitPattern: $0) }
        guard path.count < unixAddressSize - 2 else { return nil }
        return [UInt8(familyUnix), 0] + path + [0]
    }

    /// Runs `body` with room for an address in `call.addr` (addr_len bytes of it), then
    /// stores its length. An AF_UNIX name the host holds for a guest path ("/proc/self/fd/...")
    /// means nothing to the guest: it comes back unnamed (the guest's kernel knows its own);
    /// an abstract name of the guest's namespace comes back without the namespace.
    private func receiveAddress(_ call: inout uk_socket_call,
                                _ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int) -> Int {
        // SAFETY: the host kernel writes at most `length` (sizeof sockaddr_storage) bytes into
        // `storage`; 128 of them are copied to the 128-byte `call.addr`.
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutableBytes(of: &storage) { bytes in
            body(bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard result >= 0 else { return result }
        let saved = errno
        var bytes = withUnsafeBytes(of: &storage) { Array($0[0 ..< min(Int(length), 128)]) }
        if storage.ss_family == UInt16(HostFileTable.familyUnix), bytes.count > 2 {
            let namespace = Array(network.abstractNamespace.utf8)
            if bytes[2] == UInt8(ascii: "/") {
                bytes = Array(bytes[0 ..< 2])
            } else if bytes[2] == 0, !namespace.isEmpty, bytes.count >= 3 + namespace.count,
                      Array(bytes[3 ..< 3 + namespace.count]) == namespace {
                bytes = Array(bytes[0 ..< 3]) + Array(bytes[(3 + namespace.count)...])
            }
        }
        withUnsafeMutableBytes(of: &call.addr) { out in
            out.initializeMemory(as: UInt8.self, repeating: 0)
            out.copyBytes(from: bytes)
        }
        call.addr_len = UInt32(bytes.count)
        errno = saved
        return result
    }

    /// SOL_SOCKET's SCM_RIGHTS and SCM_CREDENTIALS control messages.
    static let controlRights: Int32 = 1, controlCredentials: Int32 = 2

    /// Runs `body` with the host vectors of a SEND's or RECV's data: the application's buffers
    /// (user_count pairs in the data area, through `user`) or the data area itself.
    private func withDataVectors(_ call: uk_socket_call, data: UnsafeMutableRawBufferPointer, user: UserBuffers?,
                                 intoGuest: Bool, _ body: ([iovec]) -> Int64) -> Int64 {
        guard call.user_count > 0 else { return body([iovec(iov_base: data.baseAddress, iov_len: data.count)]) }
        guard let user, Int(call.user_count) * 16 <= data.count else { return -Int64(EFAULT) }
        let spans = (0 ..< Int(call.user_count)).map { index in
            (data.loadUnaligned(fromByteOffset: index * 16, as: UInt64.self),
             data.loadUnaligned(fromByteOffset: index * 16 + 8, as: UInt64.self))
        }
        return user(call.user_root, spans, intoGuest, body)
    }

    /// sendmsg(2) of the call's data, to its address if it has one, with SCM_CREDENTIALS
    /// (cred_flags) and one SCM_RIGHTS message of the host descriptors behind the guest's
    /// `call.a1` handles (at the start of `rights`): EBADF for a handle the table lacks.
    private func send(_ fd: Int32, _ call: uk_socket_call, data: UnsafeMutableRawBufferPointer, path: [UInt8],
                      rights: UnsafeMutableRawBufferPointer, user: UserBuffers?) -> Int64 {
        let flags = call.a0 | HostFileTable.messageDontWait | HostFileTable.messageNoSignal
        var control: [UInt8] = []
        func append(_ type: Int32, _ payload: [UInt8]) {
            var header = [UInt8](repeating: 0, count: 16)
            header.withUnsafeMutableBytes { bytes in
                bytes.storeBytes(of: UInt64(16 + payload.count), toByteOffset: 0, as: UInt64.self)
                bytes.storeBytes(of: Int32(1), toByteOffset: 8, as: Int32.self)  // SOL_SOCKET
                bytes.storeBytes(of: type, toByteOffset: 12, as: Int32.self)
            }
            control += header + payload
            while control.count % 8 != 0 { control.append(0) }
        }
        if call.cred_flags & 1 != 0 {
            var credentials = (call.cred_pid, call.cred_uid, call.cred_gid)
            append(HostFileTable.controlCredentials, withUnsafeBytes(of: &credentials) { Array($0[0 ..< 12]) })
        }
        if call.a1 > 0 {
            var descriptors: [UInt8] = []
            for index in 0 ..< Int(call.a1) {
                guard var passed = descriptor(rights.loadUnaligned(fromByteOffset: index * 4, as: Int32.self)) else {
                    return -Int64(EBADF)
                }
                descriptors += withUnsafeBytes(of: &passed) { Array($0) }
            }
            append(HostFileTable.controlRights, descriptors)
        }
        // Other control messages pass as they are, each checked to lie within its bytes; never
        // descriptors or credentials given raw (those come as handles and cred_*).
        if call.control_len > 0 {
            let start = Int(max(call.a1, 0)) * 4
            let other = Array(rights[start ..< start + Int(call.control_len)])
            var offset = 0
            while offset + 16 <= other.count {
                let size = other.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
                let level = other.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 8, as: Int32.self) }
                let type = other.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 12, as: Int32.self) }
                guard size >= 16, size <= other.count - offset else { return -Int64(EINVAL) }
                if level == 1, type == HostFileTable.controlRights || type == HostFileTable.controlCredentials {
                    return -Int64(EINVAL)
                }
                control += other[offset ..< offset + size]
                while control.count % 8 != 0 { control.append(0) }
                offset += (size + 7) & ~7
            }
        }
        let transmit = { (address: UnsafePointer<sockaddr>?, addressLength: socklen_t) -> Int64 in
            self.withDataVectors(call, data: data, user: user, intoGuest: false) { vectors in
                var message = msghdr()
                message.msg_name = UnsafeMutableRawPointer(mutating: address)
                message.msg_namelen = addressLength
                let sent = HostFileTable.withMessage(&message, vectors: vectors, control: &control) { Glibc.sendmsg(fd, $0, flags) }
                return sent < 0 ? -Int64(errno) : Int64(sent)
            }
        }
        guard call.addr_len > 0 || !path.isEmpty else { return transmit(nil, 0) }
        return withAddress(call, path: path, operation: "sendto") { address, length in transmit(address, length) }
    }

    /// Runs `body` (sendmsg or recvmsg) with `message` holding `vectors` and `control` (none
    /// when empty) for the call's duration.
    private static func withMessage(_ message: inout msghdr, vectors: [iovec], control: inout [UInt8],
                                    _ body: (UnsafeMutablePointer<msghdr>) -> Int) -> Int {
        var vectors = vectors
        // SAFETY: the vectors and the control bytes outlive the host call `body` makes.
        return vectors.withUnsafeMutableBufferPointer { vectorPointer in
            control.withUnsafeMutableBytes { controlBytes in
                message.msg_iov = vectorPointer.baseAddress
                message.msg_iovlen = vectorPointer.count
                message.msg_control = controlBytes.count > 0 ? controlBytes.baseAddress : nil
                message.msg_controllen = controlBytes.count
                return body(&message)
            }
        }
    }

    /// recvmsg(2) into the call's data (or the application's buffers) with `call.a2` bytes of
    /// control room: the sender's address, msg_flags, the credentials (SO_PASSCRED) and the
    /// SCM_RIGHTS descriptors (at most `call.a1`), which come back adopted (`adoptControl`).
    private func receive(_ fd: Int32, _ call: inout uk_socket_call, data: UnsafeMutableRawBufferPointer,
                         rights: UnsafeMutableRawBufferPointer, user: UserBuffers?) -> Int64 {
        var flags: Int32 = 0
        let flagsIn = call.a0 | HostFileTable.messageDontWait | HostFileTable.messageCmsgCloexec
        // The guest's control room (a2 bytes, bounded by the call's buffer in socketCall): the
        // host kernel fills it as it would the application's, truncating (MSG_CTRUNC) where that would.
        var control = [UInt8](repeating: 0, count: Int(max(call.a2, 0)))
        var controlLength = 0
        let request = call
        let result = receiveAddress(&call) { address, length in
            Int(withDataVectors(request, data: data, user: user, intoGuest: true) { vectors in
                var message = msghdr()
                message.msg_name = UnsafeMutableRawPointer(address)
                message.msg_namelen = length.pointee
                let received = HostFileTable.withMessage(&message, vectors: vectors, control: &control) { Glibc.recvmsg(fd, $0, flagsIn) }
                length.pointee = message.msg_namelen
                flags = message.msg_flags
                controlLength = received >= 0 ? message.msg_controllen : 0
                if received < 0 { return -Int64(errno) }
                return Int64(received)
            })
        }
        guard result >= 0 else { return Int64(result) }
        call.msg_flags = UInt32(bitPattern: flags)
        call.cred_flags = 0
        call.a1 = adoptControl(control, length: controlLength, into: rights, call: &call)
        return Int64(result)
    }

    /// Takes the control messages in `control` (its first `length` bytes): the credentials
    /// into `call`, the descriptors of SCM_RIGHTS as new handles, written to `rights` as
    /// (handle, UK_HOST_KIND_*) pairs (returns how many), and every other message as it is
    /// after the room for `call.a1` pairs (`call.control_len` bytes). A socket is made
    /// non-blocking (the guest's kernel waits for it); descriptors beyond the table's room are
    /// closed.
    private func adoptControl(_ control: [UInt8], length: Int, into rights: UnsafeMutableRawBufferPointer,
                              call: inout uk_socket_call) -> Int32 {
        // SAFETY: each message is read only when its header and data lie within the `length`
        // bytes the host kernel filled; each pair is stored only when it fits in `rights`.
        var adopted: Int32 = 0
        var offset = 0
        let otherStart = Int(max(call.a1, 0)) * 8
        let otherRoom = max(0, min(Int(max(call.a2, 0)), rights.count - otherStart))
        var otherLength = 0
        defer { call.control_len = UInt32(otherLength) }
        control.withUnsafeBytes { bytes in
            while offset + 16 <= length {
                let size = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                guard size >= 16, offset + size <= length else { break }
                let level = bytes.loadUnaligned(fromByteOffset: offset + 8, as: Int32.self)
                let type = bytes.loadUnaligned(fromByteOffset: offset + 12, as: Int32.self)
                if level == 1, type == HostFileTable.controlCredentials, size >= 28 {
                    call.cred_flags = 1
                    call.cred_pid = bytes.loadUnaligned(fromByteOffset: offset + 16, as: Int32.self)
                    call.cred_uid = bytes.loadUnaligned(fromByteOffset: offset + 20, as: UInt32.self)
                    call.cred_gid = bytes.loadUnaligned(fromByteOffset: offset + 24, as: UInt32.self)
                }
                let kept = level == 1 && (type == HostFileTable.controlRights || type == HostFileTable.controlCredentials)
                let padded = (size + 7) & ~7
                if !kept, otherLength + size <= otherRoom {
                    let destination = UnsafeMutableRawBufferPointer(rebasing: rights[otherStart + otherLength ..< otherStart + otherLength + size])
                    destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + size]))
                    let end = min(otherLength + padded, otherRoom)
                    for index in otherLength + size ..< end { rights[otherStart + index] = 0 }
                    otherLength = end
                }
                if level == 1, type == HostFileTable.controlRights {
                    for index in 0..<(size - 16) / 4 {
                        let fd = bytes.loadUnaligned(fromByteOffset: offset + 16 + index * 4, as: Int32.self)
                        guard (Int(adopted) + 1) * 8 <= rights.count, adopted < HostFileTable.maximumRights else {
                            Glibc.close(fd)
                            continue
                        }
                        var status = stat()
                        let socket = fstat(fd, &status) == 0 && status.st_mode & S_IFMT == S_IFSOCK
                        if socket { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
                        let handle = adopt(fd)
                        guard handle >= 0 else { continue }
                        rights.storeBytes(of: Int32(handle), toByteOffset: Int(adopted) * 8, as: Int32.self)
                        let kind = socket ? UK_HOST_KIND_SOCKET : clinux_pidfd_pid(fd) >= 0 ? UK_HOST_KIND_PIDFD : UK_HOST_KIND_PLAIN
                        rights.storeBytes(of: kind, toByteOffset: Int(adopted) * 8 + 4, as: Int32.self)
                        adopted += 1
                    }
                }
                offset += (size + 7) & ~7
            }
        }
        return adopted
    }

    /// Reports a refusal on stderr, once per call and what was refused.
    func reportRefusal(_ operation: String, detail: String, reason: String) {
        let key = operation + " " + detail
        guard !reportedRefusals.contains(key) else { return }
        reportedRefusals.insert(key)
        let line = Array("unikernel: refused \(operation) of \(detail) (\(reason)): EACCES\n".utf8)
        _ = line.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
