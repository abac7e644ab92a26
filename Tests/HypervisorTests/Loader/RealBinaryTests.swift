import Foundation
import Testing

@testable import Hypervisor

extension LoaderTests {
    /// Plans binaries that real toolchains produce (gcc, musl-gcc), built into a temporary
    /// directory. The expectations come from the sources, not from `readelf`: the bytes at the
    /// entry point are the instructions we wrote, strings we put in .data are in the image, and
    /// AT_PHDR points at a copy of the file's program header table.
    /// Each test is skipped, saying so, when its compiler is not installed.
    @Suite("Real static binaries")
    struct RealBinaryTests {
        /// `_start` exits with status 0 (the same instructions as `MalformedELF.exitCode`);
        /// .data holds a marker string; .bss holds 8 KiB.
        static let assemblySource = """
            .globl _start
            .text
            _start:
                mov $60, %eax
                xor %edi, %edi
                syscall
            .data
            marker: .ascii "loader-test-marker"
            .bss
            .lcomm buffer, 8192

            """

        static let helloSource = """
            #include <stdio.h>
            int main(void) { puts("hello from the loader test"); return 0; }

            """

        @Test(.enabled(if: Toolchain.has("gcc"), "gcc not installed: cannot build the assembly program"))
        func plansNostdlibAssemblyProgram() throws {
            let program = try Toolchain.build(
                compiler: "gcc", flags: ["-nostdlib", "-static"], source: Self.assemblySource, extension: "S")
            let image = try ApplicationImage.plan(bytes: program, path: "asm", loadBias: 0, maxImageSize: 64 << 20)
            #expect(image.elfType == ELF.typeExecutable)
            #expect(image.loadBias == 0)
            let flat = image.materialized()
            let entryOffset = Int(image.entry - image.imageVirtualAddress)
            #expect(Array(flat[entryOffset..<(entryOffset + 9)]) == MalformedELF.exitCode)
            #expect(image.segments.contains { $0.isExecutable && $0.contains(image.entry) })
            let data = try #require(image.segments.first { $0.isWritable })
            #expect(data.memorySize >= data.fileSize + 8192)  // .bss
            #expect(Self.find(Array("loader-test-marker".utf8), in: flat) != nil)
            try Self.expectProgramHeaderTable(of: image, file: program, in: flat)
        }

        @Test(.enabled(if: Toolchain.has("gcc"), "gcc not installed: cannot build a glibc static program"))
        func plansGlibcStaticHello() throws {
            let program = try Toolchain.build(compiler: "gcc", flags: ["-static"], source: Self.helloSource, extension: "c")
            try Self.expectHello(program, loadBias: 0, type: ELF.typeExecutable)
        }

        @Test(.enabled(if: Toolchain.has("gcc"), "gcc not installed: cannot build a glibc static-pie program"))
        func plansGlibcStaticPIEHelloAtLoadBias() throws {
            let program = try Toolchain.build(compiler: "gcc", flags: ["-static-pie"], source: Self.helloSource, extension: "c")
            let image = try Self.expectHello(program, loadBias: 0x5555_5555_4000, type: ELF.typeShared)
            #expect(image.imageVirtualAddress >= 0x5555_5555_4000)
        }

        @Test(.enabled(if: Toolchain.has("musl-gcc"), "musl-gcc not installed: cannot build a musl static program"))
        func plansMuslStaticHello() throws {
            let program = try Toolchain.build(compiler: "musl-gcc", flags: ["-static"], source: Self.helloSource, extension: "c")
            try Self.expectHello(program, loadBias: 0x5555_5555_4000, type: nil)
        }

        @Test(.enabled(if: Toolchain.has("gcc"), "gcc not installed: cannot build a dynamically linked program"))
        func rejectsGlibcDynamicHello() throws {
            let program = try Toolchain.build(compiler: "gcc", flags: [], source: Self.helloSource, extension: "c")
            #expect {
                _ = try ApplicationImage.plan(bytes: program, path: "dynamic", loadBias: 0x5555_5555_4000, maxImageSize: 64 << 20)
            } throws: { error in
                guard case .dynamicallyLinked(_, _, let interpreter) = error as? ELFLoadError else { return false }
                return interpreter.contains("ld-linux")
            }
        }

        @Test(.enabled(if: Toolchain.has("gcc") && FileManager.default.fileExists(atPath: "/lib64/ld-linux-x86-64.so.2"),
                       "gcc or glibc's dynamic linker missing: cannot build and load a dynamically linked program"))
        func plansGlibcDynamicHelloWithItsInterpreterAfterIt() throws {
            let bytes = try Toolchain.build(compiler: "gcc", flags: [], source: Self.helloSource, extension: "c")
            let program = try ApplicationImage.plan(bytes: bytes, path: "dynamic", loadBias: 0x5555_5555_4000,
                                                    maxImageSize: 256 << 20, allowInterpreter: true)
            #expect(program.interpreterPath == Array("/lib64/ld-linux-x86-64.so.2".utf8))
            let loader = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "/lib64/ld-linux-x86-64.so.2")))
            let base = ProgramImage.interpreterBase(after: program)
            let interpreter = try ApplicationImage.plan(bytes: loader, path: "ld.so", loadBias: base, maxImageSize: 256 << 20)
            let image = try ProgramImage(program: program, interpreter: interpreter, maxImageSize: 256 << 20)
            #expect(base == program.imageVirtualAddress + program.imageSize + ProgramImage.interpreterGap)
            #expect(image.interpreterBase == base)
            #expect(image.startAddress == interpreter.entry && image.startAddress != program.entry)
            #expect(image.segments.count == program.segments.count + interpreter.segments.count)
            #expect(image.imageSize == interpreter.imageVirtualAddress + interpreter.imageSize - program.imageVirtualAddress)
            var flat = [UInt8](repeating: 0xAA, count: Int(image.imageSize))
            flat.withUnsafeMutableBytes { image.materialize(into: $0) }
            // The program's bytes first, then zeros up to the interpreter, then its bytes.
            #expect(Array(flat[0..<Int(program.imageSize)]) == program.materialized())
            #expect(flat[Int(program.imageSize)..<Int(base - program.imageVirtualAddress)].allSatisfy { $0 == 0 })
            let start = Int(interpreter.imageVirtualAddress - program.imageVirtualAddress)
            #expect(Array(flat[start...]) == interpreter.materialized())
            // Too little memory for both is the image's size, not a crash.
            #expect(throws: ELFLoadError.self) {
                _ = try ProgramImage(program: program, interpreter: interpreter, maxImageSize: program.imageSize)
            }
        }

        /// A kernel entry in `.text.entry` (`hlt; jmp uk_entry`), 8 bytes of .data, 16 KiB of .bss.
        static let kernelSource = """
                .section .text.entry, "ax"
                .globl uk_entry
            uk_entry:
                hlt
                jmp uk_entry
                .data
                .quad 0x1122334455667788
                .bss
                .lcomm stack, 16384

            """

        /// The shape of `Sources/Unikernel/Arch/kernel.ld`: linked at UK_KERNEL_VIRT_BASE + 2 MiB,
        /// loaded at 2 MiB through `AT()`.
        static let kernelLinkerScript = """
            ENTRY(uk_entry)
            PHDRS { text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); }
            SECTIONS {
                . = 0xffffffff80200000;
                .text : AT(ADDR(.text) - 0xffffffff80000000) { KEEP(*(.text.entry)) *(.text .text.*) } :text
                . = ALIGN(4096);
                .data : AT(ADDR(.data) - 0xffffffff80000000) { *(.data .data.*) } :data
                .bss (NOLOAD) : AT(ADDR(.bss) - 0xffffffff80000000) { *(.bss .bss.*) *(COMMON) } :data
                /DISCARD/ : { *(.note*) *(.comment) *(.eh_frame*) }
            }

            """

        @Test(.enabled(if: Toolchain.has("gcc"), "gcc not installed: cannot link a kernel with a linker script"))
        func plansKernelLinkedInTheHigherHalf() throws {
            let kernelFile = try Toolchain.build(
                compiler: "gcc", flags: ["-nostdlib", "-static", "-no-pie", "-Wl,--build-id=none"],
                source: Self.kernelSource, extension: "S",
                extraFiles: ["kernel.ld": Self.kernelLinkerScript], extraFlags: ["-Wl,-T,kernel.ld"])
            let kernel = try KernelImage.plan(bytes: kernelFile, path: "kernel")
            #expect(kernel.entry == 0xffff_ffff_8020_0000)
            #expect(kernel.physicalStart == 0x20_0000)
            #expect(kernel.physicalEnd == 0x20_6000)  // .data page + 16 KiB .bss, rounded up
            var memory = [UInt8](repeating: 0xcc, count: 0x80_0000)
            try memory.withUnsafeMutableBytes { try kernel.write(into: $0) }
            #expect(Array(memory[0x20_0000..<0x20_0003]) == [0xf4, 0xeb, 0xfd])
            #expect(Array(memory[0x20_1000..<0x20_1008]) == [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
            #expect(memory[0x20_1008..<0x20_5008].allSatisfy { $0 == 0 })
        }

        /// Plans a hello program and checks what every libc start-up relies on.
        @discardableResult
        static func expectHello(_ program: [UInt8], loadBias: UInt64, type: UInt16?) throws -> ApplicationImage {
            let image = try ApplicationImage.plan(bytes: program, path: "hello", loadBias: loadBias, maxImageSize: 64 << 20)
            if let type { #expect(image.elfType == type) }
            #expect(image.segments.contains { $0.isExecutable && $0.contains(image.entry) })
            #expect(image.segments.contains { $0.isWritable && $0.memorySize > $0.fileSize })
            let flat = image.materialized()
            #expect(find(Array("hello from the loader test".utf8), in: flat) != nil)
            try expectProgramHeaderTable(of: image, file: program, in: flat)
            return image
        }

        /// AT_PHDR must point at the program header table as mapped in memory.
        static func expectProgramHeaderTable(of image: ApplicationImage, file: [UInt8], in flat: [UInt8]) throws {
            try #require(image.phdrVirtualAddress != 0)
            let file = try ELFFile(bytes: file, path: "program")
            let size = Int(image.programHeaderCount) * Int(image.programHeaderEntrySize)
            let inFile = Array(file.bytes[Int(file.programHeaderOffset)..<(Int(file.programHeaderOffset) + size)])
            let at = Int(image.phdrVirtualAddress - image.imageVirtualAddress)
            #expect(Array(flat[at..<(at + size)]) == inFile)
        }

        static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
            guard let first = needle.first, haystack.count >= needle.count else { return nil }
            var index = 0
            while index <= haystack.count - needle.count {
                if haystack[index] == first, Array(haystack[index..<(index + needle.count)]) == needle { return index }
                index += 1
            }
            return nil
        }
    }
}

extension LoaderTests {
    /// Finds compilers on PATH and builds one-file programs with them.
    enum Toolchain {
        static func path(of tool: String) -> String? {
            let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            return directories.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }

        static func has(_ tool: String) -> Bool { path(of: tool) != nil }

        struct BuildFailed: Error, CustomStringConvertible {
            let description: String
        }

        /// Writes `source` to a fresh temporary directory, compiles it and returns the program's bytes.
        /// `extraFiles` are written next to the source; `extraFlags` come after the source file and
        /// run in that directory (for linker scripts).
        static func build(
            compiler: String, flags: [String], source: String, extension ext: String,
            extraFiles: [String: String] = [:], extraFlags: [String] = []
        ) throws -> [UInt8] {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("loader-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let sourceURL = directory.appendingPathComponent("program.\(ext)")
            let outputURL = directory.appendingPathComponent("program")
            try source.write(to: sourceURL, atomically: true, encoding: .utf8)
            for (name, contents) in extraFiles {
                try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }

            let process = Process()
            process.executableURL = URL(fileURLWithPath: path(of: compiler) ?? compiler)
            process.arguments = flags + ["-o", outputURL.path, sourceURL.path] + extraFlags
            process.currentDirectoryURL = directory
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            let message = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw BuildFailed(
                    description: "\(compiler) \(flags.joined(separator: " ")) failed: "
                        + String(decoding: message, as: UTF8.self))
            }
            return Array(try Data(contentsOf: outputURL))
        }
    }
}
