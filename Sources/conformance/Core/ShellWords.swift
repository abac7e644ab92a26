/// Splits a directive value into words the way a POSIX shell does, without expansions:
/// whitespace separates words, `'...'` is literal, `"..."` allows `\"` and `\\`, and a
/// backslash outside quotes escapes the next character.
public enum ShellWords {
    /// Why a value could not be split.
    public struct SyntaxError: Error, Equatable { public var reason: String }

    public static func split(_ text: String) throws(SyntaxError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            switch character {
            case " ", "\t":
                if inWord { words.append(current); current = ""; inWord = false }
            case "'":
                inWord = true
                while true {
                    guard let next = iterator.next() else { throw SyntaxError(reason: "unterminated '") }
                    if next == "'" { break }
                    current.append(next)
                }
            case "\"":
                inWord = true
                while true {
                    guard let next = iterator.next() else { throw SyntaxError(reason: "unterminated \"") }
                    if next == "\"" { break }
                    if next == "\\" {
                        guard let escaped = iterator.next() else { throw SyntaxError(reason: "unterminated \"") }
                        if escaped != "\"" && escaped != "\\" { current.append("\\") }
                        current.append(escaped)
                    } else {
                        current.append(next)
                    }
                }
            case "\\":
                guard let escaped = iterator.next() else { throw SyntaxError(reason: "trailing backslash") }
                inWord = true
                current.append(escaped)
            default:
                inWord = true
                current.append(character)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
