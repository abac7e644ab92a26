import Glibc
import UnikernelABI

/// vfork's shared memory. A vfork child is a forked runner like any other (Machine+Fork.swift),
/// on a copy of its parent's guest memory; what it writes there until it execs or exits must
/// reach the parent as on Linux, where the two share one mm (glibc's posix_spawn learns of a
/// failed exec that way). The child's host clears every user Dirty bit before the child runs;
/// at the child's exec and at its end it sends each dirty page down the vfork gate (the pipe
/// the parent waits on, close-on-exec), and the parent's host, blocked in the fork hypercall
/// with the guest's kernel lock held (the parent's page tables stay as they are), writes each
/// page into its own page at the same address, or keeps it for the kernel when it has none
/// there yet (UK_PROC_VFORK_PENDING / UK_PROC_VFORK_APPLY populate it as a shared mm would).
///
/// What is not shared: pages another thread of the parent writes during the vfork are
/// replaced whole by the child's copy of the same page when the child wrote that page too;
/// the child's mmap, munmap and mprotect stay its own (pages of mappings the parent lacks are
/// dropped).
extension Machine {
    /// What one record on the gate says (a little-endian UInt64 kind, then the address).
    enum VforkRecord: UInt64 {
        /// A page the child wrote: the address, then its 4096 bytes.
        case page = 1
        /// The child execs now: the gate's end of file is the exec, not an exit.
        case exec = 2
        /// The exec failed: the child runs on (its end of file will be its exit).
        case execFailed = 3

        static let headerSize = 16
    }

    // MARK: The child's side

    /// In a vfork child before its VM runs: every user page starts clean.
    func startVforkTracking() {
        UserPageTables(memory: memory).clearDirtyBits()
    }

    /// Sends every user page the vfork child wrote to its parent (at its exec or exit).
    func sendVforkWrites() {
        guard let gate = vforkGate, vforkSharesMemory else { return }
        var record = [UInt8](repeating: 0, count: VforkRecord.headerSize + Int(UserPageTables.pageSize))
        var failed = false
        UserPageTables(memory: memory).forEachDirtyPage { address, physical in
            guard !failed else { return }
            record.withUnsafeMutableBytes { bytes in
                bytes.storeBytes(of: VforkRecord.page.rawValue.littleEndian, toByteOffset: 0, as: UInt64.self)
                bytes.storeBytes(of: address.littleEndian, toByteOffset: 8, as: UInt64.self)
            }
            guard let page = try? memory.read(at: physical, length: UserPageTables.pageSize) else { return }
            record.replaceSubrange(VforkRecord.headerSize..., with: page)
            failed = !Machine.writeAll(gate, record)
        }
    }

    /// Tells the vfork parent what the child does next (exec, or running on after a failed one).
    func sendVforkMarker(_ kind: VforkRecord) {
        guard let gate = vforkGate else { return }
        var header = [UInt8](repeating: 0, count: VforkRecord.headerSize)
        header.withUnsafeMutableBytes { $0.storeBytes(of: kind.rawValue.littleEndian, toByteOffset: 0, as: UInt64.self) }
        _ = Machine.writeAll(gate, header)
    }

    /// Writes all of `bytes` to `fd` (a pipe the reader drains); false when it broke.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if count < 0, Glibc.errno == EINTR { continue }
            guard count > 0 else { return false }
            done += count
        }
        return true
    }

    // MARK: The parent's side

    /// In the vfork parent: reads the child's records until the gate's end of file (its exec
    /// or exit), writing each page into the parent's memory or keeping it for the kernel.
    /// Returns whether the child exec'd (else it exited, or was killed).
    func receiveVforkWrites(from gate: Int32) -> Bool {
        let tables = UserPageTables(memory: memory)
        var header = [UInt8](repeating: 0, count: VforkRecord.headerSize)
        var page = [UInt8](repeating: 0, count: Int(UserPageTables.pageSize))
        var execed = false
        vforkPendingPages = []
        while Machine.readAll(gate, into: &header) {
            let (kind, address) = header.withUnsafeBytes {
                (UInt64(littleEndian: $0.load(fromByteOffset: 0, as: UInt64.self)),
                 UInt64(littleEndian: $0.load(fromByteOffset: 8, as: UInt64.self)))
            }
            switch VforkRecord(rawValue: kind) {
            case .page:
                guard Machine.readAll(gate, into: &page) else { return execed }
                guard address & (UserPageTables.pageSize - 1) == 0 else { continue }
                if let target = tables.writablePage(at: address), (try? memory.write(page, at: target.physical)) != nil {
                    tables.markDirty(entrySlot: target.entrySlot)
                } else {
                    vforkPendingPages.append(VforkPage(address: address, bytes: page))
                }
            case .exec: execed = true
            case .execFailed: execed = false
            case nil: return execed  // not a record this runner writes: stop reading
            }
        }
        return execed
    }

    /// Fills `buffer` from `fd`; false at end of file (or an error) before it is full.
    private static func readAll(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        var done = 0
        while done < buffer.count {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, $0.count - done) }
            if count < 0, Glibc.errno == EINTR { continue }
            guard count > 0 else { return false }
            done += count
        }
        return true
    }

    /// UK_PROC_VFORK_PENDING: the addresses of the first pages kept for the kernel.
    func vforkPending(_ request: ProcessRequest) -> Int64 {
        guard let buffer = request.buffer else { return vforkPendingPages.isEmpty ? 0 : -Int64(EFAULT) }
        let count = min(vforkPendingPages.count, Int(buffer.length / 8))
        for index in 0..<count {
            do { try memory.store(vforkPendingPages[index].address, at: buffer.address + UInt64(index) * 8) } catch {
                return -Int64(EFAULT)
            }
        }
        return Int64(count)
    }

    /// UK_PROC_VFORK_APPLY: copies the first arg0 kept pages to the frames the kernel gives.
    func vforkApply(_ request: ProcessRequest) -> Int64 {
        let count = request.arguments[0]
        guard count >= 0, count <= vforkPendingPages.count else { return -Int64(EINVAL) }
        guard count > 0 else { return 0 }
        guard let buffer = request.buffer, buffer.length >= UInt64(count) * 8 else { return -Int64(EFAULT) }
        for index in 0..<Int(count) {
            guard let frame = try? memory.load(UInt64.self, at: buffer.address + UInt64(index) * 8) else { return -Int64(EFAULT) }
            // Only whole frames of RAM: never a shared window, never past the end.
            guard frame != 0, frame & (UserPageTables.pageSize - 1) == 0, frame + UserPageTables.pageSize <= memory.size else { continue }
            try? memory.write(vforkPendingPages[index].bytes, at: frame)
        }
        vforkPendingPages.removeFirst(Int(count))
        return 0
    }
}

/// A page a vfork child wrote that its parent had no writable page for yet.
struct VforkPage {
    var address: UInt64
    var bytes: [UInt8]
}
