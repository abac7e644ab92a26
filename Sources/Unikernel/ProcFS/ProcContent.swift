import UnikernelABI

/// The text of each /proc file, generated from the kernel's own state in
/// Linux's exact format (field names, order, padding and units), so programs
/// that parse them (ps, free, top, libc's sysconf, language runtimes) read
/// what they read on Linux. A few system-wide files are the host's own,
/// limited to what the guest has: its CPUs (cpuinfo, stat), the load, and
/// sysctl values of the machine (pid_max, boot_id, uuid).
enum ProcContent {
    static func generate(_ file: ProcFile) throws(Errno) -> [UInt8] {
        switch file {
        case .status: return status()
        case .stat: return processStat()
        case .statm: return statm()
        case .maps: return maps()
        case .cmdline: return userBytes(currentProcess.startLayout.argumentStart, currentProcess.startLayout.argumentEnd)
        case .environ: return userBytes(currentProcess.startLayout.environmentStart, currentProcess.startLayout.environmentEnd)
        case .auxv: return auxv()
        case .limits: return limits()
        case .mounts: return mounts()
        case .mountinfo: return mountInfo()
        case .comm: return currentProcess.taskName + [0x0A]
        case let .descriptorInfo(fd): return try descriptorInfo(fd)
        case .cpuinfo: return cpuInfo(try hostFile("cpuinfo"))
        case .systemStat: return systemStat(try hostFile("stat"))
        case .loadavg: return try hostFile("loadavg")
        case .pidMax: return try hostFile("sys/kernel/pid_max")
        case .bootID: return try hostFile("sys/kernel/random/boot_id")
        case .uuid: return try hostFile("sys/kernel/random/uuid")
        case .meminfo: return memInfo()
        case .uptime: return uptime()
        case .version:
            var text = Text()
            text.append("Linux version ")
            text.append(SystemSyscalls.release)
            text.append(" (unikernel) ")
            text.append(SystemSyscalls.version)
            text.newline()
            return text.bytes
        case .filesystems: return KernelFileTree.bytes("nodev\thostfs\nnodev\tproc\n")
        case .osType: return KernelFileTree.bytes("Linux\n")
        case .osRelease: return line(SystemSyscalls.release)
        case .hostname: return line(SystemSyscalls.nodeName)
        }
    }

    private static func line(_ literal: StaticString) -> [UInt8] {
        var text = Text()
        text.append(literal)
        text.newline()
        return text.bytes
    }

    // MARK: /proc/<pid>/status, stat, statm

    /// The process's memory in pages: (total, resident, stack, data, exe), as Linux's task_mem counts them.
    private static func memoryPages() -> (size: UInt64, resident: UInt64, stack: UInt64, data: UInt64, exe: UInt64) {
        var size: UInt64 = 0, stack: UInt64 = 0, data: UInt64 = 0, exe: UInt64 = 0
        for region in currentProcess.addressSpace.regions {
            let pages = (region.end - region.start) / AddressSpace.pageSize
            size += pages
            if region.kind == .stack { stack += pages }
            else if region.protection.isExecutable && region.kind == .image { exe += pages }
            else if region.protection.isWritable { data += pages }
        }
        return (size, UInt64(Frames.allocator.usedCount), stack, data, exe)
    }

    private static func status() -> [UInt8] {
        let process = currentProcess
        let info = process.bootInfo
        let pid = UInt64(process.pid)
        var text = Text()
        text.append("Name:\t")
        text.append(process.taskName)
        text.append("\nUmask:\t")
        text.append(octal: process.umask, width: 4)
        text.append("\nState:\tR (running)\n")
        text.field("Tgid", pid)
        text.field("Ngid", 0)
        text.field("Pid", pid)
        text.field("PPid", UInt64(process.parentPid))
        text.field("TracerPid", 0)
        text.append("Uid:")
        for id in [info.uid, info.euid, info.euid, info.euid] { text.append("\t"); text.append(decimal: UInt64(id)) }
        text.append("\nGid:")
        for id in [info.gid, info.egid, info.egid, info.egid] { text.append("\t"); text.append(decimal: UInt64(id)) }
        text.newline()
        text.field("FDSize", UInt64(process.files.capacity))
        text.append("Groups:\t \n")
        text.field("NStgid", pid)
        text.field("NSpid", pid)
        text.field("NSpgid", UInt64(max(0, groupQuery(UK_GROUP_GETPGID))))
        text.field("NSsid", UInt64(max(0, groupQuery(UK_GROUP_GETSID))))
        text.field("Kthread", 0)
        let memory = memoryPages()
        let kilobytes: [(StaticString, UInt64)] = [
            ("VmPeak:\t", memory.size), ("VmSize:\t", memory.size), ("VmLck:\t", 0), ("VmPin:\t", 0),
            ("VmHWM:\t", memory.resident), ("VmRSS:\t", memory.resident), ("RssAnon:\t", memory.resident),
            ("RssFile:\t", 0), ("RssShmem:\t", 0), ("VmData:\t", memory.data), ("VmStk:\t", memory.stack),
            ("VmExe:\t", memory.exe), ("VmLib:\t", 0), ("VmPTE:\t", 0), ("VmSwap:\t", 0), ("HugetlbPages:\t", 0),
        ]
        for (label, pages) in kilobytes {
            text.append(label)
            text.append(decimal: pages * 4, width: 8)
            text.append(" kB\n")
        }
        text.field("CoreDumping", 0)
        text.field("THP_enabled", 1)
        text.append("untag_mask:\t0xffffffffffffffff\n")
        text.field("Threads", UInt64(Scheduler.tasks.count))
        text.append("SigQ:\t0/")
        text.append(decimal: process.limits[11].0 == Process.unlimited ? 0 : process.limits[11].0)
        text.newline()
        let thread = Scheduler.current.signals
        var ignored: UInt64 = 0, caught: UInt64 = 0
        for signal in 1...64 {
            let handler = process.signals.actions[signal].handler
            if handler == Signals.sigIgnore { ignored |= Signals.bit(signal) }
            else if handler != Signals.sigDefault { caught |= Signals.bit(signal) }
        }
        let masks: [(StaticString, UInt64)] = [("SigPnd:\t", thread.pending), ("ShdPnd:\t", process.signals.sharedPending),
                                               ("SigBlk:\t", thread.blocked), ("SigIgn:\t", ignored), ("SigCgt:\t", caught)]
        for (label, mask) in masks {
            text.append(label)
            text.append(hex: mask, width: 16)
            text.newline()
        }
        let capabilities: UInt64 = info.euid == 0 ? 0x1ff_ffff_ffff : 0
        let capabilitySets: [(StaticString, UInt64)] = [("CapInh:\t", 0), ("CapPrm:\t", capabilities), ("CapEff:\t", capabilities),
                                                        ("CapBnd:\t", 0x1ff_ffff_ffff), ("CapAmb:\t", 0)]
        for (label, mask) in capabilitySets {
            text.append(label)
            text.append(hex: mask, width: 16)
            text.newline()
        }
        text.append("NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n")
        text.append("Speculation_Store_Bypass:\tthread vulnerable\nSpeculationIndirectBranch:\tconditional enabled\n")
        let cpus = Scheduler.cpuCount
        text.append("Cpus_allowed:\t")
        text.append(hex: cpus >= 64 ? UInt64.max : (UInt64(1) << UInt64(cpus)) - 1)
        text.append("\nCpus_allowed_list:\t0")
        if cpus > 1 {
            text.append("-")
            text.append(decimal: UInt64(cpus - 1))
        }
        text.append("\nMems_allowed:\t00000001\nMems_allowed_list:\t0\n")
        text.append("voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n")
        return text.bytes
    }

    private static func groupQuery(_ operation: uk_group_op) -> Int {
        (try? Errno.check(Hypercall.process(UK_PROC_GROUP, Int64(operation.rawValue), 0, 0))) ?? 0
    }

    private static func imageBounds(executable: Bool) -> (UInt64, UInt64) {
        var low = UInt64.max, high: UInt64 = 0
        for region in currentProcess.addressSpace.regions where region.kind == .image
            && region.protection.isExecutable == executable && (executable || region.protection.isWritable) {
            low = min(low, region.start)
            high = max(high, region.end)
        }
        return low == UInt64.max ? (0, 0) : (low, high)
    }

    private static func processStat() -> [UInt8] {
        let process = currentProcess
        let memory = memoryPages()
        let ticks = Scheduler.processCPUTime / 10_000_000  // utime: the CPU time, as user time
        let (codeStart, codeEnd) = imageBounds(executable: true)
        let (dataStart, dataEnd) = imageBounds(executable: false)
        var ignored: UInt64 = 0, caught: UInt64 = 0
        for signal in 1...64 {
            let handler = process.signals.actions[signal].handler
            if handler == Signals.sigIgnore { ignored |= Signals.bit(signal) }
            else if handler != Signals.sigDefault { caught |= Signals.bit(signal) }
        }
        let thread = Scheduler.current.signals
        let layout = process.startLayout
        var text = Text()
        text.append(decimal: UInt64(process.pid))
        text.append(" (")
        text.append(process.taskName)
        text.append(") R ")
        let fields: [Int64] = [
            Int64(process.parentPid), Int64(groupQuery(UK_GROUP_GETPGID)), Int64(groupQuery(UK_GROUP_GETSID)), 0, -1,
            4_194_304, 0, 0, 0, 0, Int64(ticks), 0, 0, 0, 20, Int64(process.nice), Int64(Scheduler.tasks.count), 0, 0,
            Int64(bitPattern: memory.size * AddressSpace.pageSize), Int64(memory.resident),
            Int64(bitPattern: process.limits[5].0), Int64(codeStart), Int64(codeEnd), Int64(layout.stackStart), 0, 0,
            Int64(bitPattern: thread.pending | process.signals.sharedPending), Int64(bitPattern: thread.blocked),
            Int64(bitPattern: ignored), Int64(bitPattern: caught), 0, 0, 0, 17, Int64(Scheduler.current.cpu), 0, 0, 0, 0, 0,
            Int64(dataStart), Int64(dataEnd), Int64(process.addressSpace.brkStart),
            Int64(layout.argumentStart), Int64(layout.argumentEnd), Int64(layout.environmentStart), Int64(layout.environmentEnd), 0,
        ]
        for (index, value) in fields.enumerated() {
            if index > 0 { text.append(" ") }
            // rsslim, the signal masks and addresses are unsigned on Linux; the rest are signed.
            if value < 0 && (index == 21 || (index >= 27 && index <= 30)) {
                text.append(decimal: UInt64(bitPattern: value))
            } else {
                text.append(signed: Int(value))
            }
        }
        text.newline()
        return text.bytes
    }

    private static func statm() -> [UInt8] {
        let memory = memoryPages()
        var text = Text()
        for (index, value) in [memory.size, memory.resident, 0, memory.exe, 0, memory.data + memory.stack, 0].enumerated() {
            if index > 0 { text.append(" ") }
            text.append(decimal: value)
        }
        text.newline()
        return text.bytes
    }

    // MARK: /proc/<pid>/maps

    private static func maps() -> [UInt8] {
        let space = currentProcess.addressSpace
        let vdso = currentProcess.vdsoBase
        var imageBase = UInt64.max
        for region in space.regions where region.kind == .image { imageBase = min(imageBase, region.start) }
        let interpreter = currentProcess.bootInfo.interp_base
        var text = Text()
        for region in space.regions {
            text.append(hex: region.start, width: 8)
            text.append("-")
            text.append(hex: region.end, width: 8)
            text.append(" ")
            let protection = region.protection
            text.append(byte: protection.isReadable ? UInt8(ascii: "r") : UInt8(ascii: "-"))
            text.append(byte: protection.isWritable ? UInt8(ascii: "w") : UInt8(ascii: "-"))
            text.append(byte: protection.isExecutable ? UInt8(ascii: "x") : UInt8(ascii: "-"))
            text.append(byte: region.kind == .shared ? UInt8(ascii: "s") : UInt8(ascii: "p"))
            text.append(" ")
            // The image's segments: the program's, then (after interp_base) the interpreter's.
            let isVDSO = vdso != 0 && region.start == vdso
            let isImage = region.kind == .image && !isVDSO
            let fromProgram = isImage && (interpreter == 0 || region.start < interpreter)
            let offset = isImage ? region.start - (fromProgram ? imageBase : interpreter) : region.fileOffset
            text.append(hex: offset, width: 8)
            text.append(" 00:00 0 ")
            var name: [UInt8] = []
            if region.kind == .stack {
                name = KernelFileTree.bytes("[stack]")
            } else if region.kind == .heap {
                name = KernelFileTree.bytes("[heap]")
            } else if isVDSO {
                name = KernelFileTree.bytes("[vdso]")
            } else if isImage {
                name = fromProgram ? currentProcess.executableName : currentProcess.interpreterName
            } else if region.name != 0 {
                name = space.names[Int(region.name)]
            }
            if !name.isEmpty {
                text.pad(toColumn: 73)
                text.append(name)
            }
            text.newline()
        }
        return text.bytes
    }

    // MARK: /proc/<pid>/cmdline, environ, auxv

    /// The application's bytes in [start, end) (empty when it unmapped them).
    private static func userBytes(_ start: UInt64, _ end: UInt64) -> [UInt8] {
        guard end > start, end - start <= 1 << 20 else { return [] }
        var bytes = [UInt8](repeating: 0, count: Int(end - start))
        do throws(Errno) {
            try UserMemory.copyIn(from: start, to: &bytes, count: bytes.count)
        } catch {
            return []
        }
        return bytes
    }

    private static func auxv() -> [UInt8] {
        var bytes: [UInt8] = []
        for word in currentProcess.startLayout.auxiliaryVector {
            for index in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(index)))) }
        }
        return bytes
    }

    // MARK: /proc/<pid>/limits

    private static func limits() -> [UInt8] {
        let rows: [(StaticString, Int, StaticString)] = [
            ("Max cpu time", 0, "seconds"), ("Max file size", 1, "bytes"), ("Max data size", 2, "bytes"),
            ("Max stack size", 3, "bytes"), ("Max core file size", 4, "bytes"), ("Max resident set", 5, "bytes"),
            ("Max processes", 6, "processes"), ("Max open files", 7, "files"), ("Max locked memory", 8, "bytes"),
            ("Max address space", 9, "bytes"), ("Max file locks", 10, "locks"), ("Max pending signals", 11, "signals"),
            ("Max msgqueue size", 12, "bytes"), ("Max nice priority", 13, ""), ("Max realtime priority", 14, ""),
            ("Max realtime timeout", 15, "us"),
        ]
        var text = Text()
        text.append("Limit                     Soft Limit           Hard Limit           Units     \n")
        for (name, resource, unit) in rows {
            text.append(name)
            text.pad(toColumn: 26)
            let (soft, hard) = currentProcess.limits[resource]
            for (index, value) in [soft, hard].enumerated() {
                if value == Process.unlimited { text.append("unlimited") } else { text.append(decimal: value) }
                text.pad(toColumn: 26 + 21 * (index + 1))
            }
            text.append(unit)
            text.pad(toColumn: 26 + 21 * 2 + 10)
            text.newline()
        }
        return text.bytes
    }

    // MARK: mounts

    /// The guest's mounts: the host's table of them (the root, each volume, the private /tmp,
    /// /dev and /etc, with ro or rw), and /proc, which the kernel serves, after the root.
    private static func mountLines() -> [[UInt8]] {
        let host = (try? hostFile("mounts")) ?? []
        var lines = host.split(separator: 0x0A).map { Array($0) }
        let proc = KernelFileTree.bytes("proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0")
        lines.insert(proc, at: min(1, lines.count))
        return lines
    }

    private static func mounts() -> [UInt8] {
        var bytes: [UInt8] = []
        for line in mountLines() { bytes += line + [0x0A] }
        return bytes
    }

    /// mountinfo from the same table: "id parent major:minor root mount-point options - type source super-options".
    private static func mountInfo() -> [UInt8] {
        var text = Text()
        for (index, line) in mountLines().enumerated() {
            let fields = line.split(separator: 0x20).map { Array($0) }
            guard fields.count >= 4 else { continue }
            text.append(decimal: UInt64(index + 1))
            text.append(" ")
            text.append(decimal: UInt64(index == 0 ? 0 : 1))
            text.append(" 0:")
            text.append(decimal: UInt64(index + 20))
            text.append(" / ")
            text.append(fields[1]); text.append(" "); text.append(fields[3]); text.append(" - ")
            text.append(fields[2]); text.append(" "); text.append(fields[0])
            text.append(fields[3].starts(with: KernelFileTree.bytes("ro")) ? " ro\n" : " rw\n")
        }
        return text.bytes
    }

    // MARK: descriptors

    /// What /proc/<pid>/fd/N reads as: the guest path of a file opened by name, pipe:[inode] or
    /// anon_inode:[kind] for objects the kernel serves, the host's name for inherited stdio.
    static func linkText(of file: OpenFile) -> [UInt8] {
        if let object = file.object {
            var text = Text()
            switch object {
            case let .pipeReader(pipe), let .pipeWriter(pipe):
                text.append("pipe:[")
                text.append(decimal: objectInode(pipe))
                text.append("]")
            case .eventCounter: text.append("anon_inode:[eventfd]")
            case .timer: text.append("anon_inode:[timerfd]")
            case .signals: text.append("anon_inode:[signalfd]")
            case .epoll: text.append("anon_inode:[eventpoll]")
            case let .synthetic(synthetic): text.append(synthetic.path)
            }
            return text.bytes
        }
        if file.path.first == PathResolver.slash { return file.path }
        let count = (try? Hypercall.file(UK_FILE_LINK_NAME, handle: file.hostHandle, dataLength: BounceBuffer.dataCapacity)) ?? 0
        var name = [UInt8](repeating: 0, count: count)
        for index in 0..<count { name[index] = BounceBuffer.data.load(fromByteOffset: index, as: UInt8.self) }
        return name
    }

    /// A small, stable inode number for an object the kernel serves (pipefs numbers are small too).
    static func objectInode(_ object: AnyObject) -> UInt64 {
        (UInt64(UInt(bitPattern: ObjectIdentifier(object))) >> 4) & 0xFF_FFFF
    }

    private static func descriptorInfo(_ fd: Int) throws(Errno) -> [UInt8] {
        let file = try currentProcess.files.file(fd)
        var position: UInt64 = 0
        var inode: UInt64 = 0
        if let object = file.object {
            if case let .synthetic(synthetic) = object { position = UInt64(synthetic.position) }
            switch object {
            case let .pipeReader(pipe), let .pipeWriter(pipe): inode = objectInode(pipe)
            case let .synthetic(synthetic): inode = SyntheticFile.inode(of: synthetic.path)
            default: inode = 0
            }
        } else {
            if let offset = try? Errno.check(Hypercall.seek(handle: file.hostHandle, offset: 0, whence: 1)) { position = UInt64(offset) }
            if (try? Errno.check(Hypercall.fstat(handle: file.hostHandle, statPhysical: BounceBuffer.physical))) != nil {
                // SAFETY: the host wrote a 144-byte struct stat at the start of the bounce buffer: st_ino at 8.
                inode = BounceBuffer.pointer.load(fromByteOffset: 8, as: UInt64.self)
            }
        }
        var text = Text()
        text.append("pos:\t")
        text.append(decimal: position)
        text.append("\nflags:\t0")
        text.append(octal: UInt64(file.flags & ~0o2000000 | 0o100000 | (file.closeOnExec ? 0o2000000 : 0)))
        text.append("\nmnt_id:\t1\nino:\t")
        text.append(decimal: inode)
        text.newline()
        if case let .signals(descriptor)? = file.object {
            // As Linux's signalfd_show_fdinfo: the mask in 16 hex digits.
            text.append("sigmask:\t")
            text.append(hex: descriptor.mask, width: 16)
            text.newline()
        }
        return text.bytes
    }

    // MARK: system-wide files

    /// A file of the host's /proc that the guest may read (cpuinfo, stat, loadavg, sysctl values).
    private static func hostFile(_ name: StaticString) throws(Errno) -> [UInt8] {
        let count = try Hypercall.path(UK_PATH_SYSTEM_FILE, path: KernelFileTree.bytes(name), dataLength: BounceBuffer.dataCapacity)
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count { bytes[index] = BounceBuffer.data.load(fromByteOffset: index, as: UInt8.self) }
        return bytes
    }

    /// The host's cpuinfo, its first `vCPU count` processors (blank-line separated blocks).
    private static func cpuInfo(_ host: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var blocks = 0
        var index = 0
        while index < host.count && blocks < Scheduler.cpuCount {
            var end = index
            while end + 1 < host.count && !(host[end] == 0x0A && host[end + 1] == 0x0A) { end += 1 }
            guard end + 1 < host.count else { break }
            result.append(contentsOf: host[index...(end + 1)])
            blocks += 1
            index = end + 2
        }
        return result
    }

    /// The host's /proc/stat without the lines of CPUs the guest does not have.
    private static func systemStat(_ host: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        for line in host.split(separator: 0x0A, omittingEmptySubsequences: false) {
            let bytes = Array(line)
            if bytes.count > 3, bytes[0] == UInt8(ascii: "c"), bytes[1] == UInt8(ascii: "p"), bytes[2] == UInt8(ascii: "u"),
               bytes[3] != 0x20, let space = bytes.firstIndex(of: 0x20),
               let number = Text.number(Array(bytes[3..<space])), number >= UInt64(Scheduler.cpuCount) {
                continue
            }
            result.append(contentsOf: bytes)
            result.append(0x0A)
        }
        if result.last == 0x0A && host.last == 0x0A { result.removeLast() }
        return result
    }

    private static func memInfo() -> [UInt8] {
        let total = UInt64(currentProcess.bootInfo.memory_size) / 1024
        let free = UInt64(Frames.availableCount) * 4
        let rows: [(StaticString, UInt64)] = [
            ("MemTotal:       ", total), ("MemFree:        ", free), ("MemAvailable:   ", free), ("Buffers:        ", 0),
            ("Cached:         ", 0), ("SwapCached:     ", 0), ("Active:         ", total - free), ("Inactive:       ", 0),
            ("SwapTotal:      ", 0), ("SwapFree:       ", 0), ("Dirty:          ", 0), ("AnonPages:      ", total - free),
            ("Mapped:         ", 0), ("Shmem:          ", 0), ("CommitLimit:    ", total), ("Committed_AS:   ", total - free),
            ("VmallocTotal:   ", 0), ("Hugepagesize:   ", 2048),
        ]
        var text = Text()
        for (label, value) in rows {
            text.append(label)
            text.append(decimal: value, width: 8)
            text.append(" kB\n")
        }
        return text.bytes
    }

    private static func uptime() -> [UInt8] {
        let now = Clock.monotonicNanoseconds() / 10_000_000
        let idle = now * UInt64(Scheduler.cpuCount)
        var text = Text()
        for (index, value) in [now, idle].enumerated() {
            if index > 0 { text.append(" ") }
            text.append(decimal: value / 100)
            text.append(".")
            text.append(hundredths: value % 100)
        }
        text.newline()
        return text.bytes
    }
}
