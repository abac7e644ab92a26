import CLinux
import Glibc

/// Pseudo-terminals the guest opens itself: `/dev/ptmx` in its /dev is the host's (each open a
/// new pair in the host's devpts, whose multiplexer end the guest then holds), and a name in its
/// /dev/pts opens a terminal end, but only of a pseudo-terminal whose multiplexer end some handle
/// of this table is. The runner may run as root: the guest must never reach another user's or
/// another program's terminal, so every other name there does not exist (ENOENT). Handles
/// survive fork and execve, so a child or a new program opens the terminal end as the process
/// that made the pair. The terminal end is opened through the multiplexer itself
/// (TIOCGPTPEER), never by a host path: it is exactly that multiplexer's peer, whatever devpts
/// the host's /dev/pts is. The guest's /dev/pts directory lists nothing.
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

    /// The host descriptor of a multiplexer end among this table's handles whose
    /// pseudo-terminal is number `name` (decimal, as devpts names it), or nil.
    func multiplexer(named name: [UInt8]) -> Int32? {
        let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        guard !name.isEmpty, name.count <= 10, name.allSatisfy({ (zero...nine).contains($0) }),
              name.count == 1 || name[0] != zero else { return nil }
        let wanted = name.reduce(UInt64(0)) { $0 * 10 + UInt64($1 - zero) }
        for fd in openDescriptors {
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFCHR,
                  UInt(info.st_rdev) == PseudoTerminal.multiplexerDevice else { continue }
            var number: UInt32 = 0
            guard ckvm_ioctl_ptr(fd, UInt(PseudoTerminal.number), &number) == 0, UInt64(number) == wanted else { continue }
            return fd
        }
        return nil
    }

    /// Opens the terminal end named `name` in the guest's /dev/pts with open(2) `flags`: the
    /// peer of a multiplexer end this table holds (`multiplexer(named:)`), with Linux's answers
    /// for flags a terminal refuses (EEXIST for O_CREAT|O_EXCL, ENOTDIR for O_DIRECTORY); any
    /// other name does not exist (ENOENT; EACCES with O_CREAT, as devpts creates nothing). A
    /// locked terminal end is EIO, as on Linux. Returns the fd, or -1 with errno set.
    func openTerminalEnd(named name: [UInt8], flags: Int32) -> Int32 {
        guard let master = multiplexer(named: name) else {
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
        let opening = flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW)
        return ckvm_ioctl_value(master, UInt(PseudoTerminal.openPeer), UInt(UInt32(bitPattern: opening | O_CLOEXEC)))
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
