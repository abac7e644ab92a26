import Foundation
import Glibc
import Testing

@testable import Hypervisor
import UnikernelABI

/// The guest's sockets: host sockets the host makes for it (UK_FILE_SOCKET), under the --net
/// policy, with AF_UNIX path names resolved beneath the guest's root.
@Suite("Host sockets")
final class HostSocketTests {
    let base: URL
    let root: URL

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("sockets-\(UUID().uuidString)")
        root = base.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("run"), withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: base) }

    /// Makes socket call `op` on `handle` with a raw address or a guest path; returns the
    /// result and the call as the host left it.
    func call(_ files: HostFileTable, _ op: uk_socket_op, handle: Int32 = -1, _ a0: Int32 = 0, _ a1: Int32 = 0,
              address: [UInt8] = [], path: String = "") -> (Int64, uk_socket_call) {
        let size = MemoryLayout<uk_socket_call>.size
        var bytes = [UInt8](repeating: 0, count: size + path.utf8.count)
        var header = uk_socket_call()
        header.op = op.rawValue
        header.a0 = a0
        header.a1 = a1
        header.addr_len = UInt32(address.count)
        header.path_len = UInt32(path.utf8.count)
        withUnsafeMutableBytes(of: &header.addr) { out in
            for (index, byte) in address.enumerated() { out[index] = byte }
        }
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: header, as: uk_socket_call.self) }
        for (index, byte) in path.utf8.enumerated() { bytes[size + index] = byte }
        let result = bytes.withUnsafeMutableBytes {
            files.file(handle: handle, operation: UK_FILE_SOCKET.rawValue, buffer: $0, value: 0)
        }
        return (result, bytes.withUnsafeBytes { $0.loadUnaligned(as: uk_socket_call.self) })
    }

    @Test func netNoneRefusesInternetSocketsButNotUnixOnes() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        files.network = .none
        #expect(call(files, UK_SOCK_CREATE, 2, 1).0 == -Int64(EACCES))
        #expect(call(files, UK_SOCK_CREATE, 10, 2).0 == -Int64(EACCES))
        let unix = call(files, UK_SOCK_CREATE, 1, 1).0
        #expect(unix > 2)
        #expect(call(files, UK_SOCK_CREATE, 1234, 1).0 == -Int64(EAFNOSUPPORT))
        files.network = .host
        #expect(call(files, UK_SOCK_CREATE, 2, 1).0 > 2)
    }

    @Test func hostSocketsAreNonBlockingAndCloseOnExec() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        let handle = Int32(call(files, UK_SOCK_CREATE, 1, 1).0)
        let fd = try #require(files.descriptor(handle))
        #expect(fcntl(fd, F_GETFL) & O_NONBLOCK != 0)
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
    }

    @Test func unixPathsAreBoundBeneathTheRoot() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        let server = Int32(call(files, UK_SOCK_CREATE, 1, 1).0)
        #expect(call(files, UK_SOCK_BIND, handle: server, path: "/run/server.sock").0 == 0)
        var status = stat()
        #expect(lstat(root.appendingPathComponent("run/server.sock").path, &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFSOCK)
        // Absolute and `..` paths stop at the guest's root: nothing appears beside it.
        let other = Int32(call(files, UK_SOCK_CREATE, 1, 1).0)
        #expect(call(files, UK_SOCK_BIND, handle: other, path: "/../outside.sock").0 == 0)
        #expect(!FileManager.default.fileExists(atPath: base.appendingPathComponent("outside.sock").path))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("outside.sock").path))
        #expect(call(files, UK_SOCK_LISTEN, handle: server, 4).0 == 0)
        let client = Int32(call(files, UK_SOCK_CREATE, 1, 1).0)
        #expect(call(files, UK_SOCK_CONNECT, handle: client, path: "/run/server.sock").0 == 0)
        // getsockname answers unnamed for the host's own name of the file.
        let (result, named) = call(files, UK_SOCK_NAME, handle: server)
        #expect(result == 0)
        #expect(named.addr_len == 2)
    }

    @Test func rawUnixPathsAreRefused() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        let handle = Int32(call(files, UK_SOCK_CREATE, 1, 1).0)
        // A path given as a raw address is never a host path.
        #expect(call(files, UK_SOCK_CONNECT, handle: handle, address: [1, 0] + Array("/tmp/x".utf8) + [0]).0 == -Int64(EACCES))
    }

    /// The host's abstract names of the guest's sockets (the "@name" entries of /proc/net/unix).
    func hostAbstractNames() throws -> [String] {
        let table = try String(contentsOfFile: "/proc/net/unix", encoding: .utf8)
        return table.split(separator: "\n").compactMap { line in
            line.split(separator: " ").last.flatMap { $0.hasPrefix("@") ? String($0.dropFirst()) : nil }
        }
    }

    @Test func abstractNamesLiveInTheGuestsNamespace() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        let namespace = files.network.abstractNamespace
        #expect(!namespace.isEmpty)
        let server = Int32(call(files, UK_SOCK_CREATE, 1, 1).0)
        let name = "fixture-\(UInt32.random(in: 0 ... .max))"
        #expect(call(files, UK_SOCK_BIND, handle: server, address: [1, 0, 0] + Array(name.utf8)).0 == 0)
        #expect(call(files, UK_SOCK_LISTEN, handle: server, 4).0 == 0)
        // On the host the name carries the namespace; the guest gets its own name back.
        #expect(try hostAbstractNames().contains(namespace + name))
        #expect(try !hostAbstractNames().contains(name))
        let (_, named) = call(files, UK_SOCK_NAME, handle: server)
        let answered = withUnsafeBytes(of: named.addr) { Array($0[0 ..< Int(named.addr_len)]) }
        #expect(answered == [1, 0, 0] + Array(name.utf8))
        // Another guest (another namespace) does not reach it; the same guest does.
        let other = try HostFileTable(rootDirectory: root.path)
        let stranger = Int32(call(other, UK_SOCK_CREATE, 1, 1).0)
        #expect(call(other, UK_SOCK_CONNECT, handle: stranger, address: [1, 0, 0] + Array(name.utf8)).0 == -Int64(ECONNREFUSED))
        let client = Int32(call(files, UK_SOCK_CREATE, 1, 1).0)
        #expect(call(files, UK_SOCK_CONNECT, handle: client, address: [1, 0, 0] + Array(name.utf8)).0 == 0)
        // Autobind: five hex digits, in the namespace too.
        let unnamed = Int32(call(files, UK_SOCK_CREATE, 1, 2).0)
        #expect(call(files, UK_SOCK_BIND, handle: unnamed, address: [1, 0]).0 == 0)
        let (_, auto) = call(files, UK_SOCK_NAME, handle: unnamed)
        #expect(auto.addr_len == 8)
        let digits = withUnsafeBytes(of: auto.addr) { String(decoding: $0[3 ..< 8], as: UTF8.self) }
        #expect(try hostAbstractNames().contains(namespace + digits))
    }

    @Test func allowAndListenListsDecideInternetAddresses() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        var policy = NetworkPolicy.host
        #expect(policy.allow("127.0.0.1:4000") == nil)
        #expect(policy.allow("[::1]") == nil)
        #expect(policy.allowListening("4000") == nil)
        files.network = policy
        func inet(_ address: [UInt8], _ port: UInt16) -> [UInt8] { [2, 0, UInt8(port >> 8), UInt8(port & 0xFF)] + address + [UInt8](repeating: 0, count: 8) }
        let udp = Int32(call(files, UK_SOCK_CREATE, 2, 2).0)
        #expect(call(files, UK_SOCK_BIND, handle: udp, address: inet([127, 0, 0, 1], 4001)).0 == -Int64(EACCES))
        #expect(call(files, UK_SOCK_CONNECT, handle: udp, address: inet([127, 0, 0, 1], 4001)).0 == -Int64(EACCES))
        #expect(call(files, UK_SOCK_CONNECT, handle: udp, address: inet([127, 0, 0, 2], 4000)).0 == -Int64(EACCES))
        #expect(call(files, UK_SOCK_CONNECT, handle: udp, address: inet([127, 0, 0, 1], 4000)).0 == 0)
        // IPv6: any port of ::1; an IPv4-mapped address is its IPv4 one.
        func inet6(_ address: [UInt8], _ port: UInt16) -> [UInt8] {
            [10, 0, UInt8(port >> 8), UInt8(port & 0xFF), 0, 0, 0, 0] + address + [0, 0, 0, 0]
        }
        let loopback6 = [UInt8](repeating: 0, count: 15) + [1]
        let mapped = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 127, 0, 0, 1]
        let udp6 = Int32(call(files, UK_SOCK_CREATE, 10, 2).0)
        #expect(call(files, UK_SOCK_CONNECT, handle: udp6, address: inet6(loopback6, 9)).0 == 0)
        #expect(call(files, UK_SOCK_CONNECT, handle: udp6, address: inet6(mapped, 4001)).0 == -Int64(EACCES))
        #expect(call(files, UK_SOCK_CONNECT, handle: udp6, address: inet6(mapped, 4000)).0 == 0)
        #expect(policy.commandLineOptions.contains("--net-allow"))
    }

    @Test func unixAddressNamesTheFileThroughItsDirectory() {
        let address = "name".withCString { HostFileTable.unixAddress(directory: 7, name: $0) }
        #expect(address == [1, 0] + Array("/proc/self/fd/7/name".utf8) + [0])
        let long = String(repeating: "x", count: 100)
        #expect(long.withCString { HostFileTable.unixAddress(directory: 7, name: $0) } == nil)
    }
}

extension HostSocketTests {
    @Test func rightsTravelAsHostDescriptorsAndArriveAsNewHandles() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        let size = MemoryLayout<uk_socket_call>.size
        var bytes = [UInt8](repeating: 0, count: size + 1 + 8)
        var header = uk_socket_call()
        header.op = UK_SOCK_PAIR.rawValue
        header.a0 = 1
        header.a1 = 1
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: header, as: uk_socket_call.self) }
        _ = bytes.withUnsafeMutableBytes { files.file(handle: -1, operation: UK_FILE_SOCKET.rawValue, buffer: $0, value: 0) }
        let pair = bytes.withUnsafeBytes { $0.loadUnaligned(as: uk_socket_call.self) }.handles
        let passed = Int32(call(files, UK_SOCK_CREATE, 1, 2).0)
        // SEND: one byte of data, then one handle.
        header = uk_socket_call()
        header.op = UK_SOCK_SEND.rawValue
        header.a1 = 1
        header.data_len = 1
        bytes = [UInt8](repeating: 0, count: size + 1 + 4)
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: header, as: uk_socket_call.self)
            $0.storeBytes(of: UInt8(ascii: "x"), toByteOffset: size, as: UInt8.self)
            $0.storeBytes(of: passed, toByteOffset: size + 1, as: Int32.self)
        }
        #expect(bytes.withUnsafeMutableBytes { files.file(handle: pair.0, operation: UK_FILE_SOCKET.rawValue, buffer: $0, value: 0) } == 1)
        // RECV: room for one byte and one descriptor (a control buffer of CMSG_SPACE(4) bytes).
        header = uk_socket_call()
        header.op = UK_SOCK_RECV.rawValue
        header.a1 = 1
        header.a2 = 24
        header.data_len = 1
        // After the data: room for one (handle, kind) pair, then for other control messages (a2 bytes).
        bytes = [UInt8](repeating: 0, count: size + 1 + 8 + 24)
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: header, as: uk_socket_call.self) }
        #expect(bytes.withUnsafeMutableBytes { files.file(handle: pair.1, operation: UK_FILE_SOCKET.rawValue, buffer: $0, value: 0) } == 1)
        let answered = bytes.withUnsafeBytes { $0.loadUnaligned(as: uk_socket_call.self) }
        #expect(answered.a1 == 1)
        let handle = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: size + 1, as: Int32.self) }
        let kind = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: size + 5, as: Int32.self) }
        #expect(kind == UK_HOST_KIND_SOCKET)
        #expect(handle != passed)
        let fd = try #require(files.descriptor(handle))
        #expect(fcntl(fd, F_GETFL) & O_NONBLOCK != 0)
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
        // A handle the table lacks: EBADF.
        header = uk_socket_call()
        header.op = UK_SOCK_SEND.rawValue
        header.a1 = 1
        bytes = [UInt8](repeating: 0, count: size + 4)
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: header, as: uk_socket_call.self)
            $0.storeBytes(of: Int32(999), toByteOffset: size, as: Int32.self)
        }
        #expect(bytes.withUnsafeMutableBytes { files.file(handle: pair.0, operation: UK_FILE_SOCKET.rawValue, buffer: $0, value: 0) } == -Int64(EBADF))
    }

    /// Other control messages pass as they are, but a descriptor can never be given raw (as a
    /// host descriptor number in an SCM_RIGHTS record of the "other" bytes).
    @Test func rawRightsInOtherControlMessagesAreRefused() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        let size = MemoryLayout<uk_socket_call>.size
        var pair = uk_socket_call()
        pair.op = UK_SOCK_PAIR.rawValue
        pair.a0 = 1
        pair.a1 = 2
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: pair, as: uk_socket_call.self) }
        _ = bytes.withUnsafeMutableBytes { files.file(handle: -1, operation: UK_FILE_SOCKET.rawValue, buffer: $0, value: 0) }
        let handles = bytes.withUnsafeBytes { $0.loadUnaligned(as: uk_socket_call.self) }.handles
        func send(level: Int32, type: Int32) -> Int64 {
            var header = uk_socket_call()
            header.op = UK_SOCK_SEND.rawValue
            header.control_len = 24
            var message = [UInt8](repeating: 0, count: size + 24)
            message.withUnsafeMutableBytes {
                $0.storeBytes(of: header, as: uk_socket_call.self)
                $0.storeBytes(of: UInt64(20), toByteOffset: size, as: UInt64.self)
                $0.storeBytes(of: level, toByteOffset: size + 8, as: Int32.self)
                $0.storeBytes(of: type, toByteOffset: size + 12, as: Int32.self)
                $0.storeBytes(of: Int32(2), toByteOffset: size + 16, as: Int32.self)  // the host's stderr
            }
            return message.withUnsafeMutableBytes { files.file(handle: handles.0, operation: UK_FILE_SOCKET.rawValue, buffer: $0, value: 0) }
        }
        #expect(send(level: 1, type: 1) == -Int64(EINVAL))  // SOL_SOCKET, SCM_RIGHTS
        #expect(send(level: 1, type: 2) == -Int64(EINVAL))  // SOL_SOCKET, SCM_CREDENTIALS
    }
}
