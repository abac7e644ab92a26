/// What a guest path names once the kernel has looked at its own directories.
enum KernelPath {
    /// A path the host serves (possibly rewritten: /proc/self/cwd/x is the working directory's x).
    case host([UInt8])
    /// A node the kernel serves itself, with its canonical path.
    case node(SyntheticNode, path: [UInt8])
}

/// A name in the kernel's own tree.
enum SyntheticNode {
    case directory([SyntheticEntry])
    case file(ProcFile)
    /// A symbolic link (its text), as lstat and readlink see it.
    case link([UInt8])
    /// /proc/<pid>/fd/N followed: the open file itself (Linux's "magic link").
    case descriptor(Int)
    /// /proc/<pid>/exe followed: the running program's file (the host keeps it open).
    case program
}

/// The directories the kernel serves instead of the host: /proc, built from
/// the kernel's own state (ProcFile), and /dev/fd, /dev/stdin, /dev/stdout,
/// /dev/stderr, links into /proc/self/fd as on Linux. Every other path goes
/// to the host. Paths arrive absolute and normalised (PathResolver); links
/// inside the tree are followed here, at most 40 in one lookup (ELOOP).
enum KernelFileTree {
    static let maxLinks = 40

    private static let proc: [UInt8] = bytes("proc")
    private static let dev: [UInt8] = bytes("dev")

    /// Whether `path` may be the kernel's (a cheap test on every path call).
    static func mayServe(_ path: [UInt8]) -> Bool {
        starts(path, with: "/proc/") || path == bytes("/proc") || starts(path, with: "/dev/fd")
            || starts(path, with: "/dev/std")
    }

    /// Looks `path` up; `followFinal` says whether a link as the last component is followed.
    static func lookup(_ path: [UInt8], followFinal: Bool) throws(Errno) -> KernelPath {
        guard mayServe(path) else { return .host(path) }
        var components = split(path)
        var links = 0
        while true {
            switch try step(components, followFinal: followFinal) {
            case let .done(result): return result
            case let .follow(next):
                links += 1
                guard links <= maxLinks else { throw .ELOOP }
                let joined = join(next)
                guard mayServe(joined) else { return .host(joined) }
                components = next
            }
        }
    }

    private enum Step {
        case done(KernelPath)
        /// A link inside the path was followed: look these components up again.
        case follow([[UInt8]])
    }

    private static func step(_ c: [[UInt8]], followFinal: Bool) throws(Errno) -> Step {
        if c.first == dev {
            guard c.count >= 2, let target = standardLink(c[1]) else { return .done(.host(join(c))) }
            if c.count == 2 && !followFinal { return .done(.node(.link(join(target)), path: join(c))) }
            return .follow(target + c[2...])
        }
        guard c.first == proc else { return .done(.host(join(c))) }
        if c.count == 1 { return .done(.node(.directory(rootEntries), path: join(c))) }
        let name = c[1]
        let pidText = Text.digits(UInt64(currentProcess.pid), radix: 10)
        if name == bytes("self") || name == bytes("thread-self") {
            var target = [proc, pidText]
            if name != bytes("self") {
                target += [bytes("task"), Text.digits(UInt64(Scheduler.current.tid), radix: 10)]
            }
            if c.count == 2 && !followFinal {
                // The link's text is relative to /proc: "<pid>" or "<pid>/task/<tid>".
                return .done(.node(.link(Array(join(Array(target.dropFirst())).dropFirst())), path: join(c)))
            }
            return .follow(target + c[2...])
        }
        if name == bytes("mounts") {
            if c.count == 2 && !followFinal { return .done(.node(.link(bytes("self/mounts")), path: join(c))) }
            return .follow([proc, bytes("self"), bytes("mounts")] + c[2...])
        }
        if let pid = Text.number(name) {
            guard pid == UInt64(currentProcess.pid) else { throw .ENOENT }
            return try processStep(c, from: 2, inTask: false, followFinal: followFinal)
        }
        if name == bytes("sys") { return try systemStep(c) }
        for (entryName, file) in ProcFile.systemFiles where entryName == name {
            guard c.count == 2 else { throw .ENOTDIR }
            return .done(.node(.file(file), path: join(c)))
        }
        throw .ENOENT
    }

    /// /proc/<pid>/… and /proc/<pid>/task/<tid>/…, from component `index` on.
    private static func processStep(_ c: [[UInt8]], from index: Int, inTask: Bool, followFinal: Bool) throws(Errno) -> Step {
        let here = join(Array(c[..<index]))
        guard index < c.count else { return .done(.node(.directory(processEntries(inTask: inTask)), path: here)) }
        let name = c[index]
        let rest = Array(c[(index + 1)...])
        let isFinal = rest.isEmpty
        if name == bytes("task"), !inTask {
            if isFinal {
                let entries = Scheduler.tasks.map { SyntheticEntry(name: Text.digits(UInt64($0.tid), radix: 10), type: SyntheticEntry.typeDirectory) }
                return .done(.node(.directory(entries), path: join(c)))
            }
            guard let tid = Text.number(rest[0]), Scheduler.task(tid: Int(tid)) != nil else { throw .ENOENT }
            return try processStep(c, from: index + 2, inTask: true, followFinal: followFinal)
        }
        if name == bytes("fd") || name == bytes("fdinfo") {
            let info = name == bytes("fdinfo")
            if isFinal {
                let type = info ? SyntheticEntry.typeRegular : SyntheticEntry.typeLink
                let entries = currentProcess.files.descriptors(from: 0, through: FileTable.limit).map {
                    SyntheticEntry(name: Text.digits(UInt64($0), radix: 10), type: type)
                }
                return .done(.node(.directory(entries), path: join(c)))
            }
            guard let number = Text.number(rest[0]), number < UInt64(FileTable.limit),
                  let file = try? currentProcess.files.file(Int(number)) else { throw .ENOENT }
            if info {
                guard rest.count == 1 else { throw .ENOTDIR }
                return .done(.node(.file(.descriptorInfo(Int(number))), path: join(c)))
            }
            if rest.count == 1 {
                if !followFinal { return .done(.node(.link(ProcContent.linkText(of: file)), path: join(c))) }
                return .done(.node(.descriptor(Int(number)), path: join(c)))
            }
            // A component after an open directory's link: inside that directory.
            guard file.path.first == PathResolver.slash else { throw .ENOTDIR }
            return .follow(split(file.path) + rest.dropFirst())
        }
        if name == bytes("cwd") || name == bytes("root") {
            let target = name == bytes("cwd") ? currentProcess.workingDirectory : [PathResolver.slash]
            if isFinal && !followFinal { return .done(.node(.link(target), path: join(c))) }
            return .follow(split(target) + rest)
        }
        if name == bytes("exe") {
            // The program's file is the host's (what the runner was given), not one of the guest's
            // paths: readlink shows its name, and following the link opens the file itself.
            if isFinal && !followFinal { return .done(.node(.link(currentProcess.executableName), path: join(c))) }
            guard isFinal else { throw .ENOTDIR }
            return .done(.node(.program, path: join(c)))
        }
        for (entryName, file) in ProcFile.processFiles where entryName == name {
            guard isFinal else { throw .ENOTDIR }
            return .done(.node(.file(file), path: join(c)))
        }
        throw .ENOENT
    }

    /// /proc/sys/kernel/… (what programs read of sysctl).
    private static func systemStep(_ c: [[UInt8]]) throws(Errno) -> Step {
        let kernel = bytes("kernel"), random = bytes("random")
        let dir = SyntheticEntry.typeDirectory, regular = SyntheticEntry.typeRegular
        switch c.count {
        case 2: return .done(.node(.directory([SyntheticEntry(name: kernel, type: dir)]), path: join(c)))
        case 3:
            guard c[2] == kernel else { throw .ENOENT }
            var entries = ProcFile.kernelFiles.map { SyntheticEntry(name: $0.0, type: regular) }
            entries.append(SyntheticEntry(name: random, type: dir))
            return .done(.node(.directory(entries), path: join(c)))
        default:
            guard c[2] == kernel else { throw .ENOENT }
            if c[3] == random {
                if c.count == 4 {
                    return .done(.node(.directory(ProcFile.randomFiles.map { SyntheticEntry(name: $0.0, type: regular) }), path: join(c)))
                }
                for (name, file) in ProcFile.randomFiles where name == c[4] {
                    guard c.count == 5 else { throw .ENOTDIR }
                    return .done(.node(.file(file), path: join(c)))
                }
                throw .ENOENT
            }
            for (name, file) in ProcFile.kernelFiles where name == c[3] {
                guard c.count == 4 else { throw .ENOTDIR }
                return .done(.node(.file(file), path: join(c)))
            }
            throw .ENOENT
        }
    }

    // MARK: directory listings

    private static var rootEntries: [SyntheticEntry] {
        var entries = [SyntheticEntry(name: Text.digits(UInt64(currentProcess.pid), radix: 10), type: SyntheticEntry.typeDirectory)]
        for (name, _) in ProcFile.systemFiles { entries.append(SyntheticEntry(name: name, type: SyntheticEntry.typeRegular)) }
        entries.append(SyntheticEntry(name: bytes("mounts"), type: SyntheticEntry.typeLink))
        entries.append(SyntheticEntry(name: bytes("self"), type: SyntheticEntry.typeLink))
        entries.append(SyntheticEntry(name: bytes("sys"), type: SyntheticEntry.typeDirectory))
        entries.append(SyntheticEntry(name: bytes("thread-self"), type: SyntheticEntry.typeLink))
        return entries
    }

    private static func processEntries(inTask: Bool) -> [SyntheticEntry] {
        var entries: [SyntheticEntry] = []
        for name in ["cwd", "exe", "root"] as [StaticString] { entries.append(SyntheticEntry(name: bytes(name), type: SyntheticEntry.typeLink)) }
        for name in ["fd", "fdinfo"] as [StaticString] { entries.append(SyntheticEntry(name: bytes(name), type: SyntheticEntry.typeDirectory)) }
        if !inTask { entries.append(SyntheticEntry(name: bytes("task"), type: SyntheticEntry.typeDirectory)) }
        for (name, _) in ProcFile.processFiles { entries.append(SyntheticEntry(name: name, type: SyntheticEntry.typeRegular)) }
        return entries
    }

    // MARK: path helpers

    /// /dev/fd, /dev/stdin, /dev/stdout and /dev/stderr: their targets' components.
    private static func standardLink(_ name: [UInt8]) -> [[UInt8]]? {
        let base: [[UInt8]] = [proc, bytes("self"), bytes("fd")]
        switch name {
        case bytes("fd"): return base
        case bytes("stdin"): return base + [[0x30]]
        case bytes("stdout"): return base + [[0x31]]
        case bytes("stderr"): return base + [[0x32]]
        default: return nil
        }
    }

    static func split(_ path: [UInt8]) -> [[UInt8]] {
        var components: [[UInt8]] = []
        var current: [UInt8] = []
        for byte in path {
            if byte == PathResolver.slash {
                if !current.isEmpty { components.append(current) }
                current = []
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty { components.append(current) }
        return components
    }

    static func join(_ components: [[UInt8]]) -> [UInt8] {
        var path: [UInt8] = []
        for component in components {
            path.append(PathResolver.slash)
            path.append(contentsOf: component)
        }
        return path.isEmpty ? [PathResolver.slash] : path
    }

    private static func starts(_ path: [UInt8], with prefix: StaticString) -> Bool {
        let bytes = bytes(prefix)
        return path.count >= bytes.count && Array(path[..<bytes.count]) == bytes
    }

    static func bytes(_ literal: StaticString) -> [UInt8] {
        // SAFETY: utf8Start points at utf8CodeUnitCount bytes of the literal.
        Array(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
