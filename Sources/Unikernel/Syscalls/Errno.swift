/// Linux errno values. Handlers throw these; the syscall boundary alone
/// turns them into the negative return value.
enum Errno: Int, Error {
    case EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7
    case ENOEXEC = 8, EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13
    case EFAULT = 14, ENOTBLK = 15, EBUSY = 16, EEXIST = 17, EXDEV = 18, ENODEV = 19
    case ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOTTY = 25
    case ETXTBSY = 26, EFBIG = 27, ENOSPC = 28, ESPIPE = 29, EROFS = 30, EMLINK = 31
    case EPIPE = 32, EDOM = 33, ERANGE = 34, EDEADLK = 35, ENAMETOOLONG = 36, ENOLCK = 37
    case ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40, ENOMSG = 42, EIDRM = 43, ENODATA = 61, EOVERFLOW = 75
    case ENOTSOCK = 88, EDESTADDRREQ = 89, EMSGSIZE = 90, EPROTOTYPE = 91, ENOPROTOOPT = 92
    case EPROTONOSUPPORT = 93, ESOCKTNOSUPPORT = 94, EOPNOTSUPP = 95, EPFNOSUPPORT = 96
    case EAFNOSUPPORT = 97, EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENETDOWN = 100, ENETUNREACH = 101
    case ENETRESET = 102, ECONNABORTED = 103, ECONNRESET = 104, ENOBUFS = 105, EISCONN = 106
    case ENOTCONN = 107, ESHUTDOWN = 108, ETIMEDOUT = 110, ECONNREFUSED = 111, EHOSTDOWN = 112
    case EHOSTUNREACH = 113, EALREADY = 114, EINPROGRESS = 115, EDQUOT = 122
    /// Not an errno the application sees (Linux's ERESTARTSYS): a blocking call a signal cut
    /// short. The dispatcher restarts it after a handler with SA_RESTART (or a signal that is
    /// ignored), and answers EINTR otherwise.
    case ERESTARTSYS = 512

    /// Interprets a host hypercall result (>= 0, or -errno).
    static func check(_ result: Int64) throws(Errno) -> Int {
        if result >= 0 { return Int(result) }
        throw Errno(rawValue: Int(-result)) ?? .EIO
    }
}
