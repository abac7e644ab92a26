import Testing

@testable import Hypervisor

extension LoaderTests {
    /// Inputs the ELF loader fuzzer (`make fuzz`, Tests/Fuzz/) found, each pinned after its fix.
    @Suite("ELF loader fuzz regressions")
    struct FuzzRegressionTests {
        /// `MalformedELF.dynamicallyLinked()` with a newline and an ESC inside the `PT_INTERP`
        /// string (file offset 0x3000): bytes from the file must not break the one-line message
        /// or reach the terminal as control characters.
        static func interpreterWithControlCharacters() -> [UInt8] {
            var bytes = MalformedELF.dynamicallyLinked()
            bytes[0x3000 + 6] = 0x0a  // "/lib64\n"
            bytes[0x3000 + 7] = 0x1b  // ESC
            bytes[0x3000 + 8] = 0xc2  // first byte of U+0085 (NEXT LINE) ...
            bytes[0x3000 + 9] = 0x85  // ... and its second
            return bytes
        }

        @Test func keepsDynamicallyLinkedMessageOnOneLineWhateverTheInterpreterBytes() {
            do {
                _ = try ApplicationImage.plan(
                    bytes: Self.interpreterWithControlCharacters(), path: "app.elf", loadBias: 0,
                    maxImageSize: 64 << 20)
                Issue.record("a program with PT_INTERP was accepted")
            } catch {
                #expect(error == .dynamicallyLinked(path: "app.elf", index: 4, interpreter: "/lib64????linux-x86-64.so.2"))
                let printable = error.description.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7f }
                #expect(printable, "not one line of printable ASCII: \(error.description)")
            }
        }
    }
}
