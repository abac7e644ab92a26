import CLinux
import Glibc
import UnikernelABI

/// The runner's child processes, which are the guest's children: each guest process is a
/// runner process (fork forks it), so waiting for a child is the host's waitid and signalling
/// a process is the host's kill. A guest may signal any of its own processes
/// (GuestProcessTree) and no other host process: every other pid is ESRCH, as if the guest
/// were a pid namespace of its own.
public final class HostProcessTable {
    /// Live or unreaped children, by host pid.
    private(set) var children: Set<Int32> = []

    public init() {}

    /// Records a child the runner forked.
    func adopt(_ pid: Int32) { children.insert(pid) }

    /// Performs a UK_HC_PROCESS operation other than fork (which the machine performs).
    func perform(_ request: ProcessRequest, memory: GuestMemory, files: HostFileTable) -> Int64 {
        switch request.operation {
        case UK_PROC_WAIT.rawValue:
            guard let buffer = request.buffer, buffer.length >= UInt64(MemoryLayout<uk_wait_result>.size) else { return -Int64(EFAULT) }
            let result = wait(idtype: request.arguments[0], id: request.arguments[1], options: request.arguments[2], files: files)
            switch result {
            case let .failure(error): return -Int64(error.value)
            case let .success(found):
                do { try memory.store(found, at: buffer.address) } catch { return -Int64(EFAULT) }
                return 0
            }
        case UK_PROC_KILL.rawValue:
            return kill(pid: request.arguments[0], signal: request.arguments[1])
        case UK_PROC_CHILD_USAGE.rawValue:
            guard let buffer = request.buffer, buffer.length >= 16 else { return -Int64(EFAULT) }
            var user: UInt64 = 0, system: UInt64 = 0
            let status = clinux_children_usage(&user, &system)
            guard status == 0 else { return Int64(status) }
            do { try memory.store((user, system), at: buffer.address) } catch {
                return -Int64(EFAULT)
            }
            return 0
        case UK_PROC_PARENT_DEATH_SIGNAL.rawValue:
            return Int64(ckvm_set_parent_death_signal(Int32(clamping: request.arguments[0])))
        case UK_PROC_STOP.rawValue:
            ckvm_stop_self(Int32(clamping: request.arguments[0]))
            return 0
        case UK_PROC_PIPE.rawValue:
            guard let buffer = request.buffer, buffer.length >= 8 else { return -Int64(EFAULT) }
            var ends: [Int32] = [-1, -1]
            guard clinux_pipe_cloexec(&ends) == 0 else { return -Int64(Glibc.errno) }
            let reader = files.adopt(ends[0])
            guard reader >= 0 else { Glibc.close(ends[1]); return reader }
            let writer = files.adopt(ends[1])
            guard writer >= 0 else { _ = files.close(handle: Int32(reader)); return writer }
            do { try memory.store((Int32(reader), Int32(writer)), at: buffer.address) } catch {
                _ = files.close(handle: Int32(reader))
                _ = files.close(handle: Int32(writer))
                return -Int64(EFAULT)
            }
            return 0
        case UK_PROC_GROUP.rawValue:
            return group(operation: request.arguments[0], pid: request.arguments[1], pgid: request.arguments[2])
        case UK_PROC_PIDFD_OPEN.rawValue:
            return openPidfd(pid: request.arguments[0], flags: request.arguments[1], files: files)
        case UK_PROC_PIDFD_SIGNAL.rawValue:
            return signalThroughPidfd(handle: request.arguments[0], signal: request.arguments[1], flags: request.flags, files: files)
        default:
            return -Int64(ENOSYS)
        }
    }

    /// Whether the guest may name `pid` in a group call: itself (0 or its own pid) or a child,
    /// or (getpgid, getsid) any of its processes.
    private func mayName(_ pid: Int64, anyGuestProcess: Bool) -> Bool {
        guard pid != 0 else { return true }
        guard pid > 0, pid <= Int64(Int32.max) else { return false }
        if pid == Int64(getpid()) || children.contains(Int32(pid)) { return true }
        return anyGuestProcess && GuestProcessTree.contains(pid_t(pid))
    }

    /// getpgid, setpgid, getsid and setsid on the host's processes.
    func group(operation: Int64, pid: Int64, pgid: Int64) -> Int64 {
        let inquiry = operation == Int64(UK_GROUP_GETPGID.rawValue) || operation == Int64(UK_GROUP_GETSID.rawValue)
        guard mayName(pid, anyGuestProcess: inquiry) else { return -Int64(ESRCH) }
        let target = pid_t(pid)
        let result: Int32
        switch operation {
        case Int64(UK_GROUP_GETPGID.rawValue): result = getpgid(target)
        case Int64(UK_GROUP_SETPGID.rawValue):
            guard pgid >= 0, pgid <= Int64(Int32.max) else { return -Int64(EINVAL) }
            result = setpgid(target, pid_t(pgid))
        case Int64(UK_GROUP_GETSID.rawValue): result = getsid(target)
        case Int64(UK_GROUP_SETSID.rawValue): result = setsid()
        default: return -Int64(EINVAL)
        }
        return result < 0 ? -Int64(Glibc.errno) : Int64(result)
    }

    /// The host's waitid(idtype, id, options | WNOHANG) with options of WEXITED, WSTOPPED,
    /// WCONTINUED and WNOWAIT (none of the first three: WEXITED): a child that ended, stopped
    /// or continued (pid 0 when none has yet), or the errno (ECHILD: no such child). For
    /// P_PIDFD `id` is a handle of `files` (EBADF when it names nothing; the host kernel
    /// answers EBADF for a descriptor that is no pidfd and ECHILD for a process that is no
    /// child of the runner's).
    func wait(idtype: Int64, id: Int64, options: Int64, files: HostFileTable) -> Result<uk_wait_result, Int32Error> {
        guard idtype >= 0, idtype <= HostProcessTable.pidfdIdType, id >= 0, id <= Int64(Int32.max) else { return .failure(Int32Error(EINVAL)) }
        var id = id
        if idtype == HostProcessTable.pidfdIdType {
            guard let descriptor = files.descriptor(Int32(id)) else { return .failure(Int32Error(EBADF)) }
            id = Int64(descriptor)
        }
        let events = Int32(truncatingIfNeeded: options) & (WEXITED | WSTOPPED | WCONTINUED)
        let flags = (events == 0 ? WEXITED : events) | (Int32(truncatingIfNeeded: options) & WNOWAIT) | WNOHANG
        var change = clinux_child_change()
        let status = clinux_waitid(Int32(idtype), Int32(id), flags, &change)
        if status < 0 { return .failure(Int32Error(-status)) }
        // Only an end reported without WNOWAIT reaps the child; a stop or continue leaves it.
        let ended = change.code == CLD_EXITED || change.code == CLD_KILLED || change.code == CLD_DUMPED
        if change.pid > 0, ended, options & Int64(WNOWAIT) == 0 { children.remove(change.pid) }
        return .success(uk_wait_result(pid: change.pid, code: change.code, status: change.status, uid: change.uid,
                                       user_ns: change.user_ns, system_ns: change.system_ns))
    }

    /// kill(pid, signal) as UK_PROC_KILL describes it: one guest process (pid > 0), the
    /// caller's group (0), every guest process (-1) or the group -pid, the caller itself left
    /// out of the three group forms; -ESRCH for a pid outside the guest.
    func kill(pid: Int64, signal: Int64) -> Int64 {
        guard signal >= 0, signal <= 64 else { return -Int64(EINVAL) }
        guard pid > Int64(Int32.min), pid <= Int64(Int32.max) else { return -Int64(ESRCH) }
        if pid > 0 {
            guard children.contains(Int32(pid)) || GuestProcessTree.contains(pid_t(pid)) else { return -Int64(ESRCH) }
            return Glibc.kill(pid_t(pid), Int32(signal)) == 0 ? 0 : -Int64(Glibc.errno)
        }
        let everyone = pid == -1
        let group = pid == 0 ? getpgrp() : pid_t(truncatingIfNeeded: -pid)
        let targets = GuestProcessTree.others().filter { everyone || getpgid($0) == group }
        return HostProcessTable.signalEach(targets, signal: Int32(signal), everyone: everyone)
    }

    /// Linux's answer for a signal to several processes: -ESRCH when there were none; for a
    /// group (kill_pgrp) 0 when one signal was sent, else the last error; for every process
    /// (kill -1) the last error other than EPERM, else 0.
    static func signalEach(_ targets: [pid_t], signal: Int32, everyone: Bool) -> Int64 {
        guard !targets.isEmpty else { return -Int64(ESRCH) }
        var result = Int64(0)
        var sent = false
        for target in targets {
            if Glibc.kill(target, signal) == 0 {
                sent = true
                if everyone { result = 0 }
            } else if !everyone || Glibc.errno != EPERM {
                result = -Int64(Glibc.errno)
            }
        }
        return sent && !everyone ? 0 : result
    }
}

/// An errno as an Error, for Result.
struct Int32Error: Error, Equatable {
    var value: Int32
    init(_ value: Int32) { self.value = value }
}
