import UnikernelABI

/// The application's x87/SSE/AVX/... register state as a signal frame holds
/// it, in Linux's format: the XSAVE image of every component XCR0 enables
/// (standard, non-compacted layout) with the software-reserved bytes of its
/// legacy area describing it (FP_XSTATE_MAGIC1, sizes, components) and
/// FP_XSTATE_MAGIC2 right after it; or, where XSAVE is off, the 512-byte
/// FXSAVE image. One kernel area serves every frame: one signal is set up or
/// returned from at a time.
enum ExtendedState {
    /// "FPXS" at byte 464: the frame holds an XSAVE image described by the bytes that follow.
    static let magic1: UInt32 = 0x4650_5853
    /// "EXPF" right after the XSAVE image.
    static let magic2: UInt32 = 0x4650_5845
    static let legacySize = 512
    static let softwareBytesOffset = 464
    static let headerOffset = 512
    static let mxcsrOffset = 24

    /// Whether XSAVE is usable (CPUID.1:ECX.OSXSAVE, as the running CPU reports it).
    private(set) static var usesXSAVE = false
    /// XCR0: the components saved and restored.
    private(set) static var components: UInt64 = 0
    /// Bytes of the XSAVE image for `components` (CPUID 0xD.0:EBX), or 512.
    private(set) static var imageSize = legacySize
    /// MXCSR bits the CPU accepts; a frame's MXCSR is masked with them before a restore.
    private(set) static var mxcsrMask: UInt32 = 0xFFBF
    private static var area: UnsafeMutableRawPointer?

    /// Bytes a signal frame reserves for the state (64-byte aligned by the caller).
    static var frameBytes: UInt64 { UInt64(imageSize) + (usesXSAVE ? 4 : 0) }

    /// Reads what the CPU enables; called once at start-up.
    static func configure() {
        usesXSAVE = CPU.cpuid(1).ecx & (1 << 27) != 0
        if usesXSAVE {
            components = uk_xgetbv(0)
            imageSize = max(Int(CPU.cpuid(0xD).ebx), legacySize + 64)
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: imageSize + 4, alignment: 64)
        // SAFETY: a fresh 64-byte-aligned buffer of imageSize + 4 bytes, owned here for the run.
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: imageSize + 4)
        area = buffer
        uk_fxsave(buffer)
        let mask = buffer.load(fromByteOffset: 28, as: UInt32.self)
        if mask != 0 { mxcsrMask = mask }
    }

    /// Saves the application's current state into the kernel area and
    /// returns it with its frame description, ready to copy to a frame.
    static func save() -> UnsafeMutableRawPointer {
        guard let area else { kernelPanic("extended state used before configure") }
        if usesXSAVE {
            uk_xsave(area, components)
            // SAFETY: the software-reserved bytes 464..<512 and the magic after the image lie inside the area.
            area.storeBytes(of: magic1, toByteOffset: softwareBytesOffset, as: UInt32.self)
            area.storeBytes(of: UInt32(imageSize + 4), toByteOffset: softwareBytesOffset + 4, as: UInt32.self)
            area.storeBytes(of: components, toByteOffset: softwareBytesOffset + 8, as: UInt64.self)
            area.storeBytes(of: UInt32(imageSize), toByteOffset: softwareBytesOffset + 16, as: UInt32.self)
            for word in 0..<7 {
                area.storeBytes(of: UInt32(0), toByteOffset: softwareBytesOffset + 20 + 4 * word, as: UInt32.self)
            }
            area.storeBytes(of: magic2, toByteOffset: imageSize, as: UInt32.self)
        } else {
            uk_fxsave(area)
        }
        return area
    }

    /// The kernel area to fill with a frame's `frameBytes` before `restore`.
    static var buffer: UnsafeMutableRawPointer {
        guard let area else { kernelPanic("extended state used before configure") }
        return area
    }

    /// Bytes of a task's saved context (`saveContext`): the image, 64-byte aligned by the owner.
    static var contextBytes: Int { imageSize + 64 }

    /// Saves the running task's extended state (a context switch): the raw image, no frame description.
    static func saveContext(to area: UnsafeMutableRawPointer) {
        if usesXSAVE { uk_xsave(area, components) } else { uk_fxsave(area) }
    }

    /// Loads a state `saveContext` saved, or a new task's copy of its creator's.
    static func restoreContext(from area: UnsafeMutableRawPointer) {
        if usesXSAVE { uk_xrstor(area, components) } else { uk_fxrstor(area) }
    }

    /// Loads the state a frame held (copied into `buffer`). Whatever the frame
    /// says, the CPU is never asked to load what would fault: MXCSR is masked
    /// to the supported bits, and the XSAVE header keeps only enabled
    /// components, standard format, no reserved bits. A frame without the
    /// XSAVE description restores x87/SSE and resets the other components,
    /// as Linux does.
    static func restore() {
        guard let area else { kernelPanic("extended state used before configure") }
        // SAFETY: every offset below lies inside the area's imageSize + 4 bytes (imageSize ≥ 576).
        let mxcsr = area.load(fromByteOffset: mxcsrOffset, as: UInt32.self)
        area.storeBytes(of: mxcsr & mxcsrMask, toByteOffset: mxcsrOffset, as: UInt32.self)
        guard usesXSAVE else {
            uk_fxrstor(area)
            return
        }
        let described = area.load(fromByteOffset: softwareBytesOffset, as: UInt32.self) == magic1
            && area.load(fromByteOffset: softwareBytesOffset + 4, as: UInt32.self) == UInt32(imageSize + 4)
            && area.load(fromByteOffset: imageSize, as: UInt32.self) == magic2
        let present = described
            ? area.load(fromByteOffset: headerOffset, as: UInt64.self) & area.load(fromByteOffset: softwareBytesOffset + 8, as: UInt64.self)
            : 0x3
        area.storeBytes(of: present & components, toByteOffset: headerOffset, as: UInt64.self)
        for word in 1..<8 {
            area.storeBytes(of: UInt64(0), toByteOffset: headerOffset + 8 * word, as: UInt64.self)
        }
        uk_xrstor(area, components)
    }
}

@_extern(c, "uk_fxsave") func uk_fxsave(_ area: UnsafeMutableRawPointer)
@_extern(c, "uk_fxrstor") func uk_fxrstor(_ area: UnsafeMutableRawPointer)
@_extern(c, "uk_xsave") func uk_xsave(_ area: UnsafeMutableRawPointer, _ components: UInt64)
@_extern(c, "uk_xrstor") func uk_xrstor(_ area: UnsafeMutableRawPointer, _ components: UInt64)
@_extern(c, "uk_xgetbv") func uk_xgetbv(_ index: UInt32) -> UInt64
