import Foundation
import Glibc
import Testing

@testable import Hypervisor
import UnikernelABI

/// Terminal job-control requests on host handles, and the parent-death signal an exec keeps.
@Suite("Terminal control and exec state")
final class TerminalControlTests {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("terminal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    private func control(_ files: HostFileTable, _ handle: Int32, _ request: Int32, value: Int32 = 0, flags: UInt32 = 0) -> Int64 {
        var argument = value
        return withUnsafeMutableBytes(of: &argument) {
            files.terminalControl(handle: handle, request: UInt32(request), flags: flags, into: $0)
        }
    }

    @Test func jobControlOnAPipeIsNotATerminal() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        let reader = Int32(files.adopt(ends[0])), writer = Int32(files.adopt(ends[1]))
        for request in [TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSCTTY, TIOCNOTTY] {
            #expect(control(files, reader, Int32(request), value: getpgrp()) == -Int64(ENOTTY))
            #expect(control(files, writer, Int32(request), value: getpgrp(), flags: UK_IOCTL_TTOU_IGNORED) == -Int64(ENOTTY))
        }
        #expect(control(files, 999, Int32(TIOCGPGRP)) == -Int64(EBADF))
        // An answer needs room for a pid_t.
        let short = UnsafeMutableRawBufferPointer.allocate(byteCount: 2, alignment: 1)
        defer { short.deallocate() }
        #expect(files.terminalControl(handle: reader, request: UInt32(TIOCGPGRP), into: short) == -Int64(EFAULT))
    }

    /// A fresh pseudo-terminal's terminal end, adopted as a handle, and its multiplexer end (nil
    /// when the host has no devpts). TIOCSPTLCK unlocks the terminal end, TIOCGPTPEER opens it.
    private func terminal(_ files: HostFileTable) -> (handle: Int32, master: Int32)? {
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { return nil }
        var locked: Int32 = 0
        let slave = ioctl(master, 0x4004_5431, &locked) == 0 ? ioctl(master, 0x5441, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1
        guard slave >= 0 else { close(master); return nil }
        return (Int32(files.adopt(slave)), master)
    }

    @Test func terminalSettingsAndWindowSizeReachTheHostTerminal() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        let (handle, master) = try #require(terminal(files))
        defer { close(master) }
        // The kernel's struct termios: 4 flag words, the line discipline, 19 control characters.
        var settings = [UInt8](repeating: 0, count: 60)
        #expect(settings.withUnsafeMutableBytes { files.terminalControl(handle: handle, request: UInt32(TCGETS), into: $0) } == 0)
        let lflagOffset = 12, vminOffset = 17 + Int(VMIN)
        var lflag = settings.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: lflagOffset, as: UInt32.self) }
        #expect(lflag & UInt32(ICANON) != 0)
        lflag &= ~UInt32(ICANON | ECHO)
        settings.withUnsafeMutableBytes { $0.storeBytes(of: lflag, toByteOffset: lflagOffset, as: UInt32.self) }
        settings[vminOffset] = 5
        for request in [TCSETS, TCSETSW, TCSETSF] {
            #expect(settings.withUnsafeMutableBytes { files.terminalControl(handle: handle, request: UInt32(request), into: $0) } == 0)
        }
        var host = termios()
        #expect(tcgetattr(master, &host) == 0)
        #expect(host.c_lflag & tcflag_t(ICANON | ECHO) == 0)
        #expect(withUnsafeBytes(of: host.c_cc) { $0[Int(VMIN)] } == 5)
        var size: (UInt16, UInt16, UInt16, UInt16) = (33, 101, 808, 528)
        #expect(withUnsafeMutableBytes(of: &size) { files.terminalControl(handle: handle, request: UInt32(TIOCSWINSZ), into: $0) } == 0)
        var window = winsize()
        #expect(ioctl(master, UInt(TIOCGWINSZ), &window) == 0)
        #expect(window.ws_row == 33 && window.ws_col == 101 && window.ws_xpixel == 808 && window.ws_ypixel == 528)
        // Requests that take their integer by value: discard the queues, resume output, drain.
        for (request, value) in [(TCFLSH, UInt64(TCIOFLUSH)), (TCXONC, UInt64(TCOON)), (TCSBRK, 1)] {
            var argument = value
            #expect(withUnsafeMutableBytes(of: &argument) { files.terminalControl(handle: handle, request: UInt32(request), into: $0) } == 0)
        }
        // Settings need the whole structure.
        let short = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
        defer { short.deallocate() }
        #expect(files.terminalControl(handle: handle, request: UInt32(TCSETS), into: short) == -Int64(EFAULT))
    }

    @Test func settingsOnAPipeAreNotATerminal() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        let reader = Int32(files.adopt(ends[0]))
        var buffer = [UInt8](repeating: 0, count: 60)
        for request in [TCSETS, TCSETSW, TCSETSF, TIOCSWINSZ, TCSBRK, TCSBRKP, TCXONC, TCFLSH] {
            #expect(buffer.withUnsafeMutableBytes { files.terminalControl(handle: reader, request: UInt32(request), into: $0) } == -Int64(ENOTTY))
        }
        // A request the host never forwards.
        #expect(buffer.withUnsafeMutableBytes { files.terminalControl(handle: reader, request: UInt32(TIOCSTI), into: $0) } == -Int64(ENOTTY))
    }

    @Test func blockingTerminalStopsIsUndoneAfterwards() {
        var before = sigset_t(), inside = sigset_t(), after = sigset_t()
        pthread_sigmask(SIG_SETMASK, nil, &before)
        let wasBlocked = sigismember(&before, SIGTTOU) == 1
        _ = HostFileTable.withTerminalStopsBlocked(true) { pthread_sigmask(SIG_SETMASK, nil, &inside) }
        pthread_sigmask(SIG_SETMASK, nil, &after)
        #expect(sigismember(&inside, SIGTTOU) == 1)
        #expect((sigismember(&after, SIGTTOU) == 1) == wasBlocked)
    }

    @Test func execStateKeepsTheParentDeathSignal() throws {
        var state = InheritedState(umask: 0o22, blocked: 0, ignored: 0, descriptors: [], workingDirectory: Array("/".utf8))
        state.parentDeathSignal = 10
        let decoded = try #require(InheritedState(state.encoded))
        #expect(decoded.parentDeathSignal == 10)
        #expect(decoded == state)
        // Not a signal: the state is malformed.
        var bytes = state.encoded
        let offset = MemoryLayout<uk_inherited_state>.offset(of: \uk_inherited_state.parent_death_signal)!
        bytes[offset] = 65
        #expect(InheritedState(bytes) == nil)
    }
}
