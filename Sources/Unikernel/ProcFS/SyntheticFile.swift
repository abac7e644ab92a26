import UnikernelABI

/// One name in a directory the kernel serves itself.
struct SyntheticEntry {
    static let typeDirectory: UInt8 = 4, typeRegular: UInt8 = 8, typeLink: UInt8 = 10

    var name: [UInt8]
    var type: UInt8
}

/// An open file or directory the kernel serves itself (/proc): a regular
/// file's text is generated when it is opened (as one seq_file read sequence
/// of Linux sees one snapshot) and then read, positioned and sought like a
/// file's; a directory lists its entries to getdents64.
final class SyntheticFile {
    /// A file's bytes, or a directory's entries.
    let content: [UInt8]
    let entries: [SyntheticEntry]
    let isDirectory: Bool
    /// The canonical guest path (inode numbers and *at() calls relative to a directory).
    let path: [UInt8]
    /// The byte offset of a file, the index of the next entry of a directory.
    var position = 0
    /// epoll items (none can be added: a /proc file has no poll, EPERM as on Linux).
    let watchers = ReadinessWatchers()

    init(file content: [UInt8], path: [UInt8]) {
        self.content = content
        self.entries = []
        self.isDirectory = false
        self.path = path
    }

    init(directory entries: [SyntheticEntry], path: [UInt8]) {
        self.content = []
        self.entries = entries
        self.isDirectory = true
        self.path = path
    }

    /// Copies up to `count` bytes from `offset` (the file position when nil, which then moves).
    func read(into buffer: UInt64, count: Int, offset: Int64?) throws(Errno) -> Int {
        guard !isDirectory else { throw .EISDIR }
        let start = offset.map { Int(clamping: $0) } ?? position
        guard start < content.count, count > 0 else { return 0 }
        let moved = min(count, content.count - start)
        try UserMemory.copyOut(from: Array(content[start..<(start + moved)]), to: buffer)
        if offset == nil { position = start + moved }
        return moved
    }

    /// lseek as Linux's seq_lseek (SEEK_SET and SEEK_CUR; SEEK_END is EINVAL) and, for a
    /// directory, rewinding or moving to an entry index.
    func seek(offset: Int64, whence: Int32) throws(Errno) -> Int {
        let target: Int64
        switch whence {
        case 0: target = offset
        case 1:
            let (sum, overflow) = Int64(position).addingReportingOverflow(offset)
            guard !overflow else { throw .EINVAL }
            target = sum
        default: throw .EINVAL
        }
        guard target >= 0 else { throw .EINVAL }
        position = Int(clamping: target)
        return position
    }

    /// Fills `linux_dirent64` records from the current entry into `buffer` (at most `size`
    /// bytes); EINVAL when not even one fits, as Linux.
    func directoryRecords(size: Int) throws(Errno) -> [UInt8] {
        guard isDirectory else { throw .ENOTDIR }
        var records: [UInt8] = []
        while position < entries.count {
            let entry = entries[position]
            let length = (19 + entry.name.count + 1 + 7) & ~7
            if records.count + length > size {
                if records.isEmpty { throw .EINVAL }
                break
            }
            var record = [UInt8](repeating: 0, count: length)
            SyntheticFile.store(SyntheticFile.inode(of: path + [PathResolver.slash] + entry.name), at: 0, in: &record)
            SyntheticFile.store(UInt64(position + 1), at: 8, in: &record)  // d_off: the next entry's cookie
            record[16] = UInt8(length & 0xFF)
            record[17] = UInt8(length >> 8)
            record[18] = entry.type
            for (index, byte) in entry.name.enumerated() { record[19 + index] = byte }
            records.append(contentsOf: record)
            position += 1
        }
        return records
    }

    /// Linux's `struct stat` (144 bytes) for this file.
    var stat: [UInt8] {
        SyntheticFile.stat(mode: isDirectory ? 0o040555 : 0o100444, inode: SyntheticFile.inode(of: path),
                           links: isDirectory ? 2 : 1)
    }

    // MARK: shared helpers

    /// A stable inode number for a kernel-served path (FNV-1a of the path; never 0).
    static func inode(of path: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return (hash & 0x7FFF_FFFF) | 1
    }

    /// Linux's x86-64 `struct stat` for an object the kernel serves: owned by the process's user,
    /// size 0 (as /proc reports), 1024-byte blocks, times of now.
    static func stat(mode: UInt32, inode: UInt64, links: UInt64, device: UInt64 = procDevice, blockSize: UInt64 = 1024) -> [UInt8] {
        var stat = [UInt8](repeating: 0, count: 144)
        store(device, at: 0, in: &stat)
        store(inode, at: 8, in: &stat)
        store(links, at: 16, in: &stat)
        store32(mode, at: 24, in: &stat)
        store32(currentProcess.bootInfo.uid, at: 28, in: &stat)
        store32(currentProcess.bootInfo.gid, at: 32, in: &stat)
        store(blockSize, at: 56, in: &stat)
        let now = Clock.realtimeNanoseconds()
        for offset in [72, 88, 104] {
            store(now / 1_000_000_000, at: offset, in: &stat)
            store(now % 1_000_000_000, at: offset + 8, in: &stat)
        }
        return stat
    }

    /// The device number /proc files report (an anonymous device, as procfs's).
    static let procDevice: UInt64 = 0x16

    static func store(_ value: UInt64, at offset: Int, in bytes: inout [UInt8]) {
        for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
    }

    static func store32(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
    }
}
