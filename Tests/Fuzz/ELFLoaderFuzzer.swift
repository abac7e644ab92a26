// libFuzzer target for the ELF loader (Sources/Hypervisor/Core/Loader), built by
// Tests/Fuzz/run-fuzzer.sh (`make fuzz`) together with the Loader sources as one module:
//
//   swiftc -sanitize=fuzzer,address -parse-as-library -O -I Sources/Hypervisor/ABI/include \
//       Sources/Hypervisor/Core/Loader/*.swift Tests/Fuzz/ELFLoaderFuzzer.swift
//
// Every input is planned as an application (at a static-pie base and at a bias that makes
// addresses wrap) and as a kernel. A refusal must be a typed ELFLoadError whose message is
// one line naming the file; an accepted image is materialized into a buffer of exactly its
// size (AddressSanitizer catches any byte written outside it) and read back. Any trap,
// sanitizer report or broken invariant below is a crash.

/// The path every message must start with.
private let fuzzPath = "fuzz.elf"
/// Linux's static-pie base, what the runner passes.
private let pieBase: UInt64 = 0x5555_5555_4000
/// A page-aligned bias that makes any segment of a static-pie wrap past 2^64.
private let wrappingBias: UInt64 = 0xffff_ffff_ffff_f000
/// Guest memory offered to the image: small enough to keep accepted inputs cheap.
private let maxImageSize: UInt64 = 8 << 20

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzELFLoader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    for bias in [pieBase, wrappingBias] {
        do {
            let image = try ApplicationImage.plan(
                bytes: bytes, path: fuzzPath, loadBias: bias, maxImageSize: maxImageSize)
            check(image, bytes: bytes)
        } catch {
            check(error)
        }
    }
    do {
        check(try KernelImage.plan(bytes: bytes, path: fuzzPath), bytes: bytes)
    } catch {
        check(error)
    }
    return 0
}

/// A refusal: one line, `"<path>: <problem>"`, as the runner prints it.
private func check(_ error: ELFLoadError) {
    let message = error.description
    require(error.path == fuzzPath && message.hasPrefix(fuzzPath + ": "), "message does not name the file: \(message)")
    require(!error.problem.isEmpty, "empty problem for \(error)")
    require(!message.contains(where: \.isNewline), "message is not one line: \(message)")
}

/// An accepted application: the plan's promises hold and materializing writes exactly them.
private func check(_ image: ApplicationImage, bytes: [UInt8]) {
    require(image.imageSize > 0 && image.imageSize <= maxImageSize, "image size \(image.imageSize)")
    require(image.imageVirtualAddress % ELF.pageSize == 0 && image.imageSize % ELF.pageSize == 0, "unaligned image")
    require(image.imageVirtualAddress >= ELF.minimumUserAddress, "image below mmap_min_addr")
    require(image.initialBreak <= ELF.userAddressLimit, "image reaches the kernel half")
    require(image.segments.contains { $0.isExecutable && $0.contains(image.entry) }, "entry not executable")
    for segment in image.segments {
        require(segment.fileSize <= segment.memorySize, "filesz > memsz")
        require(segment.fileOffset + segment.fileSize <= UInt64(bytes.count), "file bytes outside the file")
        require(
            segment.virtualAddress >= image.imageVirtualAddress && segment.endAddress <= image.initialBreak,
            "segment outside the image")
    }

    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(image.imageSize), alignment: 4096)
    defer { buffer.deallocate() }
    image.materialize(into: buffer)
    for segment in image.segments {
        let start = Int(segment.virtualAddress - image.imageVirtualAddress)
        let fileBytes = Int(segment.fileSize)
        let file = bytes[Int(segment.fileOffset)..<(Int(segment.fileOffset) + fileBytes)]
        require(buffer[start..<(start + fileBytes)].elementsEqual(file), "segment bytes not copied")
    }
}

/// An accepted kernel: inside its window, written exactly where planned, refused by a short buffer.
private func check(_ kernel: KernelImage, bytes: [UInt8]) {
    require(kernel.physicalStart >= ELF.kernelPhysicalBase, "kernel below its window")
    require(kernel.physicalEnd <= ELF.kernelPhysicalLimit, "kernel past its window")
    require(kernel.segments.contains { $0.isExecutable && $0.contains(kernel.entry) }, "entry not executable")

    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(kernel.physicalEnd), alignment: 4096)
    defer { buffer.deallocate() }
    do {
        try kernel.write(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(buffer.count - 1)]))
        require(false, "a buffer one byte short of physicalEnd was accepted")
    } catch {
        check(error)
    }
    do {
        try kernel.write(into: buffer)
    } catch {
        require(false, "write into physicalEnd bytes failed: \(error)")
    }
    for segment in kernel.segments {
        let start = Int(segment.physicalAddress)
        let fileBytes = Int(segment.fileSize)
        let file = bytes[Int(segment.fileOffset)..<(Int(segment.fileOffset) + fileBytes)]
        require(buffer[start..<(start + fileBytes)].elementsEqual(file), "kernel segment bytes not copied")
        require(
            buffer[(start + fileBytes)..<(start + Int(segment.memorySize))].allSatisfy { $0 == 0 },
            "kernel .bss not zeroed")
    }
}

/// Crashes with `message` (libFuzzer then saves the input) unless `condition` holds.
private func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("ELF loader invariant broken: \(message())") }
}
