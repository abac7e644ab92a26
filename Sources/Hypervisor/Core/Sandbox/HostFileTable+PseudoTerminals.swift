import CLinux
import Glibc

/// Pseudo-terminals the guest opens itself: `/dev/ptmx` in its /dev is the host's (each open a
/// new pair in the host's devpts, whose multiplexer end the guest then holds), and a name in its
/// /dev/pts opens a terminal end, but only of a pseudo-terminal the guest holds already: some
/// handle of this table is its multiplexer end, or its terminal end itself (as a child that
/// closed the multiplexer after fork, as forkpty's does, or a runner whose stdin is a terminal).
/// The runner may run as root: the guest must never reach another user's or another program's
/// terminal, so every other name there does not exist (ENOENT). Handles survive fork and execve,
/// so a child or a new program opens the terminal end as the process that made the pair. The
/// terminal end is opened through the handle itself, never by a host path: TIOCGPTPEER on a
/// multiplexer end, or the host's /proc/self/fd link of a terminal end, so it is exactly that
/// handle's terminal, whatever devpts the host's /dev/pts is. The guest's /dev/pts directory
/// lists nothing.
extension HostFileTable {
    /// Linux's requests on a pseudo-terminal's multiplexer end (asm-generic/ioctls.h).
    enum PseudoTerminal {
        /// TIOCGPTN: the pseudo-terminal's number (an unsigned int answered).
        static let number: UInt32 = 0x8004_5430
        /// TIOCSPTLCK: locks (non-zero int) or unlocks (0) the terminal end's opening.
        static let setLock: UInt32 = 0x4004_5431
        /// TIOCGPTLCK: whether the terminal end is locked (an int answered).
        static let lockState: UInt32 = 0x8004_5439
        /// TIOCPKT: packet mode on (non-zero int) or off.
        static let setPacketMode: UInt32 = 0x5420
        /// TIOCGPKT: whether packet mode is on (an int answered).
        static let packetState: UInt32 = 0x8004_5438
        /// TIOCGPTPEER: a new descriptor for the terminal end, the open flags passed by value.
        static let openPeer: UInt32 = 0x5441
        /// makedev(5, 2): the device number of /dev/ptmx and of every devpts's own ptmx.
        static let multiplexerDevice: UInt = 0x0502
        /// The majors of terminal ends (UNIX98_PTY_SLAVE_MAJOR and the next 7): N is
        /// (major - 136) * 256 + minor.
        static let terminalEndMajors: ClosedRange<UInt64> = 136...143
    }

    /// The name a normalised guest path gives inside the guest's /dev/pts (one component,
    /// never empty), or nil when it lies elsewhere.
    func terminalName(_ path: [UInt8]) -> [UInt8]? {
        guard let directory = devicesDirectory else { return nil }
        let prefix = directory + Array("/pts/".utf8)
        guard path.count > prefix.count, path.starts(with: prefix) else { return nil }
        let name = Array(path[prefix.count...])
        return name.contains(GuestMounts.slash) ? nil : name
    }

    /// How the table holds pseudo-terminal N, when it does.
    enum HeldTerminal: Equatable {
        /// A multiplexer end (/dev/ptmx) whose TIOCGPTN is N.
        case multiplexer(Int32)
        /// The terminal end /dev/pts/N itself (UNIX98 pty slave majors 136 to 143), while its
        /// name exists (its multiplexer end is open somewhere).
        case terminalEnd(Int32)
    }

    /// The host descriptor by which this table holds the pseudo-terminal numbered `name`
    /// (decimal, as devpts names it), a multiplexer end rather than a terminal end, or nil.
    func heldTerminal(named name: [UInt8]) -> HeldTerminal? {
        let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        guard !name.isEmpty, name.count <= 10, name.allSatisfy({ (zero...nine).contains($0) }),
              name.count == 1 || name[0] != zero else { return nil }
        let wanted = name.reduce(UInt64(0)) { $0 * 10 + UInt64($1 - zero) }
        var terminalEnd: Int32?
        for fd in openDescriptors {
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFCHR else { continue }
            let device = UInt64(info.st_rdev)
            let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff))
            let minor = (device & 0xff) | ((device >> 12) & ~UInt64(0xff))
            if UInt(device) == PseudoTerminal.multiplexerDevice {
                var number: UInt32 = 0
                if ckvm_ioctl_ptr(fd, UInt(PseudoTerminal.number), &number) == 0, UInt64(number) == wanted {
                    return .multiplexer(fd)
                }
            } else if PseudoTerminal.terminalEndMajors.contains(major), (major - 136) * 256 + minor == wanted,
                      info.st_nlink > 0 {
                // (No link left: its multiplexer end closed and devpts removed the name, as Linux.)
                terminalEnd = terminalEnd ?? fd
            }
        }
        return terminalEnd.map { .terminalEnd($0) }
    }

    /// Opens the terminal end named `name` in the guest's /dev/pts with open(2) `flags`: one the
    /// table holds (`heldTerminal(named:)`), opened anew through that handle, with Linux's
    /// answers for flags a terminal refuses (EEXIST for O_CREAT|O_EXCL, ENOTDIR for
    /// O_DIRECTORY); any other name does not exist (ENOENT; EACCES with O_CREAT, as devpts
    /// creates nothing). A locked terminal end is EIO, as on Linux. Returns the fd, or -1 with
    /// errno set.
    func openTerminalEnd(named name: [UInt8], flags: Int32) -> Int32 {
        guard let held = heldTerminal(named: name) else {
            errno = flags & O_CREAT != 0 ? EACCES : ENOENT
            return -1
        }
        if flags & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL {
            errno = EEXIST
            return -1
        }
        if flags & O_DIRECTORY != 0 {
            errno = ENOTDIR
            return -1
        }
        let opening = (flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW)) | O_CLOEXEC
        switch held {
        case let .multiplexer(master):
            return ckvm_ioctl_value(master, UInt(PseudoTerminal.openPeer), UInt(UInt32(bitPattern: opening)))
        case let .terminalEnd(terminal):
            // The host's magic link of the descriptor: a new open file description of its inode.
            return Glibc.open(HostFileTable.procPath(terminal), opening)
        }
    }

    /// TIOCGPTPEER on host descriptor `fd`: its terminal end opened with `flags` (close-on-exec
    /// on the host), adopted as a new handle. Returns the handle or -errno (EIO when `fd` is a
    /// terminal but no multiplexer end, or the terminal end is locked; ENOTTY for no terminal).
    func openTerminalEnd(of fd: Int32, flags: Int32) -> Int64 {
        guard hasRoom else { return -Int64(EMFILE) }
        let peer = ckvm_ioctl_value(fd, UInt(PseudoTerminal.openPeer), UInt(UInt32(bitPattern: flags | O_CLOEXEC)))
        guard peer >= 0 else { return -Int64(errno) }
        return adopt(peer)
    }
}
