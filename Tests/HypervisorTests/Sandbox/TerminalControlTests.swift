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
