/// The ELF64 numbers the loaders check, named as in `<elf.h>` and the System V gABI.
///
/// Only what the loaders need is here; everything is host-side, so nothing is
/// shared with the guest through `unikernel_abi.h`.
public enum ELF {
    /// `\x7fELF`, the first four bytes of every ELF file.
    public static let magic: [UInt8] = [0x7f, 0x45, 0x4c, 0x46]

    // e_ident indices and values.
    public static let identClass = 4
    public static let identData = 5
    public static let identVersion = 6
    public static let classELF64: UInt8 = 2
    public static let dataLittleEndian: UInt8 = 1
    public static let versionCurrent: UInt8 = 1

    // e_type.
    public static let typeRelocatable: UInt16 = 1  // ET_REL
    public static let typeExecutable: UInt16 = 2  // ET_EXEC
    public static let typeShared: UInt16 = 3  // ET_DYN (also static-pie)
    public static let typeCore: UInt16 = 4  // ET_CORE

    // e_machine.
    public static let machineX86_64: UInt16 = 62  // EM_X86_64

    // p_type.
    public static let programLoad: UInt32 = 1  // PT_LOAD
    public static let programDynamic: UInt32 = 2  // PT_DYNAMIC
    public static let programInterpreter: UInt32 = 3  // PT_INTERP
    public static let programNote: UInt32 = 4  // PT_NOTE
    public static let programHeaderTable: UInt32 = 6  // PT_PHDR
    public static let programTLS: UInt32 = 7  // PT_TLS

    // p_flags.
    public static let flagExecute: UInt32 = 1  // PF_X
    public static let flagWrite: UInt32 = 2  // PF_W
    public static let flagRead: UInt32 = 4  // PF_R

    /// Size of the ELF64 file header (`Elf64_Ehdr`).
    public static let fileHeaderSize = 64
    /// Size of one ELF64 program header (`Elf64_Phdr`); `e_phentsize` must equal it.
    public static let programHeaderSize = 56
    /// The most program headers the loaders accept. Static binaries carry about a dozen
    /// (glibc static: 10, musl static: 8); 128 leaves ample room while bounding the work a
    /// hostile file can cause, and also rejects `PN_XNUM` (0xffff) extended numbering.
    public static let maxProgramHeaders = 128

    /// The loaders' page size: `UK_PAGE_SIZE`, the x86-64 base page.
    public static let pageSize: UInt64 = 4096

    /// The lowest address an application segment may occupy: Linux's default
    /// `vm.mmap_min_addr` (64 KiB), so that page 0 and its neighbours stay unmapped and
    /// NULL dereferences fault.
    public static let minimumUserAddress: UInt64 = 0x1_0000
    /// One past the highest user address: the start of the non-canonical hole.
    /// Everything at or above it belongs to the kernel's half of the address space.
    public static let userAddressLimit: UInt64 = 0x0000_8000_0000_0000

    /// `ET_EXEC`, `ET_DYN`, ... for messages.
    static func typeName(_ type: UInt16) -> String {
        switch type {
        case 0: return "ET_NONE"
        case typeRelocatable: return "ET_REL"
        case typeExecutable: return "ET_EXEC"
        case typeShared: return "ET_DYN"
        case typeCore: return "ET_CORE"
        default: return "unknown type"
        }
    }

    /// `EM_...` names of the machines a wrong binary most likely targets, for messages.
    static func machineName(_ machine: UInt16) -> String {
        switch machine {
        case 3: return "EM_386"
        case 40: return "EM_ARM"
        case 62: return "EM_X86_64"
        case 183: return "EM_AARCH64"
        case 243: return "EM_RISCV"
        default: return "unknown machine"
        }
    }

    /// `PT_LOAD`, `PT_INTERP`, ... for messages.
    static func programTypeName(_ type: UInt32) -> String {
        switch type {
        case 0: return "PT_NULL"
        case programLoad: return "PT_LOAD"
        case programDynamic: return "PT_DYNAMIC"
        case programInterpreter: return "PT_INTERP"
        case programNote: return "PT_NOTE"
        case 5: return "PT_SHLIB"
        case programHeaderTable: return "PT_PHDR"
        case programTLS: return "PT_TLS"
        case 0x6474_e550: return "PT_GNU_EH_FRAME"
        case 0x6474_e551: return "PT_GNU_STACK"
        case 0x6474_e552: return "PT_GNU_RELRO"
        case 0x6474_e553: return "PT_GNU_PROPERTY"
        default: return "type 0x" + String(type, radix: 16)
        }
    }
}

extension ELF {
    /// Lowercase hex with a `0x` prefix, the form every loader message uses for offsets and addresses.
    static func hex<T: BinaryInteger>(_ value: T) -> String {
        "0x" + String(value, radix: 16)
    }

    /// Rounds down to a page boundary (never overflows).
    static func pageAlignDown(_ value: UInt64) -> UInt64 {
        value & ~(ELF.pageSize - 1)
    }

    /// Rounds up to a page boundary, or nil if that wraps past 2^64.
    static func pageAlignUp(_ value: UInt64) -> UInt64? {
        let (sum, overflow) = value.addingReportingOverflow(ELF.pageSize - 1)
        return overflow ? nil : pageAlignDown(sum)
    }
}
