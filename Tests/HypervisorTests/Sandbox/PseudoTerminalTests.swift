import Foundation
import Glibc
import Testing

@testable import Hypervisor
import UnikernelABI

/// Pseudo-terminals the guest opens itself: the host's /dev/ptmx, the multiplexer requests, and
/// the rule that a name in /dev/pts opens only the terminal end of a pair the table holds.
@Suite("Pseudo-terminals")
final class PseudoTerminalTests {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("pty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// A request whose integer argument is `value` (8 bytes, as the kernel passes one by value);
    /// returns the result and the first 4 bytes the host left there.
    private func control(_ files: HostFileTable, _ handle: Int32, _ request: UInt32, value: Int64 = 0) -> (Int64, Int32) {
        var argument = value
        let result = withUnsafeMutableBytes(of: &argument) { files.terminalControl(handle: handle, request: request, into: $0) }
        return (result, Int32(truncatingIfNeeded: argument))
    }

    private func open(_ files: HostFileTable, _ path: String, _ flags: Int32 = O_RDWR | O_NOCTTY) -> Int64 {
        files.open(path: Array(path.utf8), flags: flags, mode: 0o600)
    }

    /// The pseudo-terminal number of multiplexer handle `handle`.
    private func number(_ files: HostFileTable, _ handle: Int32) throws -> Int32 {
        let (result, number) = control(files, handle, HostFileTable.PseudoTerminal.number)
        try #require(result == 0)
        return number
    }

    @Test func ptmxGivesAPairWhoseTerminalEndOpensByName() throws {
        let files = try HostFileTable(rootDirectory: root.path, devicesAt: "/dev")
        let master = open(files, "/dev/ptmx")
        try #require(master > 2, "the host has no /dev/ptmx")
        let handle = Int32(master)
        let name = "/dev/pts/\(try number(files, handle))"
        // Locked at first: the terminal end cannot be opened (EIO, as on Linux).
        #expect(control(files, handle, HostFileTable.PseudoTerminal.lockState) == (0, 1))
        #expect(open(files, name) == -Int64(EIO))
        #expect(control(files, handle, HostFileTable.PseudoTerminal.openPeer, value: Int64(O_RDWR | O_NOCTTY)).0 == -Int64(EIO))
        #expect(control(files, handle, HostFileTable.PseudoTerminal.setLock, value: 0).0 == 0)
        #expect(control(files, handle, HostFileTable.PseudoTerminal.lockState) == (0, 0))

        let terminal = open(files, name)
        #expect(terminal > 2)
        let terminalFD = try #require(files.descriptor(Int32(terminal)))
        #expect(isatty(terminalFD) == 1)
        #expect(fcntl(terminalFD, F_GETFD) & FD_CLOEXEC != 0)
        // What a terminal refuses as a name, and a stat through the same rule.
        #expect(open(files, name, O_RDWR | O_CREAT | O_EXCL) == -Int64(EEXIST))
        #expect(open(files, name, O_RDONLY | O_DIRECTORY) == -Int64(ENOTDIR))
        var info = [UInt8](repeating: 0, count: Int(HostFileTable.linuxStatSize))
        let stat = HostFileTable.PathRequest(operation: UK_PATH_STAT.rawValue, path: Array(name.utf8))
        #expect(info.withUnsafeMutableBytes { files.perform(stat, buffer: $0) } == 0)
        let mode = info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 24, as: UInt32.self) }
        #expect(mode & UInt32(S_IFMT) == UInt32(S_IFCHR))

        // TIOCGPTPEER: the same terminal once more, as a new handle.
        let (peer, _) = control(files, handle, HostFileTable.PseudoTerminal.openPeer, value: Int64(O_RDWR | O_NOCTTY))
        #expect(peer > 2 && peer != terminal)
        let peerFD = try #require(files.descriptor(Int32(peer)))
        var a = Glibc.stat(), b = Glibc.stat()
        #expect(fstat(peerFD, &a) == 0 && fstat(terminalFD, &b) == 0 && a.st_rdev == b.st_rdev)
        // Bytes through the pair, and packet mode.
        #expect(Glibc.write(peerFD, "x", 1) == 1)
        let masterFD = try #require(files.descriptor(handle))
        var byte: UInt8 = 0
        #expect(Glibc.read(masterFD, &byte, 1) == 1 && byte == UInt8(ascii: "x"))
        #expect(control(files, handle, HostFileTable.PseudoTerminal.packetState) == (0, 0))
        #expect(control(files, handle, HostFileTable.PseudoTerminal.setPacketMode, value: 1).0 == 0)
        #expect(control(files, handle, HostFileTable.PseudoTerminal.packetState) == (0, 1))
        // TIOCGPTPEER on a terminal end is EIO, TIOCGPTN there ENOTTY.
        #expect(control(files, Int32(terminal), HostFileTable.PseudoTerminal.openPeer, value: Int64(O_RDWR)).0 == -Int64(EIO))
        #expect(control(files, Int32(terminal), HostFileTable.PseudoTerminal.number).0 == -Int64(ENOTTY))
    }

    @Test func onlyTheTerminalEndsOfHeldPairsExist() throws {
        let files = try HostFileTable(rootDirectory: root.path, devicesAt: "/dev")
        // A pair the table does not hold, as another program's would be.
        let other = Glibc.open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        try #require(other >= 0, "the host has no /dev/ptmx")
        var unlocked: Int32 = 0
        #expect(ioctl(other, UInt(HostFileTable.PseudoTerminal.setLock), &unlocked) == 0)
        var otherNumber: UInt32 = 0
        #expect(ioctl(other, UInt(HostFileTable.PseudoTerminal.number), &otherNumber) == 0)
        let name = "/dev/pts/\(otherNumber)"
        #expect(open(files, name) == -Int64(ENOENT))
        #expect(open(files, name, O_RDWR | O_CREAT) == -Int64(EACCES))
        var info = [UInt8](repeating: 0, count: Int(HostFileTable.linuxStatSize))
        let stat = HostFileTable.PathRequest(operation: UK_PATH_STAT.rawValue, path: Array(name.utf8))
        #expect(info.withUnsafeMutableBytes { files.perform(stat, buffer: $0) } == -Int64(ENOENT))
        for missing in ["/dev/pts/999999", "/dev/pts/0\(otherNumber)", "/dev/pts/ptmx", "/dev/pts/", "/dev/pts/-1"] {
            #expect(open(files, missing) < 0)
        }
        // Once the table holds the multiplexer end (as a guest that inherited it), the name opens;
        // once it closes it, the name is gone again.
        let adopted = Int32(files.adopt(other))
        let terminal = open(files, name)
        #expect(terminal > 2)
        #expect(files.close(handle: Int32(terminal)) == 0)
        #expect(open(files, "/dev/pts/..//pts/\(otherNumber)") > 2)
        // Still held as a terminal end, but its name went with the multiplexer end, as on Linux.
        #expect(files.close(handle: adopted) == 0)
        #expect(open(files, name) == -Int64(ENOENT))
    }

    @Test func aHeldTerminalEndOpensByNameWithoutItsMultiplexer() throws {
        let files = try HostFileTable(rootDirectory: root.path, devicesAt: "/dev")
        // The pair's multiplexer end stays outside the table, as after forkpty's child closed it.
        let master = Glibc.open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        try #require(master >= 0, "the host has no /dev/ptmx")
        defer { Glibc.close(master) }
        var unlocked: Int32 = 0, number: UInt32 = 0
        #expect(ioctl(master, UInt(HostFileTable.PseudoTerminal.setLock), &unlocked) == 0)
        #expect(ioctl(master, UInt(HostFileTable.PseudoTerminal.number), &number) == 0)
        let slave = ioctl(master, UInt(HostFileTable.PseudoTerminal.openPeer), O_RDWR | O_NOCTTY | O_CLOEXEC)
        try #require(slave >= 0)
        let name = "/dev/pts/\(number)"
        let held = Int32(files.adopt(slave))
        #expect(files.heldTerminal(named: Array(String(number).utf8)) == .terminalEnd(slave))
        let again = open(files, name)
        #expect(again > 2)
        let fd = try #require(files.descriptor(Int32(again)))
        var a = Glibc.stat(), b = Glibc.stat()
        #expect(fstat(fd, &a) == 0 && fstat(slave, &b) == 0 && a.st_rdev == b.st_rdev && a.st_ino == b.st_ino)
        #expect(files.close(handle: Int32(again)) == 0)
        #expect(files.close(handle: held) == 0)
        #expect(open(files, name) == -Int64(ENOENT))
    }

    @Test func multiplexerRequestsOnAPipeAreNotATerminal() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        let reader = Int32(files.adopt(ends[0]))
        _ = files.adopt(ends[1])
        for request in [HostFileTable.PseudoTerminal.number, HostFileTable.PseudoTerminal.setLock,
                        HostFileTable.PseudoTerminal.lockState, HostFileTable.PseudoTerminal.setPacketMode,
                        HostFileTable.PseudoTerminal.packetState, HostFileTable.PseudoTerminal.openPeer] {
            #expect(control(files, reader, request, value: Int64(O_RDWR)).0 == -Int64(ENOTTY))
        }
        // Without a /dev of host devices there are no pseudo-terminals either.
        #expect(open(files, "/dev/ptmx") < 0)
    }
}
