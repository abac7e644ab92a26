import CLinux
import Glibc
import UnikernelABI

/// MAP_SHARED memory of the guest: host mappings (`mmap(MAP_SHARED)` of a host file, or new
/// shared anonymous memory) added to the VM as extra guest-physical memory, each a "window"
/// of its own KVM memory slot above guest RAM (UK_PROC_MAP_SHARED). The guest kernel maps
/// the application's pages of a shared region to the window's frames, so the program, the
/// host and other processes mapping the same file see the same bytes; a forked runner
/// inherits the host mappings shared, which is what MAP_SHARED means across fork.
///
/// A window the guest gives back is removed from the VM, and its host range replaced by
/// private anonymous memory (kept until the runner ends) rather than unmapped: a
/// hypercall another vCPU is serving may still hold a pointer into it, and must never
/// touch unmapped host memory.
public final class SharedWindows: @unchecked Sendable {
    struct Window {
        let slot: UInt32
        let guestAddress: UInt64
        let size: UInt64
        let host: UnsafeMutableRawPointer
        /// A duplicate of the mapped file's descriptor (its size decides which pages exist), and
        /// the mapping's offset in it; nil for anonymous memory.
        let file: Int32?
        let offset: UInt64
    }

    /// At most this many windows at once (KVM memory slots beyond guest RAM's).
    static let maximumCount = 256
    static let alignment: UInt64 = 2 << 20

    private var windows: [Window] = []
    /// Host ranges of removed windows, now private anonymous memory, unmapped at the end.
    private var retired: [(UnsafeMutableRawPointer, Int)] = []
    private var nextAddress = UK_SHARED_WINDOW_BASE
    private let lock = HostMutex()

    public init() {}

    deinit {
        for window in windows {
            munmap(window.host, Int(window.size))
            if let file = window.file { Glibc.close(file) }
        }
        for (host, size) in retired { munmap(host, size) }
    }

    /// In a forked child: the lock as if no one held it (a vCPU thread of the parent may have
    /// been reading the windows at the fork; changes to them run under the machine's call lock,
    /// which the forking thread held).
    func resetLockInForkedChild() { lock.reinitializeInForkedChild() }

    /// The host bytes behind `[address, address + length)` when a window holds all of them.
    func pointer(_ address: UInt64, _ length: UInt64) -> UnsafeMutableRawPointer? {
        guard address >= UK_SHARED_WINDOW_BASE else { return nil }
        return lock.withLock {
            for window in windows where address >= window.guestAddress && address - window.guestAddress <= window.size
                && length <= window.size - (address - window.guestAddress) {
                // SAFETY: the range lies inside the window's host mapping, checked just above.
                return window.host.advanced(by: Int(address - window.guestAddress))
            }
            return nil
        }
    }

    /// Maps `length` bytes of host descriptor `fd` at `offset` (nil: shared anonymous memory)
    /// and adds them to `vm`; the window's guest-physical address, or -errno.
    func create(fd: Int32?, offset: UInt64, length: UInt64, writable: Bool, vm: VirtualMachine) -> Int64 {
        guard length > 0, length & 0xFFF == 0, offset & 0xFFF == 0, offset <= UInt64(Int64.max) - length else {
            return -Int64(EINVAL)
        }
        let protection = PROT_READ | (writable ? PROT_WRITE : 0)
        let mapping = fd.map { mmap(nil, Int(length), protection, MAP_SHARED, $0, off_t(offset)) }
            ?? mmap(nil, Int(length), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
        guard let mapping, mapping != MAP_FAILED else { return -Int64(errno) }
        let file = fd.map { fcntl($0, F_DUPFD_CLOEXEC, 3) }
        let address = add(mapping, length: length, file: file, offset: offset, vm: vm)
        if address < 0 {
            munmap(mapping, Int(length))
            if let file, file >= 0 { Glibc.close(file) }
        }
        return address
    }

    /// Adds `length` bytes of host shared memory the caller mapped (a System V segment it
    /// attached) to `vm` as a window, which owns the mapping from then on; the window's
    /// guest-physical address, or -errno (the caller still owns the mapping).
    func adopt(_ mapping: UnsafeMutableRawPointer, length: UInt64, vm: VirtualMachine) -> Int64 {
        guard length > 0, length & 0xFFF == 0 else { return -Int64(EINVAL) }
        return add(mapping, length: length, file: nil, offset: 0, vm: vm)
    }

    private func add(_ mapping: UnsafeMutableRawPointer, length: UInt64, file: Int32?, offset: UInt64, vm: VirtualMachine) -> Int64 {
        lock.withLock {
            guard windows.count < SharedWindows.maximumCount else { return -Int64(ENOMEM) }
            let address = (nextAddress + SharedWindows.alignment - 1) & ~(SharedWindows.alignment - 1)
            guard address < UK_SHARED_WINDOW_END, length <= UK_SHARED_WINDOW_END - address else { return -Int64(ENOMEM) }
            var slot: UInt32 = 1
            while windows.contains(where: { $0.slot == slot }) { slot += 1 }
            let window = Window(slot: slot, guestAddress: address, size: length, host: mapping, file: file, offset: offset)
            do {
                try vm.mapRegion(slot: slot, guestAddress: address, size: length, host: mapping)
            } catch {
                return -Int64(ENOMEM)
            }
            windows.append(window)
            nextAddress = address + length
            return Int64(address)
        }
    }

    /// Removes the window at `address` from `vm` (see the type's note on its host range).
    func remove(_ address: UInt64, vm: VirtualMachine) -> Int64 {
        lock.withLock {
            guard let index = windows.firstIndex(where: { $0.guestAddress == address }) else { return -Int64(EINVAL) }
            let window = windows.remove(at: index)
            try? vm.unmapRegion(slot: window.slot, guestAddress: window.guestAddress)
            if let file = window.file, file >= 0 { Glibc.close(file) }
            _ = mmap(window.host, Int(window.size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0)
            retired.append((window.host, Int(window.size)))
            return 0
        }
    }

    /// How many bytes of the window at `address` its file backs now (UK_PROC_SHARED_SIZE).
    func backedSize(_ address: UInt64) -> Int64 {
        lock.withLock {
            guard let window = windows.first(where: { $0.guestAddress == address }) else { return -Int64(EINVAL) }
            guard let file = window.file else { return Int64(window.size) }
            var info = stat()
            // Only a regular file's size bounds its pages (/dev/zero's shared memory has none).
            guard file >= 0, fstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return Int64(window.size) }
            let size = UInt64(max(0, info.st_size))
            guard size > window.offset else { return 0 }
            let pages = (size - window.offset + 0xFFF) & ~UInt64(0xFFF)
            return Int64(min(pages, window.size))
        }
    }

    /// msync of `[offset, offset + length)` of the window at `address`.
    func sync(_ address: UInt64, offset: UInt64, length: UInt64, flags: Int32) -> Int64 {
        lock.withLock {
            guard let window = windows.first(where: { $0.guestAddress == address }), offset <= window.size,
                  length <= window.size - offset else { return -Int64(ENOMEM) }
            guard flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) == 0 else { return -Int64(EINVAL) }
            return msync(window.host.advanced(by: Int(offset)), Int(length), flags) == 0 ? 0 : -Int64(errno)
        }
    }

    /// Adds every window to `vm` (a forked runner's new VM, over the inherited host mappings).
    func register(in vm: VirtualMachine) throws(KVMError) {
        let current = lock.withLock { windows }
        for window in current {
            try vm.mapRegion(slot: window.slot, guestAddress: window.guestAddress, size: window.size, host: window.host)
        }
    }

    /// How many windows the guest holds.
    public var count: Int { lock.withLock { windows.count } }
}
