/// What the guest starts: the program and, when it is dynamically linked, its interpreter
/// (`PT_INTERP`, e.g. `/lib64/ld-linux-x86-64.so.2`), loaded the way Linux's `load_elf_binary`
/// loads them: the program's segments at its addresses (a PIE at its base), the interpreter's
/// at a base of its own, the first instruction the interpreter's entry, and auxv telling it
/// where the program is (AT_PHDR, AT_ENTRY) and where it was put (AT_BASE).
///
/// Both go into one flat image (`unikernel_abi.h`): the interpreter is placed `interpreterGap`
/// above the program's last page, and the pages between them are zero and left unmapped (no
/// segment covers them). Linux puts the interpreter in the mmap area instead; where it lies
/// is the interpreter's own business (it is position-independent and finds itself through
/// AT_BASE), and the program's break still starts after the highest segment.
public struct ProgramImage: Sendable {
    public let program: ApplicationImage
    public let interpreter: ApplicationImage?
    /// The flat span from the program's first page to the last page of either.
    public let imageSize: UInt64

    /// Bytes left unmapped between the program and its interpreter.
    public static let interpreterGap: UInt64 = 0x10_0000

    /// Where an interpreter (`ET_DYN`) is placed after `program`.
    public static func interpreterBase(after program: ApplicationImage) -> UInt64 {
        program.imageVirtualAddress + program.imageSize + interpreterGap
    }

    /// Combines `program` with its planned `interpreter` (planned at `interpreterBase(after:)`).
    public init(program: ApplicationImage, interpreter: ApplicationImage?, maxImageSize: UInt64) throws(ELFLoadError) {
        self.program = program
        self.interpreter = interpreter
        guard let interpreter else {
            imageSize = program.imageSize
            return
        }
        let programEnd = program.imageVirtualAddress + program.imageSize
        guard interpreter.imageVirtualAddress >= programEnd else {
            throw .interpreterUnavailable(path: program.file.path, interpreter: interpreter.file.path,
                                          reason: "it is not position-independent and overlaps the program")
        }
        let span = interpreter.imageVirtualAddress + interpreter.imageSize - program.imageVirtualAddress
        guard span <= maxImageSize else {
            throw .imageTooLarge(path: program.file.path, size: span, limit: maxImageSize)
        }
        imageSize = span
    }

    public var imageVirtualAddress: UInt64 { program.imageVirtualAddress }
    /// Every segment to map: the program's, then the interpreter's.
    public var segments: [LoadSegment] { program.segments + (interpreter?.segments ?? []) }
    /// The first instruction: the interpreter's entry, or the program's.
    public var startAddress: UInt64 { interpreter?.entry ?? program.entry }
    /// AT_BASE: where the interpreter was loaded (0 without one).
    public var interpreterBase: UInt64 {
        guard let interpreter else { return 0 }
        return interpreter.elfType == ELF.typeShared ? interpreter.loadBias : interpreter.imageVirtualAddress
    }

    /// Writes the flat image; `destination.count` must be `imageSize`. `zeroed`: the
    /// destination holds only zeros already (fresh guest memory): only file bytes are written.
    public func materialize(into destination: UnsafeMutableRawBufferPointer, zeroed: Bool = false) {
        precondition(UInt64(destination.count) == imageSize, "ProgramImage.materialize: wrong destination size")
        if !zeroed { destination.initializeMemory(as: UInt8.self, repeating: 0) }
        place(into: destination, mapPages: nil)
    }

    /// Places the flat image in `destination` (`imageSize` bytes, all zero), mapping file pages
    /// where it can (`FilePagePlacement`); returns the bytes mapped rather than copied.
    @discardableResult
    public func place(into destination: UnsafeMutableRawBufferPointer, mapPages: FilePagePlacement.PageMapper?) -> Int {
        precondition(UInt64(destination.count) == imageSize, "ProgramImage.place: wrong destination size")
        var mapped = program.place(into: UnsafeMutableRawBufferPointer(rebasing: destination[0..<Int(program.imageSize)]),
                                   mapPages: mapPages)
        guard let interpreter else { return mapped }
        let start = Int(interpreter.imageVirtualAddress - program.imageVirtualAddress)
        mapped += interpreter.place(into: UnsafeMutableRawBufferPointer(rebasing: destination[start..<(start + Int(interpreter.imageSize))]),
                                    mapPages: mapPages)
        return mapped
    }
}
