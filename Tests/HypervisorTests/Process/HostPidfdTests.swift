import Foundation
import Glibc
import Testing
import UnikernelABI

@testable import Hypervisor

/// The host's half of the guest's pidfds (HostProcessTable+Pidfd.swift): which processes the
/// guest may open a pidfd on, which handles count as pidfds, and waitid(P_PIDFD) on them.
@Suite("Host pidfds")
final class HostPidfdTests {
    let root: URL
    let files: HostFileTable
    let table = HostProcessTable()

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("pidfd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        files = try HostFileTable(rootDirectory: root.path)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// A child of the test process (`/bin/sleep 30`), recorded as the runner's child.
    func spawnChild() -> pid_t {
        var pid: pid_t = 0
        let words: [String] = ["/bin/sleep", "30"]
        let arguments: [UnsafeMutablePointer<CChar>?] = words.map { word in strdup(word) } + [nil]
        defer { arguments.forEach { free($0) } }
        let status = posix_spawn(&pid, "/bin/sleep", nil, nil, arguments, nil)
        #expect(status == 0)
        table.adopt(pid)
        return pid
    }

    @Test func opensAPidfdOnItselfAndSignalsItselfThroughTheKernel() {
        let handle = table.openPidfd(pid: Int64(getpid()), flags: 0, files: files)
        #expect(handle > 2)
        #expect(table.signalThroughPidfd(handle: handle, signal: 0, flags: 0, files: files) == Int64(UK_PIDFD_SELF))
        #expect(table.signalThroughPidfd(handle: handle, signal: 65, flags: 0, files: files) == -Int64(EINVAL))
        #expect(table.signalThroughPidfd(handle: handle, signal: 0, flags: UK_PIDFD_INFO_MISMATCH, files: files) == -Int64(EINVAL))
        #expect(files.close(handle: Int32(handle)) == 0)
    }

    @Test func refusesFlagsPidsOutsideTheGuestAndBadPids() {
        #expect(table.openPidfd(pid: Int64(getpid()), flags: 1, files: files) == -Int64(EINVAL))
        #expect(table.openPidfd(pid: 0, flags: 0, files: files) == -Int64(EINVAL))
        #expect(table.openPidfd(pid: -5, flags: 0, files: files) == -Int64(EINVAL))
        #expect(table.openPidfd(pid: Int64(Int32.max) + 1, flags: 0, files: files) == -Int64(EINVAL))
        // init is no process of the guest's (the test process holds no marker).
        #expect(table.openPidfd(pid: 1, flags: 0, files: files) == -Int64(ESRCH))
    }

    @Test func aHandleThatIsNoPidfdIsEBADF() {
        let file = files.open(path: Array("/plain".utf8), flags: O_RDWR | O_CREAT, mode: 0o644)
        #expect(file > 2)
        #expect(table.signalThroughPidfd(handle: file, signal: 0, flags: 0, files: files) == -Int64(EBADF))
        #expect(table.signalThroughPidfd(handle: 9999, signal: 0, flags: 0, files: files) == -Int64(EBADF))
        #expect(table.signalThroughPidfd(handle: Int64(Int32.max) + 7, signal: 0, flags: 0, files: files) == -Int64(EBADF))
        if case let .failure(error) = table.wait(idtype: HostProcessTable.pidfdIdType, id: file, options: Int64(WEXITED), files: files) {
            #expect(error.value == EBADF)
        } else {
            Issue.record("waitid(P_PIDFD) of a plain file succeeded")
        }
        if case let .failure(error) = table.wait(idtype: HostProcessTable.pidfdIdType, id: 4321, options: Int64(WEXITED), files: files) {
            #expect(error.value == EBADF)
        } else {
            Issue.record("waitid(P_PIDFD) of no handle succeeded")
        }
    }

    @Test func signalsAndReapsAChildThroughItsPidfd() {
        let child = spawnChild()
        let handle = table.openPidfd(pid: Int64(child), flags: 0, files: files)
        #expect(handle > 2)
        let running = table.wait(idtype: HostProcessTable.pidfdIdType, id: handle, options: Int64(WEXITED), files: files)
        #expect((try? running.get())?.pid == 0)
        // A siginfo that may only go to the caller is EPERM for a child, and nothing is sent.
        #expect(table.signalThroughPidfd(handle: handle, signal: Int64(SIGKILL), flags: UK_PIDFD_SELF_ONLY, files: files) == -Int64(EPERM))
        #expect(table.signalThroughPidfd(handle: handle, signal: Int64(SIGKILL), flags: 0, files: files) == 0)
        var reaped: uk_wait_result?
        for _ in 0..<2000 {
            if case let .success(found) = table.wait(idtype: HostProcessTable.pidfdIdType, id: handle, options: Int64(WEXITED), files: files),
               found.pid != 0 {
                reaped = found
                break
            }
            usleep(1000)
        }
        #expect(reaped?.pid == child)
        #expect(reaped?.code == Int32(CLD_KILLED))
        #expect(reaped?.status == SIGKILL)
        // Reaped: the pidfd names no process any more.
        #expect(table.signalThroughPidfd(handle: handle, signal: 0, flags: 0, files: files) == -Int64(ESRCH))
        #expect(table.openPidfd(pid: Int64(child), flags: 0, files: files) == -Int64(ESRCH))
        #expect(files.close(handle: Int32(handle)) == 0)
    }
}
