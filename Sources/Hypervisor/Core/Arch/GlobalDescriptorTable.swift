import CLinux
import UnikernelABI

/// A segment descriptor of the boot GDT (Intel SDM Vol. 3A §3.4.5) and the
/// matching `kvm_segment` KVM loads into the hidden segment registers.
public struct SegmentDescriptor: Equatable, Sendable {
    public var base: UInt32 = 0
    public var limit: UInt32 = 0xFFFFF
    /// Type field: 0xB = execute/read code (accessed), 0x3 = read/write data (accessed).
    public var type: UInt8
    public var isCodeOrData = true
    public var privilegeLevel: UInt8 = 0
    public var isPresent = true
    public var isLongMode: Bool
    public var isDefault32Bit: Bool
    public var isPageGranular = true

    /// The 64-bit kernel code segment.
    public static let kernelCode = SegmentDescriptor(type: 0xB, isLongMode: true, isDefault32Bit: false)
    /// The kernel data (and stack) segment.
    public static let kernelData = SegmentDescriptor(type: 0x3, isLongMode: false, isDefault32Bit: true)

    /// The 8-byte descriptor as it sits in the GDT.
    public var encoded: UInt64 {
        var value = UInt64(limit & 0xFFFF)
        value |= UInt64(base & 0xFF_FFFF) << 16
        value |= UInt64(type & 0xF) << 40
        value |= (isCodeOrData ? 1 : 0) << 44
        value |= UInt64(privilegeLevel & 3) << 45
        value |= (isPresent ? 1 : 0) << 47
        value |= UInt64((limit >> 16) & 0xF) << 48
        value |= (isLongMode ? 1 : 0) << 53
        value |= (isDefault32Bit ? 1 : 0) << 54
        value |= (isPageGranular ? 1 : 0) << 55
        value |= UInt64(base >> 24) << 56
        return value
    }

    /// The same segment for KVM_SET_SREGS, loaded with `selector`.
    public func kvmSegment(selector: UInt16) -> kvm_segment {
        var segment = kvm_segment()
        segment.base = UInt64(base)
        segment.limit = isPageGranular ? (limit << 12) | 0xFFF : limit
        segment.selector = selector
        segment.type = type
        segment.present = isPresent ? 1 : 0
        segment.dpl = privilegeLevel
        segment.db = isDefault32Bit ? 1 : 0
        segment.s = isCodeOrData ? 1 : 0
        segment.l = isLongMode ? 1 : 0
        segment.g = isPageGranular ? 1 : 0
        return segment
    }
}

/// The boot GDT at UK_GDT_PHYS: null, kernel code (UK_KERNEL_CS), kernel data (UK_KERNEL_DS).
public struct BootGDT: Sendable {
    public let address: UInt64 = UK_GDT_PHYS
    public let descriptors: [UInt64] = [0, SegmentDescriptor.kernelCode.encoded, SegmentDescriptor.kernelData.encoded]

    public init() {}

    /// The GDTR limit: size in bytes minus one.
    public var limit: UInt16 { UInt16(descriptors.count * 8 - 1) }

    public func write(into memory: GuestMemory) throws(GuestMemoryError) {
        for (i, descriptor) in descriptors.enumerated() {
            try memory.store(descriptor, at: address + UInt64(i * 8))
        }
    }
}
