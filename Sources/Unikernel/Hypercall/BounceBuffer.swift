/// The physically contiguous 64 KiB kernel buffer through which all host
/// I/O passes: application buffers may span non-contiguous frames, while a
/// hypercall takes one contiguous physical range. Larger transfers loop.
enum BounceBuffer {
    static let capacity = 64 * 1024

    static var address: UInt64 { uk_bounce_buffer_address() }
    static var physical: UInt64 { DirectMap.physicalOfKernel(address) }
    static var pointer: UnsafeMutableRawPointer {
        // SAFETY: entry.S reserves `capacity` bytes of .bss at this address.
        UnsafeMutableRawPointer(bitPattern: UInt(address))!
    }

    /// Layout for path hypercalls: two NUL-terminated paths, then data.
    static let pathCapacity = 4096
    static let path2Offset = 4096 + 64
    static let dataOffset = 2 * (4096 + 64)
    static var dataCapacity: Int { capacity - dataOffset }
    static var data: UnsafeMutableRawPointer { pointer + dataOffset }

    /// Copies `bytes` and a NUL to `offset` (the caller checked the length).
    static func stage(_ bytes: [UInt8], at offset: Int) {
        // SAFETY: offset + bytes.count + 1 <= capacity for both path slots.
        if !bytes.isEmpty { bytes.withUnsafeBytes { (pointer + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        (pointer + offset).storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self)
    }
}
