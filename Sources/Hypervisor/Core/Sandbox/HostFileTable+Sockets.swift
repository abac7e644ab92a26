import CLinux
import Glibc
import UnikernelABI

/// Which sockets a guest may make (`--net`).
public enum NetworkPolicy: String, Equatable, Sendable {
    /// The guest reaches what the program would reach run directly.
    case host
    /// AF_INET and AF_INET6 sockets are refused (EACCES, as under a seccomp policy); AF_UNIX works.
    case none
}

/// The guest's sockets are host sockets the host makes and uses on its behalf
/// (UK_FILE_SOCKET): always non-blocking and close-on-exec here, so no vCPU ever waits in the
/// host; the guest's kernel decides whether a call waits (it polls the handle) and sends
/// SIGPIPE itself. AF_UNIX path names live in the guest's file system: the guest gives the
/// absolute guest path, the host resolves its directory beneath the guest's root (O_PATH, as
/// every other path) and names the socket file as "/proc/self/fd/<dir>/<name>", so a path can
/// never reach a socket outside the guest's file system. Abstract names are refused (EACCES):
/// they would be shared with every host process.
extension HostFileTable {
    static let socketCallSize = MemoryLayout<uk_socket_call>.size
    static let familyUnix: Int32 = 1, familyInet: Int32 = 2, familyInet6: Int32 = 10
    static let socketNonblock: Int32 = 0o4000, socketCloexec: Int32 = 0o2000000
    static let messageDontWait: Int32 = 0x40, messageNoSignal: Int32 = 0x4000
    static let messageCmsgCloexec: Int32 = 0x4000_0000
    /// SCM_MAX_FD: the most descriptors one SCM_RIGHTS message carries.
    static let maximumRights: Int32 = 253
    /// CMSG_SPACE for `count` descriptors: the 16-byte header and the data, rounded to 8.
    static func controlSpace(_ count: Int) -> Int { (16 + 4 * count + 7) & ~7 }
    /// sizeof(struct sockaddr_un): sun_family then 108 bytes of sun_path.
    static let unixAddressSize = 110

    /// Performs the socket call in `buffer` (uk_socket_call, then its data and path) on
    /// `handle`; writes the call's outputs back. Returns >= 0 or -errno.
    func socketCall(handle: Int32, buffer: UnsafeMutableRawBufferPointer?) -> Int64 {
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
        guard rightsCount <= HostFileTable.maximumRights,
              rightsStart + rightsCount * (call.op == UK_SOCK_RECV.rawValue ? 8 : 4) <= buffer.count else { return -Int64(EINVAL) }
        let rights = UnsafeMutableRawBufferPointer(rebasing: buffer[rightsStart ..< buffer.count])
        let result: Int64
        switch call.op {
        case UK_SOCK_CREATE.rawValue:
            result = makeSocket(&call, pair: false)
        case UK_SOCK_PAIR.rawValue:
            result = makeSocket(&call, pair: true)
        default:
            guard let fd = descriptor(handle) else { return -Int64(EBADF) }
            result = socketOperation(fd, &call, data: data, path: path, rights: rights)
        }
        buffer.storeBytes(of: call, as: uk_socket_call.self)
        return result
    }

    private func makeSocket(_ call: inout uk_socket_call, pair: Bool) -> Int64 {
        let domain = call.a0
        guard domain == HostFileTable.familyUnix || domain == HostFileTable.familyInet
            || domain == HostFileTable.familyInet6 else { return -Int64(EAFNOSUPPORT) }
        if network == .none, domain != HostFileTable.familyUnix {
            reportRefusal(pair ? "socketpair" : "socket", detail: domain == HostFileTable.familyInet ? "AF_INET" : "AF_INET6",
                          policy: true)
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
                                 path: [UInt8], rights: UnsafeMutableRawBufferPointer) -> Int64 {
        var result: Int
        switch call.op {
        case UK_SOCK_BIND.rawValue:
            if !path.isEmpty, isReadOnly(path) { return -Int64(EROFS) }
            return withAddress(call, path: path, operation: "bind") { address, length in
                Glibc.bind(fd, address, length) == 0 ? 0 : -Int64(errno)
            }
        case UK_SOCK_CONNECT.rawValue:
            return withAddress(call, path: path, operation: "connect") { address, length in
                Glibc.connect(fd, address, length) == 0 ? 0 : -Int64(errno)
            }
        case UK_SOCK_LISTEN.rawValue:
            result = Int(Glibc.listen(fd, call.a0))
        case UK_SOCK_SHUTDOWN.rawValue:
            result = Int(Glibc.shutdown(fd, call.a0))
        case UK_SOCK_ACCEPT.rawValue:
            let accepted = receiveAddress(&call) { address, length in
                Int(clinux_accept4(fd, address, length, HostFileTable.socketNonblock | HostFileTable.socketCloexec))
            }
            guard accepted >= 0 else { return -Int64(errno) }
            return adopt(Int32(accepted))
        case UK_SOCK_NAME.rawValue:
            result = receiveAddress(&call) { address, length in Int(getsockname(fd, address, length)) }
        case UK_SOCK_PEER.rawValue:
            result = receiveAddress(&call) { address, length in Int(getpeername(fd, address, length)) }
        case UK_SOCK_SEND.rawValue:
            let flags = call.a0 | HostFileTable.messageDontWait | HostFileTable.messageNoSignal
            if call.a1 > 0 { return sendRights(fd, call, data: data, path: path, rights: rights, flags: flags) }
            guard call.addr_len > 0 || !path.isEmpty else {
                result = Glibc.send(fd, data.baseAddress, data.count, flags)
                break
            }
            return withAddress(call, path: path, operation: "sendto") { address, length in
                let sent = Glibc.sendto(fd, data.baseAddress, data.count, flags, address, length)
                return sent < 0 ? -Int64(errno) : Int64(sent)
            }
        case UK_SOCK_RECV.rawValue:
            var flags: Int32 = 0
            let flagsIn = call.a0 | HostFileTable.messageDontWait | HostFileTable.messageCmsgCloexec
            // Room for call.a1 descriptors (SCM_RIGHTS) in a control buffer of CMSG_SPACE bytes.
            let room = Int(min(max(call.a1, 0), HostFileTable.maximumRights))
            var control = [UInt8](repeating: 0, count: room > 0 ? HostFileTable.controlSpace(room) : 0)
            var controlLength = 0
            result = receiveAddress(&call) { address, length in
                var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                var message = msghdr()
                message.msg_name = UnsafeMutableRawPointer(address)
                message.msg_namelen = length.pointee
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    control.withUnsafeMutableBytes { controlBytes in
                        message.msg_iov = vectorPointer
                        message.msg_iovlen = 1
                        message.msg_control = controlBytes.baseAddress
                        message.msg_controllen = controlBytes.count
                        let received = Glibc.recvmsg(fd, &message, flagsIn)
                        length.pointee = message.msg_namelen
                        flags = message.msg_flags
                        controlLength = received >= 0 ? message.msg_controllen : 0
                        return received
                    }
                }
            }
            call.msg_flags = UInt32(bitPattern: flags)
            call.a1 = result >= 0 ? adoptRights(control, length: controlLength, into: rights) : 0
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

    /// Runs `body` with an address the host may use for the guest's: the AF_UNIX path
    /// resolved beneath the guest's root, or the guest's own address (an internet one, or an
    /// unnamed AF_UNIX one); a path or abstract AF_UNIX name given raw is refused.
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
            let family = length >= 2 ? Int32(bytes.load(as: UInt16.self)) : -1
            if family == HostFileTable.familyUnix, length > 2 {
                reportRefusal(operation, detail: "an AF_UNIX name outside the guest's file system (abstract)")
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
    /// means nothing to the guest: it comes back unnamed (the guest's kernel knows its own).
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
        var size = min(Int(length), 128)
        if storage.ss_family == UInt16(HostFileTable.familyUnix), size > 2 {
            let first = withUnsafeBytes(of: &storage) { $0[2] }
            if first == UInt8(ascii: "/") { size = 2 }
        }
        withUnsafeMutableBytes(of: &call.addr) { out in
            withUnsafeBytes(of: &storage) { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0 ..< 128])) }
        }
        call.addr_len = UInt32(size)
        errno = saved
        return result
    }

    /// sendmsg(2) with one SCM_RIGHTS message of the host descriptors behind the guest's
    /// `call.a1` handles (at the start of `rights`): EBADF for a handle the table lacks.
    private func sendRights(_ fd: Int32, _ call: uk_socket_call, data: UnsafeMutableRawBufferPointer, path: [UInt8],
                            rights: UnsafeMutableRawBufferPointer, flags: Int32) -> Int64 {
        let count = Int(call.a1)
        // SAFETY: `control` holds CMSG_SPACE(4 * count) bytes, every store lies inside it, and
        // `rights` holds the count handles (checked in socketCall).
        var control = [UInt8](repeating: 0, count: HostFileTable.controlSpace(count))
        let length = 16 + 4 * count
        for index in 0..<count {
            guard let passed = descriptor(rights.loadUnaligned(fromByteOffset: index * 4, as: Int32.self)) else {
                return -Int64(EBADF)
            }
            control.withUnsafeMutableBytes { $0.storeBytes(of: passed, toByteOffset: 16 + index * 4, as: Int32.self) }
        }
        control.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: UInt64(length), toByteOffset: 0, as: UInt64.self)
            bytes.storeBytes(of: Int32(1), toByteOffset: 8, as: Int32.self)  // SOL_SOCKET
            bytes.storeBytes(of: Int32(1), toByteOffset: 12, as: Int32.self)  // SCM_RIGHTS
        }
        let send = { (address: UnsafePointer<sockaddr>?, addressLength: socklen_t) -> Int64 in
            var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
            var message = msghdr()
            message.msg_name = UnsafeMutableRawPointer(mutating: address)
            message.msg_namelen = addressLength
            let sent = withUnsafeMutablePointer(to: &vector) { vectorPointer in
                control.withUnsafeMutableBytes { controlBytes in
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    return Glibc.sendmsg(fd, &message, flags)
                }
            }
            return sent < 0 ? -Int64(errno) : Int64(sent)
        }
        guard call.addr_len > 0 || !path.isEmpty else { return send(nil, 0) }
        return withAddress(call, path: path, operation: "sendmsg") { address, length in send(address, length) }
    }

    /// Takes the descriptors of the SCM_RIGHTS messages in `control` (its first `length`
    /// bytes) as new handles, written to `rights` as (handle, UK_HOST_KIND_*) pairs; returns
    /// how many. A socket is made non-blocking (the guest's kernel waits for it); descriptors
    /// beyond the table's room are closed.
    private func adoptRights(_ control: [UInt8], length: Int, into rights: UnsafeMutableRawBufferPointer) -> Int32 {
        // SAFETY: each message is read only when its header and data lie within the `length`
        // bytes the host kernel filled; each pair is stored only when it fits in `rights`.
        var adopted: Int32 = 0
        var offset = 0
        control.withUnsafeBytes { bytes in
            while offset + 16 <= length {
                let size = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                guard size >= 16, offset + size <= length else { break }
                let level = bytes.loadUnaligned(fromByteOffset: offset + 8, as: Int32.self)
                let type = bytes.loadUnaligned(fromByteOffset: offset + 12, as: Int32.self)
                if level == 1, type == 1 {
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
                        rights.storeBytes(of: socket ? UK_HOST_KIND_SOCKET : UK_HOST_KIND_PLAIN,
                                          toByteOffset: Int(adopted) * 8 + 4, as: Int32.self)
                        adopted += 1
                    }
                }
                offset += (size + 7) & ~7
            }
        }
        return adopted
    }

    /// Reports a refusal on stderr, once per call and reason.
    func reportRefusal(_ operation: String, detail: String, policy: Bool = false) {
        let key = operation + " " + detail
        guard !reportedRefusals.contains(key) else { return }
        reportedRefusals.insert(key)
        let network = policy ? " (--net none)" : ""
        let line = Array("unikernel: refused \(operation) of \(detail)\(network): EACCES\n".utf8)
        _ = line.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
