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
}
