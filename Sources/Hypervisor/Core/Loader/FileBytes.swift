import Glibc

/// The bytes of a file the loader reads: a read-only private mapping of the file (what the
/// runner loads: nothing is read or copied until a page is looked at), or an array (tests,
/// the fuzzer, a file that cannot be mapped).
///
/// A mapping keeps its file open (`descriptor`) so that the loader can map the same file
/// pages into guest memory instead of copying them (`SegmentPlacement`). The mapping is
/// private: later writes to the file may or may not show through, as for any mapped
/// executable, but nothing written through the mapping reaches the file.
public struct FileBytes: RandomAccessCollection, Sendable {
    /// Owns the bytes: an array, or a mapping it unmaps (closing the file) when the last copy goes.
    final class Storage: @unchecked Sendable {
        // Immutable after init, and the bytes are never written: safe to share across threads.
        let array: [UInt8]
        let mapping: UnsafeRawBufferPointer?
        let descriptor: Int32?

        init(array: [UInt8]) {
            self.array = array
            mapping = nil
            descriptor = nil
        }

        init(mapping: UnsafeRawBufferPointer, descriptor: Int32) {
            array = []
            self.mapping = mapping
            self.descriptor = descriptor
        }

        deinit {
            if let mapping, let base = mapping.baseAddress, mapping.count > 0 {
                munmap(UnsafeMutableRawPointer(mutating: base), mapping.count)
            }
            if let descriptor { close(descriptor) }
        }
    }

    let storage: Storage

    /// The bytes of `array`.
    public init(_ array: [UInt8]) {
        storage = Storage(array: array)
    }

    /// Maps the regular file behind `fd` (which the result takes over and closes) read-only;
    /// nil when it cannot be mapped (not a regular file, or mmap failed), `fd` then still the
    /// caller's. An empty file is an empty collection.
    public static func mapping(_ fd: Int32) -> FileBytes? {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size >= 0 else { return nil }
        let size = Int(info.st_size)
        if size == 0 { return FileBytes(storage: Storage(mapping: UnsafeRawBufferPointer(start: nil, count: 0), descriptor: fd)) }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else { return nil }
        return FileBytes(storage: Storage(mapping: UnsafeRawBufferPointer(start: address, count: size), descriptor: fd))
    }

    private init(storage: Storage) {
        self.storage = storage
    }

    /// The open file behind a mapping (nil for an array): `mmap` it to map its pages elsewhere.
    public var descriptor: Int32? { storage.descriptor }

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.mapping?.count ?? storage.array.count }

    public subscript(position: Int) -> UInt8 {
        guard let mapping = storage.mapping else { return storage.array[position] }
        // Bounds-checked like an array subscript: an index outside is a loader bug.
        precondition(position >= 0 && position < mapping.count, "FileBytes: index \(position) outside \(mapping.count) bytes")
        return mapping[position]
    }

    /// Calls `body` with all the bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard let mapping = storage.mapping else { return try storage.array.withUnsafeBytes(body) }
        // SAFETY: the mapping stays mapped while `storage` lives, which the call keeps alive.
        return try withExtendedLifetime(storage) { try body(mapping) }
    }

    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        try withUnsafeBytes { try body($0.bindMemory(to: UInt8.self)) }
    }
}

extension Slice where Base == FileBytes {
    /// Calls `body` with the bytes of this slice.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try base.withUnsafeBytes { (all: UnsafeRawBufferPointer) throws -> R in
            try body(UnsafeRawBufferPointer(rebasing: all[startIndex..<endIndex]))
        }
    }
}
