/// The `#!` line of a script, as Linux's binfmt_script reads it from the file's first bytes:
/// the interpreter is the path up to the first blank; the rest of the line, blanks around it
/// removed, is one optional argument. Free of kernel state, so that it is unit-tested on the
/// host (Tests/KernelLogicTests).
enum ScriptInterpreter {
    static let tab = UInt8(ascii: "\t"), space = UInt8(ascii: " "), newline = UInt8(ascii: "\n")

    /// The interpreter and its optional argument; nil when `head` is no `#!` line or names no
    /// interpreter.
    static func parse(_ head: [UInt8]) -> (interpreter: [UInt8], argument: [UInt8]?)? {
        guard head.starts(with: [UInt8(ascii: "#"), UInt8(ascii: "!")]) else { return nil }
        var line = Array(head.dropFirst(2))
        if let end = line.firstIndex(of: newline) { line = Array(line[..<end]) }
        func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab }
        while let first = line.first, isBlank(first) { line.removeFirst() }
        while let last = line.last, isBlank(last) { line.removeLast() }
        guard !line.isEmpty else { return nil }
        guard let split = line.firstIndex(where: isBlank) else { return (line, nil) }
        var argument = Array(line[split...])
        while let first = argument.first, isBlank(first) { argument.removeFirst() }
        return (Array(line[..<split]), argument.isEmpty ? nil : argument)
    }
}
