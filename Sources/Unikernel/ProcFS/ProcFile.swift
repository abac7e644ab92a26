/// A file of /proc whose text the kernel generates (ProcContent).
enum ProcFile {
    // /proc/<pid>/
    case status, stat, statm, maps, cmdline, environ, auxv, limits, mounts, mountinfo, comm
    /// /proc/<pid>/fdinfo/N
    case descriptorInfo(Int)
    // /proc/
    case cpuinfo, meminfo, systemStat, uptime, loadavg, version, filesystems
    // /proc/sys/kernel/ and /proc/sys/kernel/random/
    case osType, osRelease, hostname, pidMax, bootID, uuid

    /// /proc/<pid>/'s files, by name (sorted, as a listing shows them).
    static var processFiles: [([UInt8], ProcFile)] {
        [(bytes("auxv"), .auxv), (bytes("cmdline"), .cmdline), (bytes("comm"), .comm), (bytes("environ"), .environ),
         (bytes("limits"), .limits), (bytes("maps"), .maps), (bytes("mountinfo"), .mountinfo), (bytes("mounts"), .mounts),
         (bytes("stat"), .stat), (bytes("statm"), .statm), (bytes("status"), .status)]
    }

    /// The files directly in /proc.
    static var systemFiles: [([UInt8], ProcFile)] {
        [(bytes("cpuinfo"), .cpuinfo), (bytes("filesystems"), .filesystems), (bytes("loadavg"), .loadavg),
         (bytes("meminfo"), .meminfo), (bytes("stat"), .systemStat), (bytes("uptime"), .uptime), (bytes("version"), .version)]
    }

    /// /proc/sys/kernel/'s files.
    static var kernelFiles: [([UInt8], ProcFile)] {
        [(bytes("hostname"), .hostname), (bytes("osrelease"), .osRelease), (bytes("ostype"), .osType), (bytes("pid_max"), .pidMax)]
    }

    /// /proc/sys/kernel/random/'s files.
    static var randomFiles: [([UInt8], ProcFile)] {
        [(bytes("boot_id"), .bootID), (bytes("uuid"), .uuid)]
    }

    private static func bytes(_ literal: StaticString) -> [UInt8] { KernelFileTree.bytes(literal) }
}
