import Testing
import UnikernelABI

@testable import Hypervisor

/// Placing kernel, application image and arguments in guest-physical memory.
@Suite("Guest layout")
struct GuestLayoutTests {
    @Test func placesPiecesInOrderAfterTheKernel() throws {
        let layout = try GuestLayout(memorySize: 64 << 20, kernelEnd: 0x21_0123, imageSize: 0x5000,
                                     argumentBytes: 100, segmentCount: 2)
        #expect(layout.applicationImage == 0x21_1000)
        #expect(layout.arguments == 0x21_6000)
        #expect(layout.segmentTable == 0x21_6068)
        #expect(layout.cpuTables == 0x21_7000)
        #expect(layout.freeStart == 0x21_7000 + UK_CPU_TABLES_SIZE)
    }

    @Test func refusesImageLargerThanMemory() {
        #expect(throws: LayoutError.self) {
            try GuestLayout(memorySize: 16 << 20, kernelEnd: 0x30_0000, imageSize: 15 << 20, argumentBytes: 10, segmentCount: 1)
        }
    }

    @Test func refusesOversizedArguments() {
        #expect(throws: LayoutError.argumentsTooLarge(bytes: 3 << 20, limit: 2 << 20)) {
            try GuestLayout(memorySize: 64 << 20, kernelEnd: 0x30_0000, imageSize: 0x1000, argumentBytes: 3 << 20, segmentCount: 1)
        }
    }

    @Test func validatesMemorySizes() {
        #expect(throws: LayoutError.self) { try GuestLayout.validate(memorySize: 1 << 20) }
        #expect(throws: LayoutError.self) { try GuestLayout.validate(memorySize: (64 << 20) + 4096) }
        #expect(throws: Never.self) { try GuestLayout.validate(memorySize: 64 << 20) }
    }

    @Test func packsArgumentStringsInBootOrder() {
        let block = ArgumentBlock(arguments: ["./a", "x"], environment: ["K=V"], executableName: "./a", executablePath: "/w/a")
        #expect(block.bytes == Array("./a\0x\0K=V\0./a\0/w/a\0\0".utf8))
        let dynamic = ArgumentBlock(arguments: ["a"], environment: [], executableName: "a", executablePath: "/w/a",
                                    interpreterPath: Array("/lib/ld.so".utf8))
        #expect(dynamic.bytes == Array("a\0a\0/w/a\0/lib/ld.so\0".utf8))
    }

    @Test func parsesMemorySizes() {
        #expect(MemorySize.parse("64M") == 64 << 20)
        #expect(MemorySize.parse("1g") == 1 << 30)
        #expect(MemorySize.parse("512MiB") == 512 << 20)
        #expect(MemorySize.parse("4096") == 4096)
        #expect(MemorySize.parse("lots") == nil)
        #expect(MemorySize.parse("99999999999999999999G") == nil)
    }
}
