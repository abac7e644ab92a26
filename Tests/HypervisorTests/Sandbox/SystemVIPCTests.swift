import CLinux
import Glibc
import Testing
import UnikernelABI

@testable import Hypervisor

/// The host side of the guest's System V IPC (SystemVIPC): the structure sizes it checks the
/// bounce buffer against, its refusal outside a private namespace, and, in a namespace the test
/// process makes for itself (root only), that the host waits only as long as it may and never
/// reads past the buffer the kernel sent.
@Suite("System V IPC", .serialized)
struct SystemVIPCTests {
    private func request(_ call: SystemVIPC.Call, _ a0: Int64 = 0, _ a1: Int64 = 0, _ a2: Int64 = 0) -> ProcessRequest {
        ProcessRequest(operation: UK_PROC_SYSV.rawValue, flags: call.rawValue, arguments: [a0, a1, a2], buffer: nil)
    }

    private func noWindow(_ host: UnsafeMutableRawPointer, _ length: UInt64) -> Int64 { -Int64(ENOMEM) }

    /// IPC_INFO (3) is glibc's only under _GNU_SOURCE.
    @Test func controlStructureSizesAreGlibcs() {
        #expect(SystemVIPC.controlArgument(.shmctl, command: Int64(IPC_STAT)) == .structure(MemoryLayout<shmid_ds>.size))
        #expect(SystemVIPC.controlArgument(.msgctl, command: Int64(IPC_SET)) == .structure(MemoryLayout<msqid_ds>.size))
        #expect(SystemVIPC.controlArgument(.semctl, command: Int64(IPC_STAT)) == .structure(MemoryLayout<semid_ds>.size))
        #expect(SystemVIPC.controlArgument(.shmctl, command: 3) == .structure(MemoryLayout<shminfo>.size))
        #expect(SystemVIPC.controlArgument(.msgctl, command: 3) == .structure(MemoryLayout<msginfo>.size))
        #expect(SystemVIPC.controlArgument(.semctl, command: 3) == .structure(MemoryLayout<seminfo>.size))
    }

    @Test func controlCommandsWithoutAStructure() {
        #expect(SystemVIPC.controlArgument(.shmctl, command: Int64(IPC_RMID)) == SystemVIPC.Argument.none)
        #expect(SystemVIPC.controlArgument(.semctl, command: 16) == .value)  // SETVAL
        #expect(SystemVIPC.controlArgument(.semctl, command: 12) == .value)  // GETVAL
        #expect(SystemVIPC.controlArgument(.msgctl, command: 99) == nil)
    }

    @Test func refusesEverythingOutsideAPrivateNamespace() {
        let saved = SystemVIPC.isolated
        defer { SystemVIPC.isolated = saved }
        SystemVIPC.isolated = false
        for call in [SystemVIPC.Call.shmget, .semget, .msgget, .msgctl, .shmat] {
            #expect(SystemVIPC.perform(request(call, 0 /* IPC_PRIVATE */, 1, 0o1600), buffer: nil, addWindow: noWindow) == -Int64(ENOSYS))
        }
    }

    @Test(.enabled(if: getuid() == 0)) func aDeferredNamespaceIsMadeAtTheFirstCall() {
        let saved = SystemVIPC.isolated
        defer { SystemVIPC.isolated = saved; SystemVIPC.pending = false }
        SystemVIPC.isolated = false
        SystemVIPC.isolateWhenNeeded()
        #expect(!SystemVIPC.isolated && SystemVIPC.pending)  // nothing made at start-up
        let id = SystemVIPC.perform(request(.semget, 0 /* IPC_PRIVATE */, 1, 0o1600), buffer: nil, addWindow: noWindow)
        #expect(SystemVIPC.isolated && !SystemVIPC.pending)
        #expect(id >= 0)
        if id >= 0 { _ = SystemVIPC.perform(request(.semctl, id, 0), buffer: nil, addWindow: noWindow) }
    }

    /// Runs `body` with SystemVIPC serving from the test process's own IPC namespace.
    private func inPrivateNamespace(_ body: () -> Void) {
        let saved = SystemVIPC.isolated
        defer { SystemVIPC.isolated = saved }
        #expect(SystemVIPC.isolate())
        body()
    }

    @Test(.enabled(if: getuid() == 0)) func semaphoreOperationsNeverWaitInTheHost() {
        inPrivateNamespace {
            let id = SystemVIPC.perform(request(.semget, 0 /* IPC_PRIVATE */, 1, 0o1600), buffer: nil, addWindow: noWindow)
            #expect(id >= 0)
            defer { _ = SystemVIPC.perform(request(.semctl, id, 0), buffer: nil, addWindow: noWindow) }
            // sem_num 0, sem_op -1, sem_flg 0: would block; the host adds IPC_NOWAIT.
            var operation: [UInt8] = [0, 0, 0xFF, 0xFF, 0, 0]
            let result = operation.withUnsafeMutableBytes {
                SystemVIPC.perform(request(.semtimedop, id, 1), buffer: $0, addWindow: noWindow)
            }
            #expect(result == -Int64(EAGAIN))
            // A buffer shorter than the operations it claims is EFAULT.
            let short = operation.withUnsafeMutableBytes {
                SystemVIPC.perform(request(.semtimedop, id, 2), buffer: $0, addWindow: noWindow)
            }
            #expect(short == -Int64(EFAULT))
        }
    }

    @Test(.enabled(if: getuid() == 0)) func semaphoreWaitsInTheHostAreBounded() {
        inPrivateNamespace {
            let id = SystemVIPC.perform(request(.semget, 0 /* IPC_PRIVATE */, 1, 0o1600), buffer: nil, addWindow: noWindow)
            #expect(id >= 0)
            defer { _ = SystemVIPC.perform(request(.semctl, id, 0), buffer: nil, addWindow: noWindow) }
            var operation: [UInt8] = [0, 0, 0xFF, 0xFF, 0, 0]
            var start = timespec(), end = timespec()
            clock_gettime(CLOCK_MONOTONIC, &start)
            // Asked to wait for ever: the host waits SystemVIPC.longestWait at most.
            let result = operation.withUnsafeMutableBytes {
                SystemVIPC.perform(request(.semtimedop, id, 1, Int64.max), buffer: $0, addWindow: noWindow)
            }
            clock_gettime(CLOCK_MONOTONIC, &end)
            let elapsed = (end.tv_sec - start.tv_sec) * 1_000_000_000 + (end.tv_nsec - start.tv_nsec)
            #expect(result == -Int64(EAGAIN))
            #expect(elapsed >= 90_000_000 && elapsed < 1_000_000_000)
        }
    }

    @Test(.enabled(if: getuid() == 0)) func messagesStayInsideTheBuffer() {
        inPrivateNamespace {
            let id = SystemVIPC.perform(request(.msgget, 0 /* IPC_PRIVATE */, 0o1600), buffer: nil, addWindow: noWindow)
            #expect(id >= 0)
            defer { _ = SystemVIPC.perform(request(.msgctl, id, Int64(IPC_RMID)), buffer: nil, addWindow: noWindow) }
            var message = [UInt8](repeating: 0, count: 8 + 5)
            message[0] = 1
            for (index, byte) in "hello".utf8.enumerated() { message[8 + index] = byte }
            // Claiming more text than the buffer holds is EFAULT, before the host reads it.
            let tooLong = message.withUnsafeMutableBytes { SystemVIPC.perform(request(.msgsnd, id, 6, 0), buffer: $0, addWindow: noWindow) }
            #expect(tooLong == -Int64(EFAULT))
            let sent = message.withUnsafeMutableBytes { SystemVIPC.perform(request(.msgsnd, id, 5, 0), buffer: $0, addWindow: noWindow) }
            #expect(sent == 0)
            var received = [UInt8](repeating: 0, count: 8 + 5)
            let size = received.withUnsafeMutableBytes { SystemVIPC.perform(request(.msgrcv, id, 5, 0), buffer: $0, addWindow: noWindow) }
            #expect(size == 5)
            #expect(received == message)
            // The queue is empty now: the host answers at once (ENOMSG), it never waits.
            let empty = received.withUnsafeMutableBytes { SystemVIPC.perform(request(.msgrcv, id, 5, 0), buffer: $0, addWindow: noWindow) }
            #expect(empty == -Int64(ENOMSG))
        }
    }

    @Test(.enabled(if: getuid() == 0)) func shmatHandsTheAttachmentToTheVM() {
        inPrivateNamespace {
            let id = SystemVIPC.perform(request(.shmget, 0 /* IPC_PRIVATE */, 5000, 0o1600), buffer: nil, addWindow: noWindow)
            #expect(id >= 0)
            defer { _ = SystemVIPC.perform(request(.shmctl, id, Int64(IPC_RMID)), buffer: nil, addWindow: noWindow) }
            var size = [UInt8](repeating: 0, count: 8)
            var given: UInt64 = 0
            var host: UnsafeMutableRawPointer?
            let address = size.withUnsafeMutableBytes {
                SystemVIPC.perform(request(.shmat, id, 0), buffer: $0) { pointer, length in
                    host = pointer
                    given = length
                    return Int64(UK_SHARED_WINDOW_BASE)
                }
            }
            #expect(address == Int64(UK_SHARED_WINDOW_BASE))
            #expect(given == 8192)
            #expect(size.withUnsafeBytes { $0.load(as: UInt64.self) } == 8192)
            if let host { shmdt(host) }
            // A VM that cannot take the window: the host detaches again.
            let refused = size.withUnsafeMutableBytes { SystemVIPC.perform(request(.shmat, id, 0), buffer: $0, addWindow: noWindow) }
            #expect(refused == -Int64(ENOMEM))
            var info = shmid_ds()
            #expect(shmctl(Int32(id), IPC_STAT, &info) == 0)
            #expect(info.shm_nattch == 0)
        }
    }
}
