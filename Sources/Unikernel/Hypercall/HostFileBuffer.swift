import UnikernelABI

/// Coalesces small sequential `read`s and `write`s of regular host files the application
/// opened, so that a run of 4 KiB calls costs one hypercall (a VM exit, tens of µs here)
/// per `capacity` bytes instead of one per call.
///
/// One buffer serves one host handle at a time, in one direction:
/// - *writing*: bytes of `write`/`writev` at the file position are kept until the buffer
///   fills, then written with one hypercall at the host's position. They are described in
///   `uk_pending_write` (UK_PENDING_WRITE_PHYS) all along, so that the host writes them out
///   itself if it stops the guest first (timeout, SIGINT/SIGTERM, a crash);
/// - *reading*: one hypercall reads `capacity` bytes at the host's position and the
///   following reads are served from them; the host's position is then ahead by what is
///   not yet handed out.
///
/// Before every other hypercall (`Hypercall.perform` calls `settle()`), pending writes are
/// written and an unread tail is given back with a relative seek: whatever the host is asked
/// next (lseek, fstat, mmap, close, another descriptor's I/O, a path operation, the exit) it
/// sees the file exactly as the application left it. Positioned I/O (pread/pwrite), large
/// transfers, stdio, non-regular files and O_SYNC/O_DSYNC/O_DIRECT descriptors bypass the
/// buffer. The one difference from Linux: an error of a deferred write (a full disk) is
/// reported by the `write` that triggers the flush, or lost at exit, not by the `write`
/// whose bytes were refused.
enum HostFileBuffer {
    /// Bytes buffered per hypercall.
    static let capacity = 256 * 1024
    /// Transfers of at least this size go straight to the host (in place, no copy).
    static let smallTransfer = 64 * 1024
    /// Host handles below this are stdin, stdout and stderr: never buffered, so their output
    /// reaches the host in the order and at the moment the program writes it.
    static let firstBufferedHandle: Int32 = 3

    private enum Mode { case idle, writing, reading }

    private static var mode = Mode.idle
    private static var handle: Int32 = -1
    /// Writing: bytes pending. Reading: bytes the last fill brought in.
    private static var filled = 0
    /// Reading: bytes of the fill already handed out.
    private static var consumed = 0
    /// Reading: the last fill was short (end of file at that moment).
    private static var atEnd = false
    /// True while this type performs its own hypercalls (they must not settle again).
    private static var settling = false
    private static var bufferPhysical: UInt64 = 0

    /// Per host handle: 0 not yet known, 1 regular file, 2 anything else.
    private static var kinds = [UInt8](repeating: 0, count: 4096)
    private static let oSync = 0x101000, oDsync = 0x1000, oDirect = 0x4000

    // MARK: Called around every hypercall

    /// Makes the host's file and position exactly what the application's calls so far imply.
    static func settle() {
        guard mode != .idle, !settling else { return }
        settling = true
        defer { settling = false }
        if mode == .writing {
            _ = flushWrites()
        } else if filled > consumed {
            _ = Hypercall.seek(handle: handle, offset: -Int64(filled - consumed), whence: 1)  // SEEK_CUR
        }
        mode = .idle
        handle = -1
        filled = 0
        consumed = 0
    }

    /// The host handle is being closed: forget what kind of file it was. (The close
    /// hypercall itself settles the buffer first, as every hypercall does.)
    static func forget(_ hostHandle: Int32) {
        if hostHandle >= 0, Int(hostHandle) < kinds.count { kinds[Int(hostHandle)] = 0 }
    }

    // MARK: Transfers

    /// `write(fd, address, count)` through the buffer, or nil when this write is not for it.
    static func write(_ file: OpenFile, from address: UInt64, count: Int) throws(Errno) -> Int? {
        guard eligible(file, count: count, access: 1) else { return nil }
        if mode != .writing || handle != file.hostHandle {
            settle()
            mode = .writing
            handle = file.hostHandle
            pending.pointee = uk_pending_write(handle: handle, reserved: 0, buffer_phys: bufferPhysical, length: 0)
        }
        if filled + count > capacity, let error = flushWrites() { throw error }
        var count = count
        do throws(Errno) {
            try UserMemory.copyIn(from: address, to: DirectMap.pointer(bufferPhysical + UInt64(filled)), count: count)
        } catch {
            // As Linux: the bytes before the first page the application cannot read are written.
            count = try reachablePrefix(address, count, write: false, error: error)
            try UserMemory.copyIn(from: address, to: DirectMap.pointer(bufferPhysical + UInt64(filled)), count: count)
        }
        filled += count
        pending.pointee.length = UInt64(filled)  // last: the bytes and the handle are in place
        return count
    }

    /// `read(fd, address, count)` through the buffer, or nil when this read is not for it.
    static func read(_ file: OpenFile, into address: UInt64, count: Int) throws(Errno) -> Int? {
        guard eligible(file, count: count, access: 0) else { return nil }
        if mode != .reading || handle != file.hostHandle {
            settle()
            mode = .reading
            handle = file.hostHandle
            atEnd = false
        }
        var done = 0
        while done < count {
            if consumed == filled {
                if done > 0 && atEnd { break }
                settling = true
                let got = Hypercall.read(handle: handle, bufferPhysical: bufferPhysical, length: capacity)
                settling = false
                guard got >= 0 else {
                    filled = 0
                    consumed = 0
                    if done > 0 { break }
                    throw Errno(rawValue: Int(-got)) ?? .EIO
                }
                filled = Int(got)
                consumed = 0
                atEnd = filled < capacity
                if filled == 0 { break }
            }
            var take = min(count - done, filled - consumed)
            var partial = false
            do throws(Errno) {
                try UserMemory.copyOut(from: DirectMap.pointer(bufferPhysical + UInt64(consumed)),
                                       to: address + UInt64(done), count: take)
            } catch {
                // As Linux: the bytes up to the first page the application cannot write arrive
                // (a short read); EFAULT only when not one could.
                do throws(Errno) {
                    take = try reachablePrefix(address + UInt64(done), take, write: true, error: error)
                    try UserMemory.copyOut(from: DirectMap.pointer(bufferPhysical + UInt64(consumed)),
                                           to: address + UInt64(done), count: take)
                } catch {
                    if done > 0 { break }
                    throw error
                }
                partial = true
            }
            consumed += take
            done += take
            if partial { break }
        }
        return done
    }

    // MARK: Helpers

    /// After a copy of `count` bytes at `address` failed with `error`: how many bytes lead up to
    /// the first page the application cannot reach (`write`: store into); throws `error` when
    /// that is none (or all, which a failed copy rules out).
    private static func reachablePrefix(_ address: UInt64, _ count: Int, write: Bool, error: Errno) throws(Errno) -> Int {
        let reachable = UserMemory.populate(address, count, write: write)
        guard reachable > 0, reachable < count else { throw error }
        return reachable
    }

    /// A small transfer on a regular host file opened without synchronous or direct I/O,
    /// readable (`access` 0) or writable (1) by its open flags.
    private static func eligible(_ file: OpenFile, count: Int, access: Int) -> Bool {
        guard count > 0, count < smallTransfer, file.object == nil, file.hostHandle >= firstBufferedHandle,
              Int(file.hostHandle) < kinds.count,
              file.flags & (oSync | oDsync | oDirect) == 0 else { return false }
        let accessMode = file.flags & 3
        guard access == 0 ? accessMode != 1 : accessMode != 0 else { return false }
        if bufferPhysical == 0 {
            guard let frames = Frames.allocateContiguous(pages: capacity / Int(UK_PAGE_SIZE)) else { return false }
            bufferPhysical = frames
        }
        if kinds[Int(file.hostHandle)] == 0 {
            let result = Hypercall.fstat(handle: file.hostHandle, statPhysical: BounceBuffer.physical)
            // st_mode is the u32 at offset 24 of the kernel's struct stat.
            let statMode = BounceBuffer.pointer.load(fromByteOffset: 24, as: UInt32.self)
            kinds[Int(file.hostHandle)] = result == 0 && statMode & 0o170000 == 0o100000 ? 1 : 2
        }
        return kinds[Int(file.hostHandle)] == 1
    }

    /// Has the host write the pending bytes at its position (UK_HC_FLUSH, which also clears
    /// `uk_pending_write`); nil on success, else the error (the bytes are dropped either way).
    private static func flushWrites() -> Errno? {
        guard filled > 0 else { return nil }
        let wasSettling = settling
        settling = true
        defer {
            settling = wasSettling
            filled = 0
        }
        let wrote = Hypercall.flushPendingWrite()
        if wrote < 0 { return Errno(rawValue: Int(-wrote)) ?? .EIO }
        return wrote == Int64(filled) ? nil : .EIO
    }

    /// The description of the pending bytes the host reads (fixed guest-physical place).
    private static var pending: UnsafeMutablePointer<uk_pending_write> {
        // SAFETY: UK_PENDING_WRITE_PHYS is in the boot-info page, reserved for this struct
        // (abi_layout.c checks uk_boot_info ends before it); only this type writes it.
        DirectMap.pointer(UK_PENDING_WRITE_PHYS).assumingMemoryBound(to: uk_pending_write.self)
    }
}
