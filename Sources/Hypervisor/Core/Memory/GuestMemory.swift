import Glibc
import Synchronization
import SystemPackage

/// Why an access to guest memory was refused.
public enum GuestMemoryError: Error, Equatable, CustomStringConvertible {
    /// `[address, address + length)` is not inside guest memory (or wraps around).
    case outOfBounds(address: UInt64, length: UInt64, memorySize: UInt64)
    /// A string ran to the end of its allowed length without a NUL.
    case unterminatedString(address: UInt64, maxLength: UInt64)
    /// The host could not reserve the memory.
    case allocationFailed(size: UInt64, errno: Errno)

    public var description: String {
        switch self {
        case let .outOfBounds(address, length, size):
            return "guest range 0x\(String(address, radix: 16))+0x\(String(length, radix: 16)) lies outside guest memory (0x\(String(size, radix: 16)) bytes)"
        case let .unterminatedString(address, maxLength):
            return "guest string at 0x\(String(address, radix: 16)) has no NUL within \(maxLength) bytes"
        case let .allocationFailed(size, errno):
            return "cannot reserve \(size >> 20) MiB of guest memory: \(errno)"
        }
    }
}

/// The guest's physical memory: one host mapping (RAM, from guest-physical 0) and the
/// shared windows above it, and the only place the hypervisor turns guest-physical
/// addresses into host pointers. Every access is bounds-checked against RAM or one
/// window; nothing here trusts a guest value.
///
/// RAM grows on demand up to a limit. The whole limit is reserved in the host's address
/// space at once (MAP_NORESERVE: no memory is used until touched), but the VM is given only
/// a first part, `size` bytes; when the guest kernel runs out of frames it asks for more
/// (UK_PROC_GROW_MEMORY) and the next part is added to the VM as a memory slot of its own.
/// Registering a slot costs time in proportion to its size on kvm-pvm (its shadow-paging
/// metadata, about 1 ms per GiB measured), so a guest that needs 64 MiB never pays for the
/// 24 GiB it may use.
public final class GuestMemory {
    /// Bytes of guest-physical RAM the guest may use at most (the reservation's size).
    public let limit: UInt64
    /// Bytes of guest-physical RAM given to the VM so far, starting at guest-physical 0.
    public var size: UInt64 { committed.load(ordering: .acquiring) }
    private let committed: Atomic<UInt64>
    /// Where the mapping starts in the host's address space.
    let hostBase: UnsafeMutableRawPointer
    /// MAP_SHARED memory the guest added (SharedWindows).
    public let shared = SharedWindows()
    /// The memory slots that give RAM to the current VM: slot 0 from guest-physical 0, then
    /// one per growth (numbered from `firstGrowthSlot`, clear of the shared windows' slots).
    private var growthSlots: UInt32 = 0
    private let growthLock = HostMutex()
    static let firstGrowthSlot: UInt32 = 1024
    /// RAM is given in multiples of this (the direct map's page size).
    public static let growthGranule: UInt64 = 2 << 20

    /// Reserves `limit` bytes and gives the guest the first `committed` of them (clamped to
    /// the limit); memory is populated lazily by the host kernel on first touch. The
    /// reservation starts on a 2 MiB boundary, so that a 2 MiB guest page can be one 2 MiB
    /// host page.
    public init(limit: UInt64, committed: UInt64) throws(GuestMemoryError) {
        let granule = Int(GuestMemory.growthGranule)
        let mapping = mmap(nil, Int(limit) + granule, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let mapping, mapping != MAP_FAILED else {
            throw .allocationFailed(size: limit, errno: .current)
        }
        let slack = (granule - Int(bitPattern: mapping) % granule) % granule
        // SAFETY: both trimmed pieces lie inside the mapping just made, outside the part kept.
        if slack > 0 { munmap(mapping, slack) }
        munmap(mapping.advanced(by: slack + Int(limit)), granule - slack)
        self.limit = limit
        self.committed = Atomic(min(committed, limit))
        hostBase = mapping.advanced(by: slack)
    }

    /// All of `size` bytes given to the guest at once.
    public convenience init(size: UInt64) throws(GuestMemoryError) {
        try self.init(limit: size, committed: size)
    }

    deinit { munmap(hostBase, Int(limit)) }

    /// In a forked child: its locks as if no one held them (a vCPU thread of the parent may have
    /// held one at the fork; growth and window changes run under the machine's call lock, which
    /// the forking thread held, so what they guard is whole).
    func resetLocksInForkedChild() {
        growthLock.reinitializeInForkedChild()
        shared.resetLockInForkedChild()
    }

    /// Gives the RAM committed so far to `vm` as slot 0 (a new VM: at boot, or in a forked child).
    func registerRAM(in vm: VirtualMachine) throws(KVMError) {
        let registered: Result<Void, KVMError> = growthLock.withLock {
            do throws(KVMError) {
                try vm.mapRegion(slot: 0, guestAddress: 0, size: size, host: hostBase)
            } catch {
                return .failure(error)
            }
            growthSlots = 0
            return .success(())
        }
        try registered.get()
    }

    /// Grows RAM by at least `minimum` bytes (doubling it when the limit allows, so that a
    /// program filling gigabytes needs a handful of slots) and adds the new part to `vm`.
    /// Returns the new size, or nil when the limit is reached or the host refuses the slot.
    func grow(byAtLeast minimum: UInt64, vm: VirtualMachine) -> UInt64? {
        growthLock.withLock {
            let current = size
            guard minimum > 0, minimum <= limit, current <= limit - minimum else { return nil }
            let granule = GuestMemory.growthGranule
            let wanted = max(current + minimum, 2 * current)
            let target = min(limit, (wanted + granule - 1) / granule * granule)
            let slot = GuestMemory.firstGrowthSlot + growthSlots
            do {
                // SAFETY: [current, target) lies inside the reservation (target <= limit).
                try vm.mapRegion(slot: slot, guestAddress: current, size: target - current,
                                 host: hostBase.advanced(by: Int(current)))
            } catch {
                return nil
            }
            growthSlots += 1
            // Memory given later serves programs that fill a lot of it: let the host back it with
            // 2 MiB pages, so the guest's 2 MiB pages need one host fault and one shadow entry
            // each. (The first part, where a small program lives, keeps 4 KiB host pages: its
            // resident memory stays small.)
            // SAFETY: inside the reservation; advice only.
            madvise(hostBase.advanced(by: Int(current)), Int(target - current), MADV_HUGEPAGE)
            committed.store(target, ordering: .releasing)
            return target
        }
    }

    /// Maps `destination.count` bytes of the file `fd` from `fileOffset` over `destination`,
    /// privately (the guest's writes copy the page and never reach the file): the loader's way
    /// of putting image pages into guest RAM without reading or copying them
    /// (`FilePagePlacement.PageMapper`). `destination` must be whole pages of committed RAM
    /// that hold nothing yet, and the VM must not have run. False when the host refused; the
    /// pages are then fresh zero memory again.
    func mapFilePages(_ fd: Int32, fileOffset: Int, over destination: UnsafeMutableRawBufferPointer) -> Bool {
        let pageSize = 4096
        guard let start = destination.baseAddress, destination.count > 0,
              Int(bitPattern: start) % pageSize == 0, destination.count % pageSize == 0, fileOffset % pageSize == 0,
              start >= hostBase, start + destination.count <= hostBase + Int(size) else { return false }
        // SAFETY: the range is whole pages inside this object's own reservation (checked above),
        // which only guest RAM uses; MAP_FIXED replaces those pages and nothing else.
        let mapped = mmap(start, destination.count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, off_t(fileOffset))
        if mapped == start {
            // Host page tables for the file's pages now, read-only (no copy), so that the guest's
            // first touch of each costs no host fault on top of its KVM fault (measured: ~0.1 ms
            // less per hello start than without). KVM still maps these pages one fault at a time
            // (it prefetches neighbours only over writable host pages: asm hello, 116 shadow-page
            // faults against 82 with the image copied; populating them writable copies them and
            // measured no faster). Advice only: nothing changes if refused.
            // SAFETY: the range just mapped.
            madvise(start, destination.count, MADV_POPULATE_READ)
            return true
        }
        // A failed MAP_FIXED may have unmapped the range: put fresh anonymous memory back.
        // SAFETY: the same pages of the reservation as above.
        let restored = mmap(start, destination.count, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0)
        precondition(restored == start, "guest memory: cannot restore RAM at \(start) after a failed file mapping")
        return false
    }

    /// Checks that `[address, address + length)` lies in guest memory (RAM or one window).
    public func check(_ address: UInt64, length: UInt64) throws(GuestMemoryError) {
        _ = try pointer(address, length: length)
    }

    /// The host bytes behind `[address, address + length)`: in RAM, or inside one shared window.
    private func pointer(_ address: UInt64, length: UInt64) throws(GuestMemoryError) -> UnsafeMutableRawPointer {
        let (end, overflow) = address.addingReportingOverflow(length)
        if !overflow, end <= size {
            // SAFETY: inside the RAM mapping, checked just above.
            return hostBase.advanced(by: Int(address))
        }
        guard !overflow, let window = shared.pointer(address, length) else {
            throw .outOfBounds(address: address, length: length, memorySize: size)
        }
        return window
    }

    /// Runs `body` on the host bytes backing `[address, address + length)`;
    /// the buffer must not escape `body`.
    public func withBytes<R>(
        at address: UInt64, length: UInt64, _ body: (UnsafeMutableRawBufferPointer) -> R
    ) throws(GuestMemoryError) -> R {
        // SAFETY: pointer(_:length:) checked the range.
        return body(UnsafeMutableRawBufferPointer(start: try pointer(address, length: length), count: Int(length)))
    }

    /// Runs `body` with host I/O vectors for guest ranges, for readv/writev
    /// straight into guest memory; the vectors must not escape `body`.
    public func withIOVectors<R>(_ ranges: [GuestRange], _ body: ([iovec]) -> R) throws(GuestMemoryError) -> R {
        var vectors: [iovec] = []
        vectors.reserveCapacity(ranges.count)
        for range in ranges {
            // SAFETY: pointer(_:length:) checked each range.
            vectors.append(iovec(iov_base: try pointer(range.address, length: range.length), iov_len: Int(range.length)))
        }
        return body(vectors)
    }

    /// Reads a trivial value (a C parameter block) at `address`.
    public func load<T: BitwiseCopyable>(_ type: T.Type, at address: UInt64) throws(GuestMemoryError) -> T {
        // SAFETY: checked in bounds; loadUnaligned tolerates any guest alignment.
        return try pointer(address, length: UInt64(MemoryLayout<T>.size)).loadUnaligned(as: T.self)
    }

    /// Writes a trivial value at `address`.
    public func store<T: BitwiseCopyable>(_ value: T, at address: UInt64) throws(GuestMemoryError) {
        // SAFETY: checked in bounds; storeBytes tolerates any alignment for trivial types.
        try pointer(address, length: UInt64(MemoryLayout<T>.size)).storeBytes(of: value, as: T.self)
    }

    /// Copies `bytes` into guest memory at `address`.
    public func write(_ bytes: some Collection<UInt8>, at address: UInt64) throws(GuestMemoryError) {
        // SAFETY: checked in bounds.
        let destination = UnsafeMutableRawBufferPointer(start: try pointer(address, length: UInt64(bytes.count)), count: bytes.count)
        destination.copyBytes(from: bytes)
    }

    /// Copies `length` bytes out of guest memory.
    public func read(at address: UInt64, length: UInt64) throws(GuestMemoryError) -> [UInt8] {
        // SAFETY: checked in bounds.
        return Array(UnsafeRawBufferPointer(start: try pointer(address, length: length), count: Int(length)))
    }

    /// Reads the `length` bytes at `address` that must end with a NUL at `address + length`.
    public func readString(at address: UInt64, length: UInt64) throws(GuestMemoryError) -> [UInt8] {
        let bytes = try read(at: address, length: length &+ 1)
        guard bytes.last == 0 else { throw .unterminatedString(address: address, maxLength: length) }
        return Array(bytes.dropLast())
    }

    /// A mutable view of `[address, address + length)` for bulk initialisation at build time.
    func region(at address: UInt64, length: UInt64) throws(GuestMemoryError) -> UnsafeMutableRawBufferPointer {
        try check(address, length: length)
        // SAFETY: checked in bounds; the caller uses it before the VM runs and does not keep it.
        return UnsafeMutableRawBufferPointer(start: hostBase.advanced(by: Int(address)), count: Int(length))
    }
}
