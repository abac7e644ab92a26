import CLinux

/// The CPUID leaves a vCPU reports, as KVM describes them (`kvm_cpuid_entry2`).
public struct CPUIDTable {
    /// One leaf/subleaf and its four result registers.
    public struct Entry: Equatable, Sendable {
        public var function: UInt32
        public var index: UInt32
        public var flags: UInt32
        public var eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32
    }

    public var entries: [Entry]

    /// The entry for `function`/`index`, if KVM offers it.
    public func entry(function: UInt32, index: UInt32 = 0) -> Entry? {
        entries.first { $0.function == function && $0.index == index }
            ?? entries.first { $0.function == function && $0.flags & UInt32(KVM_CPUID_FLAG_SIGNIFCANT_INDEX) == 0 }
    }

    /// A `kvm_cpuid2` header plus its entry array in one heap allocation, as the ioctls expect.
    final class RawBuffer {
        let pointer: UnsafeMutableRawPointer
        let capacity: Int
        private static let headerSize = MemoryLayout<kvm_cpuid2>.size
        private static let entrySize = MemoryLayout<kvm_cpuid_entry2>.stride

        init(capacity: Int) {
            self.capacity = capacity
            let size = RawBuffer.headerSize + capacity * RawBuffer.entrySize
            pointer = .allocate(byteCount: size, alignment: 8)
            pointer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
            // SAFETY: the allocation starts with room for the kvm_cpuid2 header.
            pointer.assumingMemoryBound(to: kvm_cpuid2.self).pointee.nent = UInt32(capacity)
        }

        convenience init(entries: [Entry]) {
            self.init(capacity: entries.count)
            for (i, entry) in entries.enumerated() {
                var raw = kvm_cpuid_entry2()
                raw.function = entry.function
                raw.index = entry.index
                raw.flags = entry.flags
                raw.eax = entry.eax; raw.ebx = entry.ebx; raw.ecx = entry.ecx; raw.edx = entry.edx
                // SAFETY: i < capacity, so the entry lies inside the allocation.
                pointer.storeBytes(of: raw, toByteOffset: RawBuffer.headerSize + i * RawBuffer.entrySize, as: kvm_cpuid_entry2.self)
            }
        }

        deinit { pointer.deallocate() }

        var entries: [Entry] {
            // SAFETY: KVM wrote nent (<= capacity) valid entries after the header.
            let count = min(Int(pointer.assumingMemoryBound(to: kvm_cpuid2.self).pointee.nent), capacity)
            return (0..<count).map { i in
                let raw = pointer.loadUnaligned(fromByteOffset: RawBuffer.headerSize + i * RawBuffer.entrySize, as: kvm_cpuid_entry2.self)
                return Entry(function: raw.function, index: raw.index, flags: raw.flags,
                             eax: raw.eax, ebx: raw.ebx, ecx: raw.ecx, edx: raw.edx)
            }
        }
    }
}
