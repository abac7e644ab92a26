import Foundation
import Testing

@testable import Hypervisor

/// The kernel's addresses the runner reads from its `Unikernel` note at every start.
@Suite("Kernel symbols note")
struct KernelSymbolsTests {
    /// The built kernel's note names the same addresses as its symbol table.
    @Test func noteMatchesTheSymbolTable() throws {
        let path = BuiltTools.packageRoot.appendingPathComponent(".build/release/unikernel.elf").path
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("\(path) is missing: run `make` first")
            return
        }
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let file = try ELFFile(bytes: bytes, path: path)
        let note = try #require(KernelSymbols.note(in: file))
        let table = ELFSymbols.addresses(of: KernelSymbols.required + KernelSymbols.optional, in: file.bytes)
        #expect(note.exception_stubs == table["uk_exception_stubs"])
        #expect(note.syscall_entry == table["uk_syscall_entry"])
        #expect(note.kernel_stack_top == table["uk_kernel_stack_top"])
        #expect(note.host_signals == table["uk_host_signals"])
        #expect(note.host_signal_senders == table["uk_host_signal_senders"])
        #expect(try KernelSymbols(kernel: file).syscallEntry == note.syscall_entry)
    }

    /// A kernel without the note (the loader tests' sample) is looked up in its symbol table,
    /// and one without either is refused by name.
    @Test func withoutTheNoteTheSymbolTableIsUsed() throws {
        let file = try ELFFile(bytes: MalformedELF.kernel().bytes(), path: "kernel.elf")
        #expect(KernelSymbols.note(in: file) == nil)
        #expect(throws: ELFLoadError.self) { try KernelSymbols(kernel: file) }
    }
}
