import Foundation

extension FixtureCatalog {
    /// The catalog without the fixtures (and rejected sources) whose ids are in `ids`: what an
    /// interrupted run has already passed (`--skip-list`).
    public func excluding(_ ids: Set<String>) -> FixtureCatalog {
        guard !ids.isEmpty else { return self }
        return FixtureCatalog(fixtures: fixtures.filter { !ids.contains($0.id) },
                              rejected: rejected.filter { !ids.contains($0.id) }, libraries: libraries)
    }

    /// The ids listed in a skip list: one per line; blank lines and `#` comments are ignored.
    public static func skipList(parsing text: String) -> Set<String> {
        var ids = Set<String>()
        for line in text.split(whereSeparator: \.isNewline) {
            let id = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            if !id.isEmpty { ids.insert(id) }
        }
        return ids
    }
}
