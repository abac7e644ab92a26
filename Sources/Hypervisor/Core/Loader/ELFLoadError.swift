/// Why an ELF file cannot be loaded: one case per check the loaders make.
///
/// Every case carries the file's path and the values that failed, so that
/// `description` is a one-line message naming the file and the problem, with
/// offsets and addresses in hex. Program header indices count from 0, in file order.
public enum ELFLoadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file has no bytes.
    case emptyFile(path: String)
    /// The file is shorter than the 64-byte ELF64 header (its first bytes match the magic).
    case truncatedHeader(path: String, size: Int)
    /// The file does not start with `\x7fELF`; `found` holds its first (up to four) bytes.
    case badMagic(path: String, found: [UInt8])
    /// `e_ident[EI_CLASS]` is not `ELFCLASS64`.
    case wrongClass(path: String, elfClass: UInt8)
    /// `e_ident[EI_DATA]` is not `ELFDATA2LSB`.
    case wrongDataEncoding(path: String, encoding: UInt8)
    /// `e_ident[EI_VERSION]` or `e_version` is not `EV_CURRENT` (1).
    case wrongVersion(path: String, identVersion: UInt8, version: UInt32)
    /// `e_machine` is not `EM_X86_64`.
    case wrongMachine(path: String, machine: UInt16)
    /// `e_type` is neither `ET_EXEC` nor `ET_DYN` (an object file, a core dump, ...).
    case unsupportedType(path: String, type: UInt16)
    /// The kernel image is not `ET_EXEC`: it must be linked at fixed addresses.
    case kernelNotExecutable(path: String, type: UInt16)
    /// `e_phentsize` is not 56, the size of `Elf64_Phdr`.
    case wrongProgramHeaderEntrySize(path: String, entrySize: UInt16)
    /// `e_phnum` exceeds `ELF.maxProgramHeaders`.
    case tooManyProgramHeaders(path: String, count: UInt16, limit: Int)
    /// The program header table `[e_phoff, e_phoff + e_phnum * 56)` is not inside the file.
    case programHeadersOutsideFile(path: String, offset: UInt64, count: UInt16, fileSize: UInt64)
    /// A `PT_INTERP` header names a dynamic linker where only a static program may be (the
    /// interpreter itself, or a caller that loads static programs only).
    case dynamicallyLinked(path: String, index: Int, interpreter: String)
    /// The program's interpreter (`PT_INTERP`) cannot be loaded from the guest's file system.
    case interpreterUnavailable(path: String, interpreter: String, reason: String)
    /// No `PT_LOAD` header with a non-zero `p_memsz`.
    case noLoadableSegment(path: String)
    /// A `PT_LOAD`'s file bytes `[p_offset, p_offset + p_filesz)` are not inside the file.
    case segmentOutsideFile(path: String, index: Int, offset: UInt64, fileSizeInSegment: UInt64, fileSize: UInt64)
    /// A `PT_LOAD`'s `p_filesz` exceeds its `p_memsz`.
    case segmentFileSizeExceedsMemorySize(path: String, index: Int, fileSizeInSegment: UInt64, memorySize: UInt64)
    /// `p_vaddr + load bias + p_memsz` (or, for `PT_PHDR`, `p_vaddr + load bias`) wraps around 2^64.
    case segmentAddressOverflow(path: String, index: Int, virtualAddress: UInt64, memorySize: UInt64, loadBias: UInt64)
    /// An application segment reaches `0x0000_8000_0000_0000` or above: the kernel's half.
    case segmentInKernelHalf(path: String, index: Int, start: UInt64, end: UInt64)
    /// An application segment starts below `ELF.minimumUserAddress` (page 0 must stay unmapped).
    case segmentBelowMinimumAddress(path: String, index: Int, start: UInt64)
    /// Two segments share bytes of memory (sharing a page is fine).
    case segmentsOverlap(path: String, index: Int, start: UInt64, end: UInt64, otherIndex: Int, otherStart: UInt64, otherEnd: UInt64)
    /// `p_vaddr % 4096 != p_offset % 4096`: the segment cannot be mapped from its file pages.
    case segmentOffsetNotCongruent(path: String, index: Int, virtualAddress: UInt64, offset: UInt64)
    /// The application's load bias is not a multiple of the page size (a caller bug, reported, not trapped).
    case loadBiasNotPageAligned(path: String, loadBias: UInt64)
    /// The application's page-aligned span exceeds the memory the guest offers for it.
    case imageTooLarge(path: String, size: UInt64, limit: UInt64)
    /// The entry point (load bias applied) lies in no segment with `PF_X`.
    case entryPointNotExecutable(path: String, entry: UInt64)
    /// A kernel segment's `p_paddr` is not `p_vaddr - UK_KERNEL_VIRT_BASE`.
    case kernelSegmentAddressMismatch(path: String, index: Int, virtualAddress: UInt64, physicalAddress: UInt64)
    /// A kernel segment's physical range leaves `[UK_KERNEL_PHYS_BASE, UK_KERNEL_PHYS_BASE + UK_KERNEL_MAX_SIZE)`.
    case kernelSegmentOutsideWindow(path: String, index: Int, physicalStart: UInt64, physicalEnd: UInt64)
    /// Guest-physical memory ends before the kernel image does.
    case kernelExceedsGuestMemory(path: String, physicalEnd: UInt64, memorySize: UInt64)
    /// The kernel image lacks a symbol the host needs to prepare the CPU (syscall entry, exception stubs, stack).
    case missingKernelSymbol(path: String, name: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .emptyFile(let path), .truncatedHeader(let path, _), .badMagic(let path, _),
            .wrongClass(let path, _), .wrongDataEncoding(let path, _), .wrongVersion(let path, _, _),
            .wrongMachine(let path, _), .unsupportedType(let path, _), .kernelNotExecutable(let path, _),
            .wrongProgramHeaderEntrySize(let path, _), .tooManyProgramHeaders(let path, _, _),
            .programHeadersOutsideFile(let path, _, _, _), .dynamicallyLinked(let path, _, _),
            .interpreterUnavailable(let path, _, _),
            .noLoadableSegment(let path), .segmentOutsideFile(let path, _, _, _, _),
            .segmentFileSizeExceedsMemorySize(let path, _, _, _),
            .segmentAddressOverflow(let path, _, _, _, _), .segmentInKernelHalf(let path, _, _, _),
            .segmentBelowMinimumAddress(let path, _, _), .segmentsOverlap(let path, _, _, _, _, _, _),
            .segmentOffsetNotCongruent(let path, _, _, _), .loadBiasNotPageAligned(let path, _),
            .imageTooLarge(let path, _, _), .entryPointNotExecutable(let path, _),
            .kernelSegmentAddressMismatch(let path, _, _, _),
            .kernelSegmentOutsideWindow(let path, _, _, _), .kernelExceedsGuestMemory(let path, _, _),
            .missingKernelSymbol(let path, _):
            return path
        }
    }

    /// `"<path>: <problem>"` on one line.
    public var description: String {
        path + ": " + problem
    }

    /// The message without the path.
    public var problem: String {
        switch self {
        case .emptyFile:
            return "empty file, not an ELF program"
        case .truncatedHeader(_, let size):
            return "truncated ELF header: the file is \(size) bytes, the ELF64 header needs \(ELF.fileHeaderSize)"
        case .badMagic(_, let found):
            let bytes = found.map { byte in
                let digits = String(byte, radix: 16)
                return digits.count == 1 ? "0" + digits : digits
            }
            return "not an ELF file: starts with \(bytes.joined(separator: " ")), expected 7f 45 4c 46 (\\x7fELF)"
        case .wrongClass(_, let elfClass):
            let name = elfClass == 1 ? "ELFCLASS32" : "class \(elfClass)"
            return "\(name) file: only 64-bit (ELFCLASS64) programs run"
        case .wrongDataEncoding(_, let encoding):
            let name = encoding == 2 ? "big-endian (ELFDATA2MSB)" : "data encoding \(encoding)"
            return "\(name) file: only little-endian (ELFDATA2LSB) programs run"
        case .wrongVersion(_, let identVersion, let version):
            return "unsupported ELF version (e_ident[EI_VERSION] = \(identVersion), e_version = \(version)): expected 1 (EV_CURRENT)"
        case .wrongMachine(_, let machine):
            return "built for machine \(machine) (\(ELF.machineName(machine))): only x86-64 (EM_X86_64) programs run"
        case .unsupportedType(_, let type):
            return "ELF type \(type) (\(ELF.typeName(type))) cannot run: only executables (ET_EXEC) and static-pie (ET_DYN) do"
        case .kernelNotExecutable(_, let type):
            return "kernel image has ELF type \(type) (\(ELF.typeName(type))): it must be ET_EXEC, linked at UK_KERNEL_VIRT_BASE"
        case .wrongProgramHeaderEntrySize(_, let entrySize):
            return "program header entry size (e_phentsize) is \(entrySize), expected \(ELF.programHeaderSize)"
        case .tooManyProgramHeaders(_, let count, let limit):
            return "\(count) program headers, more than the \(limit) the loader accepts"
        case .programHeadersOutsideFile(_, let offset, let count, let fileSize):
            return "\(count) program headers at offset \(ELF.hex(offset)) extend past the end of the file (\(ELF.hex(fileSize)) bytes)"
        case .dynamicallyLinked(_, let index, let interpreter):
            return "dynamically linked (PT_INTERP \(interpreter) in program header \(index)): only static binaries run"
        case .interpreterUnavailable(_, let interpreter, let reason):
            return "dynamically linked: its interpreter \(interpreter) cannot be loaded from the guest's file system (\(reason)); --system or --volume gives the guest the host's"
        case .noLoadableSegment:
            return "no loadable segment (no PT_LOAD with p_memsz > 0)"
        case .segmentOutsideFile(_, let index, let offset, let fileSizeInSegment, let fileSize):
            return "program header \(index) (PT_LOAD) file bytes at offset \(ELF.hex(offset)) size \(ELF.hex(fileSizeInSegment)) extend past the end of the file (\(ELF.hex(fileSize)) bytes)"
        case .segmentFileSizeExceedsMemorySize(_, let index, let fileSizeInSegment, let memorySize):
            return "program header \(index) (PT_LOAD) has p_filesz \(ELF.hex(fileSizeInSegment)) larger than p_memsz \(ELF.hex(memorySize))"
        case .segmentAddressOverflow(_, let index, let virtualAddress, let memorySize, let loadBias):
            return "program header \(index) at vaddr \(ELF.hex(virtualAddress)) size \(ELF.hex(memorySize)) (load bias \(ELF.hex(loadBias))) wraps around the address space"
        case .segmentInKernelHalf(_, let index, let start, let end):
            return "program header \(index) (PT_LOAD) at \(ELF.hex(start))-\(ELF.hex(end)) reaches the kernel's half of the address space (at or above \(ELF.hex(ELF.userAddressLimit)))"
        case .segmentBelowMinimumAddress(_, let index, let start):
            return "program header \(index) (PT_LOAD) at vaddr \(ELF.hex(start)) is below \(ELF.hex(ELF.minimumUserAddress)) (mmap_min_addr): page 0 must stay unmapped"
        case .segmentsOverlap(_, let index, let start, let end, let otherIndex, let otherStart, let otherEnd):
            return "program header \(index) (PT_LOAD) at vaddr \(ELF.hex(start))-\(ELF.hex(end)) overlaps program header \(otherIndex) at \(ELF.hex(otherStart))-\(ELF.hex(otherEnd))"
        case .segmentOffsetNotCongruent(_, let index, let virtualAddress, let offset):
            return "program header \(index) (PT_LOAD) vaddr \(ELF.hex(virtualAddress)) and file offset \(ELF.hex(offset)) differ modulo the page size \(ELF.hex(ELF.pageSize))"
        case .loadBiasNotPageAligned(_, let loadBias):
            return "load bias \(ELF.hex(loadBias)) is not a multiple of the page size \(ELF.hex(ELF.pageSize))"
        case .imageTooLarge(_, let size, let limit):
            let mebibyte: UInt64 = 1 << 20
            let needed = size / mebibyte + (size % mebibyte == 0 ? 0 : 1)
            return "image spans \(ELF.hex(size)) bytes: needs \(needed) MiB, guest memory offers \(limit / mebibyte) MiB"
        case .entryPointNotExecutable(_, let entry):
            return "entry point \(ELF.hex(entry)) is not inside any executable (PF_X) segment"
        case .kernelSegmentAddressMismatch(_, let index, let virtualAddress, let physicalAddress):
            return "kernel program header \(index) (PT_LOAD) at vaddr \(ELF.hex(virtualAddress)) has paddr \(ELF.hex(physicalAddress)), expected vaddr - \(ELF.hex(UInt64(ELF.kernelVirtualBase)))"
        case .kernelSegmentOutsideWindow(_, let index, let physicalStart, let physicalEnd):
            return "kernel program header \(index) (PT_LOAD) at paddr \(ELF.hex(physicalStart))-\(ELF.hex(physicalEnd)) is outside the kernel window \(ELF.hex(ELF.kernelPhysicalBase))-\(ELF.hex(ELF.kernelPhysicalLimit))"
        case .kernelExceedsGuestMemory(_, let physicalEnd, let memorySize):
            return "kernel image ends at guest-physical \(ELF.hex(physicalEnd)), past the end of guest memory (\(ELF.hex(memorySize)) bytes)"
        case .missingKernelSymbol(_, let name):
            return "kernel image has no symbol \(name): the host needs it to prepare the CPU (is this a unikernel.elf?)"
        }
    }
}
