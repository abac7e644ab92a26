import Testing
@testable import KernelLogic

@Suite("/proc text formatting")
struct ProcTextTests {
    private func string(_ text: Text) -> String { String(decoding: text.bytes, as: UTF8.self) }

    @Test("numbers as Linux's %*lu, %0*lx, %o and %02lu print them")
    func numbers() {
        var text = Text()
        text.append(decimal: 940, width: 8)
        text.append(" kB|")
        text.append(hex: 0x200, width: 16)
        text.append("|")
        text.append(octal: 0o22, width: 4)
        text.append("|")
        text.append(signed: -1)
        text.append("|")
        text.append(decimal: 58242)
        text.append(".")
        text.append(hundredths: 5)
        #expect(string(text) == "     940 kB|0000000000000200|0022|-1|58242.05")
        var wide = Text()
        wide.append(decimal: 123_456_789, width: 3)
        wide.append(hex: UInt64.max)
        #expect(string(wide) == "123456789ffffffffffffffff")
    }

    @Test("padding reaches a column of the current line only, as maps' and limits' columns")
    func padding() {
        var text = Text()
        text.append("first line that is long\n")
        text.append("Max open files")
        text.pad(toColumn: 26)
        text.append("1024")
        text.pad(toColumn: 3)
        #expect(string(text) == "first line that is long\nMax open files            1024")
    }

    @Test("a name that is a number: decimal digits only, no sign, no overflow")
    func parsing() {
        #expect(Text.number(Array("4194304".utf8)) == 4_194_304)
        #expect(Text.number(Array("0".utf8)) == 0)
        #expect(Text.number(Array("self".utf8)) == nil)
        #expect(Text.number(Array("+1".utf8)) == nil)
        #expect(Text.number([]) == nil)
        #expect(Text.number(Array("99999999999999999999".utf8)) == nil)
    }
}
