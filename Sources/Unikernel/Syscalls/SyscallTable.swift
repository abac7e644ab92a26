import UnikernelABI

/// How completely the kernel implements a system call; the table doubles as
/// the support matrix.
enum SupportLevel {
    /// Linux semantics for everything a static program can observe.
    case implemented
    /// Works for common uses; the note says what differs.
    case partial
    /// Deliberately answered with -ENOSYS (or another error); the note says why.
    case refused
}

/// A system call handler: reads its arguments, calls a subsystem, returns
/// a non-negative result or throws the Linux errno.
typealias SyscallHandler = (SyscallArguments) throws(Errno) -> Int

/// One row of the system-call table.
struct SyscallEntry {
    let number: UInt64
    let name: StaticString
    let support: SupportLevel
    let note: StaticString
    let handler: SyscallHandler

    init(_ number: UInt64, _ name: StaticString, _ support: SupportLevel, _ note: StaticString,
         _ handler: @escaping SyscallHandler) {
        self.number = number
        self.name = name
        self.support = support
        self.note = note
        self.handler = handler
    }
}

/// The one table from Linux x86-64 system-call number to handler, and the
/// dispatcher that turns a thrown Errno into Linux's negative return value.
/// Numbers not in the table return -ENOSYS; the program is never killed.
enum SyscallTable {
    /// Sorted by number.
    static let entries: [SyscallEntry] = [
        .init(0, "read", .implemented, "in place; small sequential reads of regular files from a 256 KiB read-ahead", FileSyscalls.read),
        .init(1, "write", .implemented, "in place; small sequential writes of regular files batched (256 KiB)", FileSyscalls.write),
        .init(2, "open", .implemented, "path resolved against cwd, opened by the host in its sandbox; /proc and /dev/fd by the kernel", FileSyscalls.open),
        .init(3, "close", .implemented, "host stdio handles stay open on the host", FileSyscalls.close),
        .init(4, "stat", .implemented, "host fstat of the path resolved beneath the root", PathSyscalls.stat),
        .init(5, "fstat", .implemented, "host fstat; pipes, eventfds, epoll instances and /proc files described by the kernel", FileSyscalls.fstat),
        .init(6, "lstat", .implemented, "the link itself", PathSyscalls.lstat),
        .init(7, "poll", .implemented, "pipes and eventfds in the guest, host stdio, inotify and sockets asked with a host poll", PipeSyscalls.poll),
        .init(8, "lseek", .implemented, "host lseek; /proc files as seq_lseek (SEEK_SET, SEEK_CUR)", FileSyscalls.lseek),
        .init(9, "mmap", .implemented, "anonymous and private file mappings filled on first touch; MAP_SHARED files, anonymous memory and /dev/zero are host windows every process shares; SIGBUS past a file's end", MemorySyscalls.mmap),
        .init(10, "mprotect", .implemented, "on any reserved range", MemorySyscalls.mprotect),
        .init(11, "munmap", .implemented, "frames return to the allocator", MemorySyscalls.munmap),
        .init(12, "brk", .implemented, "zero-filled on demand", MemorySyscalls.brk),
        .init(13, "rt_sigaction", .implemented, "handlers run on a Linux rt_sigframe", SignalSyscalls.rtSigaction),
        .init(14, "rt_sigprocmask", .implemented, "per thread; pending signals delivered on unblock", SignalSyscalls.rtSigprocmask),
        .init(15, "rt_sigreturn", .implemented, "restores registers, mask and x87/SSE state (dispatched before the table)", ProcessSyscalls.unsupported),
        .init(16, "ioctl", .partial, "terminal settings and window size (TCGETS, TCSETS/W/F, TIOCGWINSZ, TIOCSWINSZ, TCSBRK(P), TCXONC, TCFLSH) and job control (TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSCTTY without force, TIOCNOTTY) forwarded to the host terminal, a pseudo-terminal's multiplexer requests (TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK, TIOCPKT, TIOCGPKT, TIOCGPTPEER: a new descriptor for the terminal end), FIONREAD of inotify and sockets, SIOCOUTQ and FIONBIO of sockets; others ENOTTY", FileSyscalls.ioctl),
        .init(17, "pread64", .implemented, "host read at an offset", FileSyscalls.pread),
        .init(18, "pwrite64", .implemented, "host write at an offset", FileSyscalls.pwrite),
        .init(19, "readv", .implemented, "one transfer per iovec", FileSyscalls.readv),
        .init(20, "writev", .implemented, "one transfer per iovec", FileSyscalls.writev),
        .init(21, "access", .implemented, "host faccessat2 beneath the root", PathSyscalls.access),
        .init(22, "pipe", .implemented, "served in the guest; blocking and O_NONBLOCK ends, PIPE_BUF atomic", PipeSyscalls.pipe),
        .init(23, "select", .implemented, "over the poll core", PipeSyscalls.select),
        .init(24, "sched_yield", .implemented, "the next runnable task runs; with none, the host's other processes (the host yields)", ThreadSyscalls.schedYield),
        .init(25, "mremap", .partial, "shrink, grow in place, or move the frames (MREMAP_MAYMOVE, MREMAP_FIXED); a shared mapping may shrink and move, not grow (ENOMEM)", MemorySyscalls.mremap),
        .init(26, "msync", .implemented, "the host's msync of a shared mapping's window", MemorySyscalls.msync),
        .init(27, "mincore", .implemented, "every reserved page is resident", MemorySyscalls.mincore),
        .init(28, "madvise", .partial, "MADV_DONTNEED drops pages; other advice ignored", MemorySyscalls.madvise),
        .init(29, "shmget", .implemented, "the host's, in the guest's private IPC namespace (SystemVIPCSyscalls); IPC_PRIVATE and keys, IPC_CREAT|IPC_EXCL as Linux", SystemVIPCSyscalls.shmget),
        .init(30, "shmat", .implemented, "the host attaches the segment as a shared window; at an address (SHM_RND, SHM_REMAP), SHM_RDONLY; inherited by fork, detached at exec and exit", SystemVIPCSyscalls.shmat),
        .init(31, "shmctl", .implemented, "the host's, in the guest's private IPC namespace (SystemVIPCSyscalls); IPC_STAT/SET/RMID/INFO, SHM_INFO/STAT/LOCK/UNLOCK", SystemVIPCSyscalls.shmctl),
        .init(32, "dup", .implemented, "descriptors share the host handle", FileSyscalls.dup),
        .init(33, "dup2", .implemented, "descriptors share the host handle", FileSyscalls.dup2),
        .init(34, "pause", .implemented, "until a signal is delivered", SignalSyscalls.pause),
        .init(35, "nanosleep", .implemented, "the task sleeps; EINTR with the time left", TimeSyscalls.nanosleep),
        .init(36, "getitimer", .implemented, "the time left and the period, rounded up to the microsecond", TimerSyscalls.getitimer),
        .init(37, "alarm", .partial, "SIGALRM (SI_KERNEL) on the monotonic clock; returns the seconds left; not kept across execve", TimerSyscalls.alarm),
        .init(38, "setitimer", .partial, "ITIMER_REAL on the monotonic clock; ITIMER_VIRTUAL and ITIMER_PROF on the process's CPU time (no user/system split); not kept across execve", TimerSyscalls.setitimer),
        .init(39, "getpid", .implemented, "pid from boot info", ProcessSyscalls.getpid),
        .init(40, "sendfile", .partial, "host file to host file, stdio or socket, copied by the host (a blocking socket waits for room until all is sent, SO_SNDTIMEO bounds the wait), or into a guest pipe; a pipe as input is EINVAL", PipeSyscalls.sendfile),
        .init(41, "socket", .partial, "a host socket (AF_UNIX, AF_INET, AF_INET6; stream, datagram, seqpacket; SOCK_NONBLOCK, SOCK_CLOEXEC); --net none: AF_INET/AF_INET6 EACCES; other families (netlink, packet) EAFNOSUPPORT", SocketSyscalls.socket),
        .init(42, "connect", .implemented, "the host's; blocking waits without blocking other threads, non-blocking EINPROGRESS; AF_UNIX paths beneath the guest's root, abstract names in the guest's own namespace; --net-allow EACCES", SocketSyscalls.connect),
        .init(43, "accept", .partial, "the host's; blocking waits without blocking other threads; an AF_UNIX peer bound to a path comes back unnamed", SocketSyscalls.accept),
        .init(44, "sendto", .implemented, "the host's, straight from the application's pages; a blocking stream send moves every byte; --net-allow EACCES", SocketSyscalls.sendto),
        .init(45, "recvfrom", .implemented, "the host's, straight into the application's pages; MSG_PEEK, MSG_TRUNC, MSG_WAITALL, MSG_DONTWAIT; SO_RCVTIMEO ends a wait (EAGAIN)", SocketSyscalls.recvfrom),
        .init(46, "sendmsg", .partial, "name, iovecs, ancillary data (IP_PKTINFO, ... as given), SCM_CREDENTIALS and SCM_RIGHTS of files, sockets, inherited stdio and pipes (a guest pipe moves to the host); eventfds and epoll instances cannot be passed (EOPNOTSUPP)", SocketSyscalls.sendmsg),
        .init(47, "recvmsg", .implemented, "name, iovecs, msg_flags, ancillary data (IP_PKTINFO, timestamps, ... as the host gives them), SCM_CREDENTIALS (SO_PASSCRED) and SCM_RIGHTS (MSG_CMSG_CLOEXEC, MSG_CTRUNC)", SocketSyscalls.recvmsg),
        .init(48, "shutdown", .implemented, "the host's", SocketSyscalls.shutdown),
        .init(49, "bind", .implemented, "the host's; AF_UNIX paths in the guest's file system (EROFS on a read-only mount), abstract and autobound names in the guest's own namespace; --net-listen EACCES", SocketSyscalls.bind),
        .init(50, "listen", .implemented, "the host's", SocketSyscalls.listen),
        .init(51, "getsockname", .implemented, "the host's; AF_UNIX: the guest path it was bound with", SocketSyscalls.getsockname),
        .init(52, "getpeername", .implemented, "the host's; AF_UNIX: the guest path it was connected to", SocketSyscalls.getpeername),
        .init(53, "socketpair", .implemented, "a host socket pair (AF_UNIX)", SocketSyscalls.socketpair),
        .init(54, "setsockopt", .implemented, "forwarded to the host with the value; the kernel's waits honour SO_RCVTIMEO/SO_SNDTIMEO", SocketSyscalls.setsockopt),
        .init(55, "getsockopt", .implemented, "forwarded to the host, the value copied back", SocketSyscalls.getsockopt),
        .init(56, "clone", .implemented, "threads, and processes as fork (CLONE_VM|CLONE_VFORK as vfork)", ThreadSyscalls.clone),
        .init(57, "fork", .implemented, "the host process forks; the child's new VM resumes the calling thread alone", ForkSyscalls.fork),
        .init(58, "vfork", .implemented, "a fork whose parent waits for the child's exec or exit; what the child wrote into memory until then is the parent's too", ForkSyscalls.vfork),
        .init(59, "execve", .implemented, "static and static-pie ELF and #! scripts from the guest's file system; the runner process is replaced by a new one", ExecSyscalls.execve),
        .init(60, "exit", .implemented, "ends the thread; the last one ends the program", ThreadSyscalls.exit),
        .init(61, "wait4", .implemented, "exits, signal deaths, stops (WUNTRACED) and continues (WCONTINUED) of children (host waitid); restarted after SA_RESTART handlers", ForkSyscalls.wait4),
        .init(62, "kill", .implemented, "to any process or group of the guest, its own group (0), every other guest process (-1); pids outside the guest are ESRCH (the guest is its own pid namespace); stop signals stop the whole process, SIGCONT continues it", SignalSyscalls.kill),
        .init(63, "uname", .implemented, "fixed identity: Linux, x86_64", SystemSyscalls.uname),
        .init(64, "semget", .implemented, "the host's, in the guest's private IPC namespace (SystemVIPCSyscalls)", SystemVIPCSyscalls.semget),
        .init(65, "semop", .implemented, "the host's, in the guest's private IPC namespace (SystemVIPCSyscalls), SEM_UNDO; a wait is the host's in 20 ms slices without the kernel lock (GETNCNT/GETZCNT count it; EINTR on a signal, EIDRM); an IPC_NOWAIT on any operation makes the whole call non-waiting", SystemVIPCSyscalls.semop),
        .init(66, "semctl", .implemented, "the host's, in the guest's private IPC namespace (SystemVIPCSyscalls); GETVAL/SETVAL/GETALL/SETALL/GETPID/GETNCNT/GETZCNT, IPC_STAT/SET/RMID/INFO, SEM_INFO/STAT", SystemVIPCSyscalls.semctl),
        .init(67, "shmdt", .implemented, "the window goes back to the host, which detaches the segment", SystemVIPCSyscalls.shmdt),
        .init(68, "msgget", .implemented, "the host's, in the guest's private IPC namespace (SystemVIPCSyscalls)", SystemVIPCSyscalls.msgget),
        .init(69, "msgsnd", .implemented, "the host's, in the guest's private IPC namespace (SystemVIPCSyscalls); a full queue is waited for by retrying (EINTR, EIDRM); messages up to 64 KiB", SystemVIPCSyscalls.msgsnd),
        .init(70, "msgrcv", .implemented, "the host's, in the guest's private IPC namespace (SystemVIPCSyscalls); MSG_EXCEPT, MSG_NOERROR, MSG_COPY; a wait retries every 1-20 ms (EINTR, EIDRM)", SystemVIPCSyscalls.msgrcv),
        .init(71, "msgctl", .implemented, "the host's, in the guest's private IPC namespace (SystemVIPCSyscalls); IPC_STAT/SET/RMID/INFO, MSG_INFO/STAT", SystemVIPCSyscalls.msgctl),
        .init(72, "fcntl", .implemented, "F_DUPFD(_CLOEXEC), F_GETFD/SETFD, F_GETFL/SETFL, record locks: the host's on host files (processes' locks meet; no EDEADLK), granted for objects the kernel serves", FileSyscalls.fcntl),
        .init(73, "flock", .implemented, "the host's flock on host files; granted for objects the kernel serves", FileSyscalls.flock),
        .init(74, "fsync", .implemented, "host fsync", PathSyscalls.fsync),
        .init(75, "fdatasync", .implemented, "host fdatasync", PathSyscalls.fdatasync),
        .init(76, "truncate", .implemented, "host open + ftruncate", PathSyscalls.truncate),
        .init(77, "ftruncate", .implemented, "host ftruncate", PathSyscalls.ftruncate),
        .init(79, "getcwd", .implemented, "kernel-kept cwd", FileSyscalls.getcwd),
        .init(80, "chdir", .implemented, "checked by opening the directory on the host; /proc directories by the kernel", FileSyscalls.chdir),
        .init(81, "fchdir", .implemented, "to the directory's path", FileSyscalls.fchdir),
        .init(82, "rename", .implemented, "host renameat2 beneath the root", PathSyscalls.rename),
        .init(83, "mkdir", .implemented, "host mkdirat; the guest umask applies", PathSyscalls.mkdir),
        .init(84, "rmdir", .implemented, "host unlinkat(AT_REMOVEDIR)", PathSyscalls.rmdir),
        .init(85, "creat", .implemented, "open(O_CREAT|O_WRONLY|O_TRUNC)", FileSyscalls.creat),
        .init(86, "link", .implemented, "host linkat beneath the root", PathSyscalls.link),
        .init(87, "unlink", .implemented, "host unlinkat", PathSyscalls.unlink),
        .init(88, "symlink", .implemented, "text stored verbatim; following it stays beneath the root", PathSyscalls.symlink),
        .init(89, "readlink", .implemented, "host readlinkat; the kernel's links (/proc/self, /proc/<pid>/exe, cwd, fd/N, /dev/stdin…)", PathSyscalls.readlink),
        .init(90, "chmod", .implemented, "host chmod of the resolved file", PathSyscalls.chmod),
        .init(91, "fchmod", .implemented, "host fchmod", PathSyscalls.fchmod),
        .init(92, "chown", .implemented, "host chown of the resolved file; Linux's permission rules apply on the host", PathSyscalls.chown),
        .init(93, "fchown", .implemented, "host fchown", PathSyscalls.fchown),
        .init(94, "lchown", .implemented, "the link itself", PathSyscalls.lchown),
        .init(95, "umask", .implemented, "kept by the kernel, applied to every create", PathSyscalls.umask),
        .init(96, "gettimeofday", .implemented, "from the TSC", TimeSyscalls.gettimeofday),
        .init(97, "getrlimit", .implemented, "per-process limits, Linux's defaults", ProcessSyscalls.getrlimit),
        .init(98, "getrusage", .partial, "the CPU time (the threads' time on a vCPU, as user time); max RSS = frames in use; RUSAGE_CHILDREN: the host's user and system time of the waited-for children runners (no max RSS; auto-reaped children count too)", SystemSyscalls.getrusage),
        .init(99, "sysinfo", .implemented, "uptime, guest RAM, one process", SystemSyscalls.sysinfo),
        .init(100, "times", .partial, "the CPU time as user time; children: the host's user and system time of the waited-for children runners", SystemSyscalls.times),
        .init(102, "getuid", .implemented, "from boot info", ProcessSyscalls.getuid),
        .init(104, "getgid", .implemented, "from boot info", ProcessSyscalls.getgid),
        .init(107, "geteuid", .implemented, "from boot info", ProcessSyscalls.geteuid),
        .init(108, "getegid", .implemented, "from boot info", ProcessSyscalls.getegid),
        .init(109, "setpgid", .implemented, "the host's, for the caller and its children", ProcessSyscalls.setpgid),
        .init(110, "getppid", .implemented, "the parent runner, or after its death the process the runner was reparented to (the host rewrites it on a parent-death notice; no exit)", ForkSyscalls.getppid),
        .init(111, "getpgrp", .implemented, "the host's process group", ProcessSyscalls.getpgrp),
        .init(112, "setsid", .implemented, "the host's setsid", ProcessSyscalls.setsid),
        .init(115, "getgroups", .implemented, "no supplementary groups", SystemSyscalls.getgroups),
        .init(118, "getresuid", .implemented, "from boot info", ProcessSyscalls.getresuid),
        .init(120, "getresgid", .implemented, "from boot info", ProcessSyscalls.getresgid),
        .init(121, "getpgid", .implemented, "the host's, for any process of the guest", ProcessSyscalls.getpgid),
        .init(124, "getsid", .implemented, "the host's, for any process of the guest", ProcessSyscalls.getsid),
        .init(127, "rt_sigpending", .implemented, "the thread's and the process's pending, blocked signals", SignalSyscalls.rtSigpending),
        .init(128, "rt_sigtimedwait", .implemented, "thread and process pending sets; relative timeout", SignalSyscalls.rtSigtimedwait),
        .init(129, "rt_sigqueueinfo", .partial, "the caller's siginfo to itself; to another guest process, the signal without it", SignalSyscalls.rtSigqueueinfo),
        .init(130, "rt_sigsuspend", .implemented, "mask swapped until a handler ran", SignalSyscalls.rtSigsuspend),
        .init(131, "sigaltstack", .implemented, "per thread; SS_ONSTACK while on it", SignalSyscalls.sigaltstack),
        .init(135, "personality", .partial, "PER_LINUX only", ProcessSyscalls.personality),
        .init(137, "statfs", .implemented, "host fstatfs of the resolved path", PathSyscalls.statfs),
        .init(138, "fstatfs", .implemented, "host fstatfs", PathSyscalls.fstatfs),
        .init(140, "getpriority", .implemented, "the kernel-kept nice value", ProcessSyscalls.getpriority),
        .init(141, "setpriority", .implemented, "lowering needs euid 0", ProcessSyscalls.setpriority),
        .init(143, "sched_getparam", .implemented, "priority 0", ProcessSyscalls.schedGetparam),
        .init(145, "sched_getscheduler", .implemented, "SCHED_OTHER", ProcessSyscalls.schedGetscheduler),
        .init(146, "sched_get_priority_max", .implemented, "Linux's bounds", ProcessSyscalls.schedGetPriorityMax),
        .init(147, "sched_get_priority_min", .implemented, "Linux's bounds", ProcessSyscalls.schedGetPriorityMin),
        .init(149, "mlock", .implemented, "guest memory is never paged out", MemorySyscalls.lock),
        .init(150, "munlock", .implemented, "guest memory is never paged out", MemorySyscalls.lock),
        .init(151, "mlockall", .implemented, "guest memory is never paged out", MemorySyscalls.lockAll),
        .init(152, "munlockall", .implemented, "guest memory is never paged out", MemorySyscalls.lock),
        .init(157, "prctl", .partial, "PR_SET_NAME, PR_GET_NAME, PR_SET_PDEATHSIG and PR_GET_PDEATHSIG (the host's pdeath signal on the runner, forwarded to the guest); others EINVAL", SystemSyscalls.prctl),
        .init(158, "arch_prctl", .implemented, "SET/GET FS and GS via the base MSRs", ProcessSyscalls.archPrctl),
        .init(160, "setrlimit", .partial, "as prlimit64", ProcessSyscalls.setrlimit),
        .init(162, "sync", .implemented, "the host's page cache writes back", SystemSyscalls.succeed),
        .init(186, "gettid", .implemented, "the main thread's is the pid", ThreadSyscalls.gettid),
        .init(187, "readahead", .implemented, "advice only", SystemSyscalls.readahead),
        .init(188, "setxattr", .partial, "forwarded to the host file; not on host devices or a link itself", PathSyscalls.setxattr),
        .init(189, "lsetxattr", .partial, "as setxattr; on a link itself EPERM", PathSyscalls.lsetxattr),
        .init(190, "fsetxattr", .partial, "by the path the file was opened with; EOPNOTSUPP for pipes and stdio", PathSyscalls.fsetxattr),
        .init(191, "getxattr", .implemented, "forwarded to the host file", PathSyscalls.getxattr),
        .init(192, "lgetxattr", .partial, "as getxattr; a link itself has none (ENODATA)", PathSyscalls.lgetxattr),
        .init(193, "fgetxattr", .partial, "by the path the file was opened with; ENODATA for pipes and stdio", PathSyscalls.fgetxattr),
        .init(194, "listxattr", .implemented, "forwarded to the host file", PathSyscalls.listxattr),
        .init(195, "llistxattr", .partial, "as listxattr; a link itself lists none", PathSyscalls.llistxattr),
        .init(196, "flistxattr", .partial, "by the path the file was opened with; none for pipes and stdio", PathSyscalls.flistxattr),
        .init(197, "removexattr", .partial, "forwarded to the host file; not on host devices", PathSyscalls.removexattr),
        .init(198, "lremovexattr", .partial, "as removexattr; on a link itself EPERM", PathSyscalls.lremovexattr),
        .init(199, "fremovexattr", .partial, "by the path the file was opened with; EOPNOTSUPP for pipes and stdio", PathSyscalls.fremovexattr),
        .init(200, "tkill", .implemented, "to any thread of the process", SignalSyscalls.tkill),
        .init(201, "time", .implemented, "from the TSC", TimeSyscalls.time),
        .init(202, "futex", .implemented, "wait/wake, bitsets, requeue, wake_op, PI locks (no priorities to inherit); shared waits and wakes on MAP_SHARED pages reach other processes", ThreadSyscalls.futex),
        .init(203, "sched_setaffinity", .implemented, "masks of the online vCPUs", ThreadSyscalls.schedSetaffinity),
        .init(204, "sched_getaffinity", .implemented, "the online vCPUs", ThreadSyscalls.schedGetaffinity),
        .init(213, "epoll_create", .implemented, "size must be positive; the instance is served in the guest", EpollSyscalls.epollCreate),
        .init(217, "getdents64", .implemented, "host getdents64, up to 48 KiB per call; /proc directories by the kernel", PathSyscalls.getdents64),
        .init(218, "set_tid_address", .implemented, "zeroed and futex-woken at thread exit", ThreadSyscalls.setTidAddress),
        .init(220, "semtimedop", .implemented, "as semop; the timeout ends a wait with EAGAIN", SystemVIPCSyscalls.semtimedop),
        .init(221, "fadvise64", .implemented, "advice only", SystemSyscalls.fadvise),
        .init(222, "timer_create", .partial, "SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID; a thread's CPU clock counts the process's CPU time; no clocks of other pids", TimerSyscalls.timerCreate),
        .init(223, "timer_settime", .implemented, "relative and TIMER_ABSTIME; periodic with overruns", TimerSyscalls.timerSettime),
        .init(224, "timer_gettime", .implemented, "the time left and the period", TimerSyscalls.timerGettime),
        .init(225, "timer_getoverrun", .implemented, "expirations folded into a pending signal", TimerSyscalls.timerGetoverrun),
        .init(226, "timer_delete", .implemented, "disarms and frees the id", TimerSyscalls.timerDelete),
        .init(228, "clock_gettime", .implemented, "from the TSC; MONOTONIC counts from boot; CPU-time clocks count the threads' time on a vCPU", TimeSyscalls.clockGettime),
        .init(229, "clock_getres", .implemented, "1 ns", TimeSyscalls.clockGetres),
        .init(230, "clock_nanosleep", .implemented, "relative and TIMER_ABSTIME; the task sleeps", TimeSyscalls.clockNanosleep),
        .init(231, "exit_group", .implemented, "ends every thread; status & 0xff becomes the host's exit status", ThreadSyscalls.exitGroup),
        .init(232, "epoll_wait", .implemented, "level, edge and one-shot as Linux; waits block the thread", EpollSyscalls.epollWait),
        .init(233, "epoll_ctl", .partial, "pipes, eventfds, nested epoll, host stdio, inotify and sockets (regular files EPERM); on host descriptors an edge is a newly reported event only", EpollSyscalls.epollCtl),
        .init(234, "tgkill", .implemented, "to any thread of the process", SignalSyscalls.tgkill),
        .init(247, "waitid", .implemented, "P_ALL, P_PID, P_PGID, P_PIDFD (EAGAIN on a PIDFD_NONBLOCK pidfd without WNOHANG); WEXITED, WSTOPPED, WCONTINUED, WNOWAIT (host waitid)", ForkSyscalls.waitid),
        .init(253, "inotify_init", .implemented, "inotify_init1 without flags", InotifySyscalls.inotifyInit),
        .init(254, "inotify_add_watch", .partial, "the host's inotify on the path resolved beneath the guest's root (IN_DONT_FOLLOW, IN_ONLYDIR, IN_MASK_ADD/CREATE as Linux); kernel-served /proc files and the host's devices EACCES", InotifySyscalls.inotifyAddWatch),
        .init(255, "inotify_rm_watch", .implemented, "the host's; IN_IGNORED queued", InotifySyscalls.inotifyRmWatch),
        .init(257, "openat", .implemented, "AT_FDCWD, absolute paths and directory fds; /proc and /dev/fd by the kernel", FileSyscalls.openat),
        .init(258, "mkdirat", .implemented, "host mkdirat; the guest umask applies", PathSyscalls.mkdirat),
        .init(260, "fchownat", .implemented, "AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH", PathSyscalls.fchownat),
        .init(262, "newfstatat", .implemented, "AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW", PathSyscalls.newfstatat),
        .init(263, "unlinkat", .implemented, "AT_REMOVEDIR", PathSyscalls.unlinkat),
        .init(264, "renameat", .implemented, "host renameat2", PathSyscalls.renameat),
        .init(265, "linkat", .partial, "AT_SYMLINK_FOLLOW not distinguished: links the file itself", PathSyscalls.linkat),
        .init(266, "symlinkat", .implemented, "text stored verbatim", PathSyscalls.symlinkat),
        .init(267, "readlinkat", .implemented, "host readlinkat; the kernel's links as readlink", PathSyscalls.readlinkat),
        .init(268, "fchmodat", .implemented, "host chmod of the resolved file", PathSyscalls.fchmodat),
        .init(269, "faccessat", .implemented, "host faccessat2 beneath the root", PathSyscalls.faccessat),
        .init(270, "pselect6", .implemented, "over the poll core; the signal mask is not swapped", PipeSyscalls.pselect6),
        .init(271, "ppoll", .implemented, "over the poll core; the signal mask is not swapped", PipeSyscalls.ppoll),
        .init(273, "set_robust_list", .implemented, "walked at thread exit: FUTEX_OWNER_DIED", ThreadSyscalls.setRobustList),
        .init(274, "get_robust_list", .implemented, "any thread of the process", ThreadSyscalls.getRobustList),
        .init(275, "splice", .partial, "guest pipe to pipe, pipe to host file or host pipe and back; bytes copied; two host pipes (after fork) EINVAL", SpliceSyscalls.splice),
        .init(276, "tee", .partial, "guest pipe to guest pipe, bytes copied; host pipes (after fork) EINVAL", SpliceSyscalls.tee),
        .init(278, "vmsplice", .partial, "a copy into or out of a guest pipe; no page gifting", SpliceSyscalls.vmsplice),
        .init(280, "utimensat", .implemented, "paths and descriptors; UTIME_NOW/OMIT as the host", PathSyscalls.utimensat),
        .init(281, "epoll_pwait", .implemented, "epoll_wait under a temporary signal mask, kept for the handler after EINTR", EpollSyscalls.epollPwait),
        .init(282, "signalfd", .implemented, "signalfd4 without flags", SignalDescriptorSyscalls.signalfd),
        .init(283, "timerfd_create", .implemented, "a guest object; read, poll, select and epoll", TimerSyscalls.timerfdCreate),
        .init(284, "eventfd", .implemented, "eventfd2 without flags", PipeSyscalls.eventfd),
        .init(285, "fallocate", .implemented, "the host's fallocate on a host file; guest objects as Linux", SpliceSyscalls.fallocate),
        .init(286, "timerfd_settime", .implemented, "relative and TFD_TIMER_ABSTIME; CANCEL_ON_SET accepted (the clock is never set)", TimerSyscalls.timerfdSettime),
        .init(287, "timerfd_gettime", .implemented, "the time left and the period", TimerSyscalls.timerfdGettime),
        .init(288, "accept4", .partial, "accept with SOCK_NONBLOCK and SOCK_CLOEXEC; an AF_UNIX peer bound to a path comes back unnamed", SocketSyscalls.accept4),
        .init(289, "signalfd4", .implemented, "a guest object; SFD_NONBLOCK, SFD_CLOEXEC, a new mask for an existing one; read takes the reading thread's pending signals of the mask, then the process's, as signalfd_siginfo records (no SIGCHLD times); poll, select and epoll, woken by every signal that becomes pending", SignalDescriptorSyscalls.signalfd4),
        .init(290, "eventfd2", .implemented, "served in the guest; EFD_SEMAPHORE", PipeSyscalls.eventfd2),
        .init(291, "epoll_create1", .implemented, "EPOLL_CLOEXEC", EpollSyscalls.epollCreate1),
        .init(292, "dup3", .implemented, "descriptors share the host handle", FileSyscalls.dup3),
        .init(293, "pipe2", .implemented, "O_NONBLOCK, O_CLOEXEC", PipeSyscalls.pipe2),
        .init(294, "inotify_init1", .implemented, "a host inotify instance; IN_NONBLOCK, IN_CLOEXEC; blocking reads wait without blocking other threads", InotifySyscalls.inotifyInit1),
        .init(295, "preadv", .implemented, "in place, per iovec", FileSyscalls.preadv),
        .init(296, "pwritev", .implemented, "in place, per iovec", FileSyscalls.pwritev),
        .init(297, "rt_tgsigqueueinfo", .implemented, "the caller's siginfo to one of its threads", SignalSyscalls.rtTgsigqueueinfo),
        .init(299, "recvmmsg", .implemented, "recvmsg per message, MSG_WAITFORONE; the timeout as Linux's (checked after each message, the time left written back)", SocketSyscalls.recvmmsg),
        .init(302, "prlimit64", .partial, "get and set for the process itself; raising a hard limit needs euid 0; RLIMIT_NOFILE's nr_open is the table's 1024 (Linux: 1048576)", ProcessSyscalls.prlimit64),
        .init(306, "syncfs", .implemented, "the host's page cache writes back", SystemSyscalls.adviseDescriptor),
        .init(307, "sendmmsg", .implemented, "sendmsg per message (at most 1024)", SocketSyscalls.sendmmsg),
        .init(309, "getcpu", .implemented, "the vCPU, node 0", ThreadSyscalls.getcpu),
        .init(316, "renameat2", .implemented, "RENAME_NOREPLACE and RENAME_EXCHANGE via the host", PathSyscalls.renameat2),
        .init(318, "getrandom", .implemented, "RDRAND mixed with a generator seeded from the host's random bytes", SystemSyscalls.getrandom),
        .init(322, "execveat", .implemented, "as execve; AT_EMPTY_PATH runs the file a descriptor names", ExecSyscalls.execveat),
        .init(326, "copy_file_range", .implemented, "the host's copy_file_range between host files; guest objects EINVAL", SpliceSyscalls.copyFileRange),
        .init(332, "statx", .partial, "the basic fields (STATX_BASIC_STATS); no birth time", PathSyscalls.statx),
        .init(324, "membarrier", .implemented, "global and private expedited (with registration): every vCPU in application code is interrupted and waited for; no RSEQ", ThreadSyscalls.membarrier),
        .init(334, "rseq", .refused, "ENOSYS: faking success makes glibc rely on it", ProcessSyscalls.unsupported),
        .init(424, "pidfd_send_signal", .partial, "through the host's pidfd to a guest process (the host checks it is one, for a pidfd received from outside too); PIDFD_SIGNAL_THREAD/_THREAD_GROUP/_PROCESS_GROUP and PIDFD_SELF_*; the caller's siginfo reaches only the caller (another process gets the signal as kill sends it), and PIDFD_SIGNAL_THREAD to another process signals the process", PidfdSyscalls.pidfdSendSignal),
        .init(434, "pidfd_open", .partial, "a host pidfd on a guest process (poll/epoll readable at its exit, waitid(P_PIDFD), fork and exec as host descriptors), PIDFD_NONBLOCK; PIDFD_THREAD is EINVAL (guest threads are no host threads); pids outside the guest ESRCH", PidfdSyscalls.pidfdOpen),
        .init(435, "clone3", .implemented, "threads, and processes as clone", ThreadSyscalls.clone3),
        .init(436, "close_range", .implemented, "CLOSE_RANGE_CLOEXEC", PipeSyscalls.closeRange),
        .init(441, "epoll_pwait2", .implemented, "timespec timeout (not written back) and temporary signal mask", EpollSyscalls.epollPwait2),
        .init(449, "futex_waitv", .implemented, "up to 128 32-bit futexes, absolute timeout", ThreadSyscalls.futexWaitv),
    ]

    /// The highest syscall number the table may hold, plus one.
    static let numberLimit = 512

    /// `entries`' index for each syscall number, -1 for numbers not in the table and for those
    /// the runner asked to refuse, so that dispatch costs one load, not a search. Built at the
    /// first syscall, after boot has read the runner's refusals. (An array of optional
    /// handlers would be passed through a generic thunk: slower.)
    private static let indexByNumber: [Int16] = {
        var index = [Int16](repeating: -1, count: numberLimit)
        for (position, entry) in entries.enumerated() where entry.number < UInt64(numberLimit) && !isRefused(entry.number) {
            index[Int(entry.number)] = Int16(position)
        }
        return index
    }()

    /// The entry for `number`, nil when there is none or the runner refuses it.
    static func entry(for number: UInt64) -> SyscallEntry? {
        guard number < UInt64(numberLimit) else { return nil }
        let position = indexByNumber[Int(number)]
        return position < 0 ? nil : entries[Int(position)]
    }

    /// Whether the runner asked (fault injection) to refuse syscall `number`.
    static func isRefused(_ number: UInt64) -> Bool {
        guard number < 512 else { return false }
        let words = currentProcess.bootInfo.refused_syscalls
        let word: UInt64
        switch number / 64 {
        case 0: word = words.0
        case 1: word = words.1
        case 2: word = words.2
        case 3: word = words.3
        case 4: word = words.4
        case 5: word = words.5
        case 6: word = words.6
        default: word = words.7
        }
        return word & (1 << (number % 64)) != 0
    }

    /// Runs syscall `number`; returns the value for %rax (negative errno on failure).
    static func dispatch(number: UInt64, arguments: SyscallArguments) -> Int {
        var result: Int
        if let entry = entry(for: number) {
            do throws(Errno) {
                result = try entry.handler(arguments)
            } catch {
                result = -error.rawValue
            }
        } else {
            result = -Errno.ENOSYS.rawValue
        }
        if currentProcess.tracing {
            Hypercall.trace(number: number, arguments: arguments, result: result)
        }
        return result
    }
}
