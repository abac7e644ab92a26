/// The ELF inputs of the loader tests, generated here rather than committed as binaries:
/// minimal valid programs and kernels, and for every loader check one file that fails
/// exactly that check (each a valid sample with one thing broken).
enum MalformedELF {
    // MARK: Valid samples

    /// `mov $60, %eax; xor %edi, %edi; syscall`: exit(0).
    static let exitCode: [UInt8] = [0xb8, 0x3c, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05]
    /// The initialised bytes of the sample's data segment.
    static let dataBytes: [UInt8] = Array("hello, loader!\n\0".utf8)
    /// The data segment's memory size: 16 initialised bytes, then .bss reaching into the next page.
    static let dataMemorySize: UInt64 = 0x1010

    /// A minimal static executable laid out like `ld`'s output:
    /// header 0 `PT_LOAD R` at 0x400000 maps the ELF header and program headers (offset 0),
    /// header 1 `PT_LOAD RX` at 0x401000 holds `exitCode` (entry),
    /// header 2 `PT_LOAD RW` at 0x402000 holds `dataBytes` then .bss,
    /// header 3 `PT_GNU_STACK`. No section headers (stripped).
    static func staticExecutable() -> ELFBuilder {
        typealias H = ELFBuilder.Header
        var elf = ELFBuilder()
        elf.entry = 0x401000
        elf.headers = [
            .load(flags: ELFBuilder.PF.r, offset: 0, virtualAddress: 0x400000, fileSize: 0, memorySize: 0),
            .load(
                flags: ELFBuilder.PF.r | ELFBuilder.PF.x, offset: 0x1000, virtualAddress: 0x401000,
                fileSize: UInt64(exitCode.count), memorySize: UInt64(exitCode.count)),
            .load(
                flags: ELFBuilder.PF.r | ELFBuilder.PF.w, offset: 0x2000, virtualAddress: 0x402000,
                fileSize: UInt64(dataBytes.count), memorySize: dataMemorySize),
            H(
                type: ELFBuilder.PT.gnuStack, flags: ELFBuilder.PF.r | ELFBuilder.PF.w, offset: 0,
                virtualAddress: 0, physicalAddress: 0, fileSize: 0, memorySize: 0, alignment: 16),
        ]
        elf.headers[0].fileSize = elf.headersEnd
        elf.headers[0].memorySize = elf.headersEnd
        elf.contents = [(0x1000, exitCode), (0x2000, dataBytes)]
        return elf
    }

    /// A minimal static-pie (`ET_DYN`, linked at 0) like `gcc -static-pie` output, with a
    /// `PT_PHDR` header first: header 0 `PT_PHDR` at 0x40, header 1 `PT_LOAD R` at 0,
    /// header 2 `PT_LOAD RX` at 0x1000 (entry), header 3 `PT_LOAD RW` at 0x2000.
    static func staticPIE() -> ELFBuilder {
        var elf = staticExecutable()
        elf.type = 3
        elf.entry = 0x1000
        for i in 0..<3 {
            elf.headers[i].virtualAddress -= 0x400000
            elf.headers[i].physicalAddress -= 0x400000
        }
        elf.headers.removeLast()  // PT_GNU_STACK
        elf.headers.insert(
            ELFBuilder.Header(
                type: ELFBuilder.PT.phdr, flags: ELFBuilder.PF.r, offset: 64, virtualAddress: 64,
                physicalAddress: 64, fileSize: 4 * 56, memorySize: 4 * 56, alignment: 8),
            at: 0)
        elf.headers[1].fileSize = elf.headersEnd
        elf.headers[1].memorySize = elf.headersEnd
        return elf
    }

    /// `hlt; jmp .-1`: the sample kernel's entry.
    static let kernelCode: [UInt8] = [0xf4, 0xeb, 0xfd]
    /// The kernel's base addresses, restated from `unikernel_abi.h` so a changed header fails a test.
    static let kernelVirtualBase: UInt64 = 0xffff_ffff_8000_0000
    static let kernelPhysicalBase: UInt64 = 0x20_0000

    /// A minimal kernel like the unikernel's linker script produces: header 0 `PT_LOAD RX`
    /// at `UK_KERNEL_VIRT_BASE + 2 MiB` (entry), header 1 `PT_LOAD RW` one page later with
    /// 8 initialised bytes and .bss up to 0x2000 bytes.
    static func kernel() -> ELFBuilder {
        var elf = ELFBuilder()
        let text = kernelVirtualBase + kernelPhysicalBase
        elf.entry = text
        elf.headers = [
            ELFBuilder.Header(
                type: ELFBuilder.PT.load, flags: ELFBuilder.PF.r | ELFBuilder.PF.x, offset: 0x1000,
                virtualAddress: text, physicalAddress: kernelPhysicalBase,
                fileSize: UInt64(kernelCode.count), memorySize: UInt64(kernelCode.count)),
            ELFBuilder.Header(
                type: ELFBuilder.PT.load, flags: ELFBuilder.PF.r | ELFBuilder.PF.w, offset: 0x2000,
                virtualAddress: text + 0x1000, physicalAddress: kernelPhysicalBase + 0x1000,
                fileSize: 8, memorySize: 0x2000),
        ]
        elf.contents = [(0x1000, kernelCode), (0x2000, [1, 2, 3, 4, 5, 6, 7, 8])]
        return elf
    }

    // MARK: One malformed file per check, in the order the loaders check

    /// A file with no bytes.
    static func emptyFile() -> [UInt8] { [] }

    /// The first 40 bytes of a valid program: the magic matches, the header is cut short.
    static func truncatedHeader() -> [UInt8] { Array(staticExecutable().bytes().prefix(40)) }

    /// A shell script: a common thing to hand to the runner by mistake.
    static func badMagic() -> [UInt8] { Array("#!/bin/sh\necho hello\n".utf8) }

    /// `EI_CLASS` = ELFCLASS32.
    static func wrongClass() -> [UInt8] { with { $0.elfClass = 1 } }

    /// `EI_DATA` = ELFDATA2MSB (big endian).
    static func wrongDataEncoding() -> [UInt8] { with { $0.dataEncoding = 2 } }

    /// `e_version` = 2.
    static func wrongVersion() -> [UInt8] { with { $0.version = 2 } }

    /// `e_machine` = EM_AARCH64 (183).
    static func wrongMachine() -> [UInt8] { with { $0.machine = 183 } }

    /// `e_type` = `type`: ET_REL (1), ET_CORE (4), ET_NONE (0) or anything unknown.
    static func unsupportedType(_ type: UInt16) -> [UInt8] { with { $0.type = type } }

    /// `e_phentsize` = 32 (the size of an `Elf32_Phdr`).
    static func wrongProgramHeaderEntrySize() -> [UInt8] { with { $0.programHeaderEntrySize = 32 } }

    /// `e_phnum` = 129, one more than `ELF.maxProgramHeaders`, with all of them present.
    static func tooManyProgramHeaders() -> [UInt8] {
        with { elf in
            let stack = elf.headers[3]
            elf.headers += Array(repeating: stack, count: 129 - elf.headers.count)
            elf.programHeaderOffset = 0x3000  // keep the table clear of the segments' bytes
        }
    }

    /// `e_phoff` puts the table's last bytes past the end of the file.
    static func programHeadersPastEndOfFile() -> [UInt8] {
        let size = staticExecutable().bytes().count
        return with { $0.programHeaderOffset = UInt64(size - 100); $0.fileSize = size }
    }

    /// `e_phoff` so large that `e_phoff + e_phnum * 56` wraps around 2^64.
    static func programHeadersOffsetWrapping() -> [UInt8] {
        var bytes = staticExecutable().bytes()
        for i in 32..<40 { bytes[i] = 0xff }  // e_phoff = 0xffff_ffff_ffff_ffff
        return bytes
    }

    /// The dynamic linker a glibc program names in `PT_INTERP`.
    static let interpreter = "/lib64/ld-linux-x86-64.so.2"

    /// A `PT_INTERP` header (program header 4) naming `interpreter`, as `gcc` without `-static` writes.
    static func dynamicallyLinked() -> [UInt8] {
        with { elf in
            let name = Array(interpreter.utf8) + [0]
            elf.headers.append(
                ELFBuilder.Header(
                    type: ELFBuilder.PT.interp, flags: ELFBuilder.PF.r, offset: 0x3000,
                    virtualAddress: 0x403000, physicalAddress: 0x403000,
                    fileSize: UInt64(name.count), memorySize: UInt64(name.count), alignment: 1))
            elf.contents.append((0x3000, name))
            elf.headers[0].fileSize = elf.headersEnd
            elf.headers[0].memorySize = elf.headersEnd
        }
    }

    /// Only `PT_GNU_STACK`, no `PT_LOAD` (for example an object-like file with a forged type).
    static func noLoadableSegment() -> [UInt8] { with { $0.headers = [$0.headers[3]] } }

    /// Every `PT_LOAD` has `p_memsz` 0: nothing would be loaded.
    static func onlyEmptyLoadSegments() -> [UInt8] {
        with { elf in
            for i in 0..<3 { elf.headers[i].fileSize = 0; elf.headers[i].memorySize = 0 }
        }
    }

    /// The data segment (header 2) claims 0x100 file bytes; the file ends after 16.
    static func segmentPastEndOfFile() -> [UInt8] { with { $0.headers[2].fileSize = 0x100 } }

    /// The data segment's `p_offset + p_filesz` wraps around 2^64.
    static func segmentOffsetWrapping() -> [UInt8] {
        with { $0.headers[2].offset = 0xffff_ffff_ffff_fff8 }
    }

    /// The data segment has `p_filesz` 0x2000 > `p_memsz` 0x1010 (file long enough for both).
    static func segmentFileSizeExceedsMemorySize() -> [UInt8] {
        with { $0.headers[2].fileSize = 0x2000; $0.fileSize = 0x4000 }
    }

    /// The data segment sits at 0xffff_ffff_ffff_f000 with 0x2000 bytes: its end wraps around 2^64.
    static func segmentAddressWrapping() -> [UInt8] {
        with { $0.headers[2].virtualAddress = 0xffff_ffff_ffff_f000; $0.headers[2].memorySize = 0x2000 }
    }

    /// A load bias that makes a static-pie's first page-sized segment at 0 end exactly at 2^64.
    static let wrappingLoadBias: UInt64 = 0xffff_ffff_ffff_f000

    /// A program linked at `UK_KERNEL_VIRT_BASE`, in the kernel's half (a kernel passed as the program).
    static func segmentInKernelHalf() -> [UInt8] {
        with { elf in
            for i in 0..<3 { elf.headers[i].virtualAddress += 0xffff_ffff_8000_0000 - 0x400000 }
            elf.entry += 0xffff_ffff_8000_0000 - 0x400000
        }
    }

    /// The data segment starts in user space at 0x7fff_ffff_f000 and its .bss crosses into the
    /// non-canonical hole / kernel half at 0x8000_0000_0000.
    static func segmentStraddlingUserLimit() -> [UInt8] {
        with { $0.headers[2].virtualAddress = 0x7fff_ffff_f000; $0.headers[2].memorySize = 0x2000 }
    }

    /// An `ET_EXEC` linked at address 0 (`-Ttext=0`): page 0 would be mapped.
    static func segmentBelowMinimumAddress() -> [UInt8] {
        with { elf in
            for i in 0..<3 { elf.headers[i].virtualAddress -= 0x400000 }
            elf.entry -= 0x400000
        }
    }

    /// The data segment (header 2) starts at 0x401004, inside the code bytes 0x401000..0x401009
    /// of header 1 (file offset 0x2004 keeps it page-congruent).
    static func segmentsOverlap() -> [UInt8] {
        with { elf in
            elf.headers[2].virtualAddress = 0x401004
            elf.headers[2].offset = 0x2004
            elf.contents[1].offset = 0x2004
        }
    }

    /// The data segment (header 2) begins in the page where the code ends, right after its last
    /// byte: the segments share a page but no byte (what `ld -z noseparate-code` produces).
    static func segmentsSharingAPage() -> [UInt8] {
        with { elf in
            let codeEnd = 0x401000 + UInt64(exitCode.count)
            elf.headers[2].virtualAddress = codeEnd
            elf.headers[2].offset = 0x2000 + UInt64(exitCode.count)
            elf.contents[1].offset = 0x2000 + exitCode.count
        }
    }

    /// The data segment at vaddr 0x402000 is stored at file offset 0x2008: not page-congruent.
    static func segmentOffsetNotCongruent() -> [UInt8] {
        with { elf in
            elf.headers[2].offset = 0x2008
            elf.contents[1].offset = 0x2008
        }
    }

    /// The data segment's .bss is 64 MiB: the image spans a bit more than 64 MiB.
    static func imageLargerThan64MiB() -> [UInt8] { with { $0.headers[2].memorySize = 64 << 20 } }

    /// `e_entry` points into the data segment (readable and writable, not executable).
    static func entryInDataSegment() -> [UInt8] { with { $0.entry = 0x402000 } }

    /// `e_entry` = 0, in no segment at all.
    static func entryOutsideEverySegment() -> [UInt8] { with { $0.entry = 0 } }

    /// A kernel built as `ET_DYN` (linked with `-pie`).
    static func kernelNotExecutable() -> [UInt8] { kernelWith { $0.type = 3 } }

    /// Kernel header 1's `p_paddr` equals its `p_vaddr` (a linker script without `AT(...)`).
    static func kernelSegmentAddressMismatch() -> [UInt8] {
        kernelWith { $0.headers[1].physicalAddress = $0.headers[1].virtualAddress }
    }

    /// A kernel linked at `UK_KERNEL_VIRT_BASE + 1 MiB`, below the kernel window at 2 MiB.
    static func kernelBelowWindow() -> [UInt8] {
        kernelWith { elf in
            for i in 0..<2 {
                elf.headers[i].virtualAddress -= 0x10_0000
                elf.headers[i].physicalAddress -= 0x10_0000
            }
            elf.entry -= 0x10_0000
        }
    }

    /// Kernel header 1's .bss (8 MiB) runs past the end of the kernel window at 8 MiB.
    static func kernelPastWindow() -> [UInt8] { kernelWith { $0.headers[1].memorySize = 0x80_0000 } }

    // MARK: Helpers

    /// `staticExecutable()` changed by `change`, as bytes.
    static func with(_ change: (inout ELFBuilder) -> Void) -> [UInt8] {
        var elf = staticExecutable()
        change(&elf)
        return elf.bytes()
    }

    /// `kernel()` changed by `change`, as bytes.
    static func kernelWith(_ change: (inout ELFBuilder) -> Void) -> [UInt8] {
        var elf = kernel()
        change(&elf)
        return elf.bytes()
    }
}
