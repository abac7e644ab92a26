import CLinux
import Glibc
import UnikernelABI

/// The runner's child processes, which are the guest's children: each guest process is a
/// runner process (fork forks it), so waiting for a child is the host's waitid and signalling
/// one is the host's kill. A guest may signal only its own children: no pid it names can
/// reach another host process.
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
            let result = wait(idtype: request.arguments[0], id: request.arguments[1], options: request.arguments[2])
            switch result {
            case let .failure(error): return -Int64(error.value)
            case let .success(found):
                do { try memory.store(found, at: buffer.address) } catch { return -Int64(EFAULT) }
                return 0
            }
        case UK_PROC_KILL.rawValue:
            if request.arguments[0] < 0 { return killGroup(-request.arguments[0], signal: request.arguments[1]) }
            return kill(pid: request.arguments[0], signal: request.arguments[1])
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
        default:
            return -Int64(ENOSYS)
        }
    }

    /// Whether the guest may name `pid` in a group call: itself (0 or its own pid) or a child.
    private func mayName(_ pid: Int64) -> Bool {
        pid == 0 || pid == Int64(getpid()) || (pid > 0 && pid <= Int64(Int32.max) && children.contains(Int32(pid)))
    }

    /// getpgid, setpgid, getsid, setsid on the host's processes.
    func group(operation: Int64, pid: Int64, pgid: Int64) -> Int64 {
        guard mayName(pid) else { return -Int64(ESRCH) }
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

    /// kill(-pgid, signal) to a group one of the runner's children leads (the host's killpg),
    /// or to the runner's own group: its children in it (the caller's kernel signals itself).
    func killGroup(_ pgid: Int64, signal: Int64) -> Int64 {
        guard signal >= 0, signal <= 64, pgid > 0, pgid <= Int64(Int32.max) else { return -Int64(EINVAL) }
        if pgid == Int64(getpgrp()) {
            for child in children where getpgid(child) == pid_t(pgid) { _ = Glibc.kill(child, Int32(signal)) }
            return 0
        }
        guard children.contains(Int32(pgid)) else { return -Int64(ESRCH) }
        return killpg(pid_t(pgid), Int32(signal)) == 0 ? 0 : -Int64(Glibc.errno)
    }

    /// The host's waitid(idtype, id, WEXITED [| WNOWAIT] | WNOHANG): a child that ended (pid 0
    /// when none has yet), or the errno (ECHILD: no such child).
    func wait(idtype: Int64, id: Int64, options: Int64) -> Result<uk_wait_result, Int32Error> {
        guard idtype >= 0, idtype <= 2, id >= 0, id <= Int64(Int32.max) else { return .failure(Int32Error(EINVAL)) }
        let allowed = Int64(WEXITED | WNOWAIT)
        var change = clinux_child_change()
        let status = clinux_waitid(Int32(idtype), Int32(id), Int32(options & allowed) | WEXITED | WNOHANG, &change)
        if status < 0 { return .failure(Int32Error(-status)) }
        if change.pid > 0, options & Int64(WNOWAIT) == 0 { children.remove(change.pid) }
        return .success(uk_wait_result(pid: change.pid, code: change.code, status: change.status, uid: change.uid,
                                       user_ns: change.user_ns, system_ns: change.system_ns))
    }

    /// kill(pid, signal) to one of the runner's children; -ESRCH for any other pid.
    func kill(pid: Int64, signal: Int64) -> Int64 {
        guard signal >= 0, signal <= 64 else { return -Int64(EINVAL) }
        guard pid > 0, pid <= Int64(Int32.max), children.contains(Int32(pid)) else { return -Int64(ESRCH) }
        return Glibc.kill(pid_t(pid), Int32(signal)) == 0 ? 0 : -Int64(Glibc.errno)
    }
}

/// An errno as an Error, for Result.
struct Int32Error: Error, Equatable {
    var value: Int32
    init(_ value: Int32) { self.value = value }
}
