import UnikernelABI

/// Builds the application's initial stack exactly like Linux's
/// `create_elf_tables` (fs/binfmt_elf.c) with address randomisation off.
/// From the top: 8 zero bytes, the AT_EXECFN string, the env strings, the
/// argv strings; then (16-byte aligned) "x86_64" and the 16 AT_RANDOM bytes;
/// below them auxv, envp + NULL, argv + NULL and argc, with %rsp 16-byte
/// aligned at argc.
struct InitialStack {
    // Auxiliary vector types (include/uapi/linux/auxvec.h).
    static let atNull: UInt64 = 0, atPhdr: UInt64 = 3, atPhent: UInt64 = 4, atPhnum: UInt64 = 5
    static let atPagesz: UInt64 = 6, atBase: UInt64 = 7, atFlags: UInt64 = 8, atEntry: UInt64 = 9
    static let atUid: UInt64 = 11, atEuid: UInt64 = 12, atGid: UInt64 = 13, atEgid: UInt64 = 14
    static let atPlatform: UInt64 = 15, atHwcap: UInt64 = 16, atClktck: UInt64 = 17
    static let atSecure: UInt64 = 23, atRandom: UInt64 = 25, atHwcap2: UInt64 = 26
    static let atExecfn: UInt64 = 31, atSysinfoEhdr: UInt64 = 33, atMinsigstksz: UInt64 = 51

    /// The argument strings from boot_info.args_phys: argc, then envc, then
    /// execfn, then the program's absolute host path.
    static func argumentStrings(_ info: uk_boot_info) -> [[UInt8]] {
        var strings: [[UInt8]] = []
        // argv, envp, then the executable's name and path and the interpreter's path.
        let total = Int(info.argc) + Int(info.envc) + 3
        let base = DirectMap.pointer(info.args_phys)
        var offset = 0
        var current: [UInt8] = []
        while strings.count < total && offset < Int(info.args_size) {
            // SAFETY: offset < args_size, the size of the host's argument area.
            let byte = base.load(fromByteOffset: offset, as: UInt8.self)
            offset += 1
            if byte == 0 {
                strings.append(current)
                current = []
            } else {
                current.append(byte)
            }
        }
        while strings.count < total { strings.append([]) }
        return strings
    }

    /// Where the initial stack put what /proc/<pid> shows of it: argv's and envp's strings
    /// ([start, end) each), the auxiliary vector's words, and %rsp at entry (Linux's start_stack).
    struct Layout {
        var argumentStart: UInt64 = 0
        var argumentEnd: UInt64 = 0
        var environmentStart: UInt64 = 0
        var environmentEnd: UInt64 = 0
        var auxiliaryVector: [UInt64] = []
        var stackStart: UInt64 = 0
    }

    /// Writes the stack below `top` and returns its layout (the application's initial %rsp is `stackStart`).
    static func build(top: UInt64, process: Process) throws(Errno) -> Layout {
        let info = process.bootInfo
        let strings = argumentStrings(info)
        let argc = Int(info.argc)
        let envc = Int(info.envc)

        var p = top - 8
        let execfn = strings[argc + envc]
        p -= UInt64(execfn.count + 1)
        let execfnAddress = p
        try UserMemory.copyOut(from: execfn + [0], to: p)

        var total = 0
        for index in 0..<(argc + envc) { total += strings[index].count + 1 }
        p -= UInt64(total)
        var pointers: [UInt64] = []
        var cursor = p
        var layout = Layout()
        layout.argumentStart = p
        for index in 0..<(argc + envc) {
            if index == argc { layout.argumentEnd = cursor; layout.environmentStart = cursor }
            pointers.append(cursor)
            try UserMemory.copyOut(from: strings[index] + [0], to: cursor)
            cursor += UInt64(strings[index].count + 1)
        }
        if envc == 0 { layout.argumentEnd = cursor; layout.environmentStart = cursor }
        layout.environmentEnd = cursor

        p &= ~15
        let platform: [UInt8] = [0x78, 0x38, 0x36, 0x5F, 0x36, 0x34, 0]  // "x86_64"
        p -= UInt64(platform.count)
        let platformAddress = p
        try UserMemory.copyOut(from: platform, to: p)

        p -= 16
        let randomAddress = p
        try UserMemory.store(info.random, to: p)

        var auxv: [UInt64] = process.vdsoBase == 0 ? [] : [atSysinfoEhdr, process.vdsoBase]
        auxv += [
            atMinsigstksz, CPUSetup.minimumSignalStackSize(process.features),
            atHwcap, process.bootInfo.hwcap != 0 ? process.bootInfo.hwcap : process.features.hwcap,
            atPagesz, UK_PAGE_SIZE,
            atClktck, 100,
            atPhdr, info.app_phdr_vaddr,
            atPhent, UInt64(info.app_phent),
            atPhnum, UInt64(info.app_phnum),
            atBase, info.interp_base,
            atFlags, 0,
            atEntry, info.app_entry,
            atUid, UInt64(info.uid),
            atEuid, UInt64(info.euid),
            atGid, UInt64(info.gid),
            atEgid, UInt64(info.egid),
            atSecure, 0,
            atRandom, randomAddress,
            atHwcap2, process.features.hwcap2,
            atExecfn, execfnAddress,
            atPlatform, platformAddress,
            atNull, 0,
        ]
        let items = (argc + 1) + (envc + 1) + 1
        var sp = (p - UInt64(auxv.count * 8) - UInt64(items * 8)) & ~15
        // Fault injection (--debug-fault misaligned-stack): the whole table one word
        // lower, so the layout stays valid but %rsp % 16 == 8 at _start.
        if process.bootInfo.flags & UK_BOOT_FAULT_MISALIGN_RSP != 0 { sp -= 8 }

        var words: [UInt64] = [UInt64(argc)]
        for index in 0..<argc { words.append(pointers[index]) }
        words.append(0)
        for index in argc..<(argc + envc) { words.append(pointers[index]) }
        words.append(0)
        words.append(contentsOf: auxv)
        try copyOut(words, to: sp)
        layout.auxiliaryVector = auxv
        layout.stackStart = sp
        return layout
    }

    private static func copyOut(_ words: [UInt64], to address: UInt64) throws(Errno) {
        var failure: Errno? = nil
        words.withUnsafeBytes { bytes in
            do throws(Errno) {
                try UserMemory.copyOut(from: bytes.baseAddress!, to: address, count: bytes.count)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }
}

extension UserMemory {
    /// Copies a byte array to the application.
    static func copyOut(from bytes: [UInt8], to address: UInt64) throws(Errno) {
        guard !bytes.isEmpty else { return }
        var failure: Errno? = nil
        bytes.withUnsafeBytes { buffer in
            do throws(Errno) {
                try copyOut(from: buffer.baseAddress!, to: address, count: buffer.count)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }
}
