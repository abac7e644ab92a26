import CLinux
import Glibc
import UnikernelABI

/// Process descriptors: a guest pidfd is a host pidfd on the same host process (guest pids are
/// host pids), so its poll readiness, waitid(P_PIDFD) and the signals sent through it are the
/// host kernel's. The guest may hold pidfds of its own processes only: pidfd_open checks the
/// process is the guest's as kill does, and a signal through any pidfd (one that came in an
/// SCM_RIGHTS message from outside too) checks it again before it is sent.
extension HostProcessTable {
    /// waitid's P_PIDFD.
    static let pidfdIdType: Int64 = 3
    /// pidfd_send_signal's PIDFD_SIGNAL_PROCESS_GROUP.
    static let signalProcessGroup = UInt32(UK_PIDFD_SIGNAL_PROCESS_GROUP)

    /// Whether `pid` is one of the guest's processes (this one included).
    private func isGuestProcess(_ pid: pid_t) -> Bool {
        pid == getpid() || children.contains(pid) || GuestProcessTree.contains(pid)
    }

    /// UK_PROC_PIDFD_OPEN: a handle of a new host pidfd on guest process `pid`.
    func openPidfd(pid: Int64, flags: Int64, files: HostFileTable) -> Int64 {
        guard flags == 0, pid > 0, pid <= Int64(Int32.max) else { return -Int64(EINVAL) }
        let target = pid_t(pid)
        // Opened first, then checked: once the pidfd holds the process, its pid cannot name
        // another process while it is alive (or a zombie), and a probe that finds it gone
        // means the check may have looked at a newcomer.
        let fd = clinux_pidfd_open(target)
        // EINVAL: a host thread that leads no process (one of a runner's), which the guest
        // cannot name: as any pid outside the guest.
        guard fd >= 0 else { return fd == -EINVAL ? -Int64(ESRCH) : Int64(fd) }
        let probe = clinux_pidfd_send_signal(fd, 0, 0)
        guard isGuestProcess(target), probe == 0 || probe == -EPERM else {
            Glibc.close(fd)
            return -Int64(ESRCH)
        }
        return files.adopt(fd)
    }

    /// UK_PROC_PIDFD_SIGNAL: signal `signal` to the process pidfd `handle` refers to, as the
    /// header describes it.
    func signalThroughPidfd(handle: Int64, signal: Int64, flags: UInt32, files: HostFileTable) -> Int64 {
        guard let handle = Int32(exactly: handle), let fd = files.descriptor(handle) else { return -Int64(EBADF) }
        let pid = clinux_pidfd_pid(fd)
        guard pid >= 0 else { return Int64(pid) }
        if flags & UK_PIDFD_INFO_MISMATCH != 0 { return -Int64(EINVAL) }
        guard pid > 0, isGuestProcess(pid) else { return -Int64(ESRCH) }
        let scope = flags & UK_PIDFD_SIGNAL_SCOPE
        let mine = pid == getpid()
        if flags & UK_PIDFD_SELF_ONLY != 0, !mine || scope == HostProcessTable.signalProcessGroup { return -Int64(EPERM) }
        guard signal >= 0, signal <= 64 else { return -Int64(EINVAL) }
        if scope == HostProcessTable.signalProcessGroup {
            let group = getpgid(pid)
            guard group > 0 else { return -Int64(ESRCH) }
            let others = GuestProcessTree.others().filter { getpgid($0) == group }
            if getpgrp() == group {
                _ = HostProcessTable.signalEach(others, signal: Int32(signal), everyone: false)
                return Int64(UK_PIDFD_SELF)
            }
            return HostProcessTable.signalEach(others, signal: Int32(signal), everyone: false)
        }
        if mine { return Int64(UK_PIDFD_SELF) }
        // To the whole process whatever the scope: a runner forwards what its process receives
        // into its guest, and its threads are vCPUs, not the guest's threads.
        return Int64(clinux_pidfd_send_signal(fd, Int32(signal), 0))
    }
}
