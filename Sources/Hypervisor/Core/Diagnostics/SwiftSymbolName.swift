import Glibc

/// Readable names for the kernel's Swift symbols in kernel-bug reports:
/// `$e9Unikernel12FileSyscallsO8transfer...` becomes `FileSyscalls.transfer(fd:buffer:count:offset:write:)`.
public enum SwiftSymbolName {
    /// The name as a person would write it: demangled by the Swift runtime, without the module
    /// prefix, private-name discriminators and parameter types; `symbol` itself when it is
    /// not a Swift name (`memcpy`, assembly labels).
    public static func readable(_ symbol: String) -> String {
        guard symbol.hasPrefix("$e") || symbol.hasPrefix("$s") || symbol.hasPrefix("_$s"),
              let full = demangle(symbol) else { return symbol }
        return simplify(full)
    }

    /// The Swift runtime's full demangling, or nil when `symbol` does not demangle.
    static func demangle(_ symbol: String) -> String? {
        let result = symbol.withCString { swiftDemangle($0, strlen($0), nil, nil, 0) }
        guard let result else { return nil }
        defer { free(result) }
        return String(cString: result)
    }

    /// `static Unikernel.FileSyscalls.(transfer in _E735...)(fd: Swift.Int, ...) throws(...) -> Swift.Int`
    /// becomes `FileSyscalls.transfer(fd:...)`. Names that are not a plain function (closures,
    /// specialisations) keep their demangled text, only shortened.
    static func simplify(_ full: String) -> String {
        var text = full
        if text.hasPrefix("static ") { text.removeFirst("static ".count) }
        text = removingDiscriminators(text)
        for module in ["Unikernel.", "Swift."] { text = text.replacing(module, with: "") }
        guard let open = text.firstIndex(of: "("), !text[..<open].contains(" "),
              let close = matchingParenthesis(in: text, from: open) else { return text }
        let parameters = splitTopLevel(text[text.index(after: open)..<close])
        let labels = parameters.map { parameter -> String in
            let label = parameter.split(separator: ":", maxSplits: 1).first.map(String.init) ?? "_"
            return label.trimmingSpaces + ":"
        }
        return String(text[..<open]) + "(" + labels.joined() + ")"
    }

    /// `(name in _E735...)` → `name`: private declarations carry their file's discriminator.
    static func removingDiscriminators(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "(") {
            let after = rest[rest.index(after: open)...]
            if let inRange = after.firstRange(of: " in _"), let close = after.firstIndex(of: ")"), inRange.lowerBound < close,
               !after[..<inRange.lowerBound].contains(where: { $0 == " " || $0 == "(" }) {
                result += rest[..<open] + after[..<inRange.lowerBound]
                rest = after[after.index(after: close)...]
            } else {
                result += rest[...open]
                rest = after
            }
        }
        return result + rest
    }

    private static func matchingParenthesis(in text: String, from open: String.Index) -> String.Index? {
        var depth = 0
        var index = open
        while index < text.endIndex {
            switch text[index] {
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// The comma-separated parts of a parameter list, commas inside brackets left alone.
    private static func splitTopLevel(_ list: Substring) -> [String] {
        guard !list.allSatisfy({ $0 == " " }) else { return [] }
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in list {
            switch character {
            case "(", "[", "<": depth += 1
            case ")", "]", ">": depth -= 1
            case "," where depth == 0:
                parts.append(current)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        parts.append(current)
        return parts
    }
}

private extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// The Swift runtime's demangler (exported by the standard library on Linux); `flags` must be 0.
/// Returns a malloc'ed C string the caller frees, or nil.
@_silgen_name("swift_demangle")
private func swiftDemangle(_ mangledName: UnsafePointer<CChar>?, _ mangledNameLength: Int,
                           _ outputBuffer: UnsafeMutablePointer<CChar>?, _ outputBufferSize: UnsafeMutablePointer<Int>?,
                           _ flags: UInt32) -> UnsafeMutablePointer<CChar>?
