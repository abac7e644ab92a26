/// One of `count` deterministic slices of the suite (`--shard index/count`, 1-based), so CI
/// can spread fixtures over machines: fixture `k` of the sorted catalog (rejected sources
/// included) belongs to shard `k % count + 1`. Every fixture is in exactly one shard.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 1-based.
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `i/n` with 1 ≤ i ≤ n; nil otherwise.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]),
              count >= 1, (1...count).contains(index) else { return nil }
        self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether the `position`-th id (0-based, in sorted order) belongs to this shard.
    func contains(position: Int) -> Bool {
        position % count == index - 1
    }
}

extension FixtureCatalog {
    /// The fixtures and rejected sources of one shard, by position in the sorted id list.
    public func sharded(_ shard: Shard?) -> FixtureCatalog {
        guard let shard else { return self }
        let ids = (fixtures.map(\.id) + rejected.map(\.id)).sorted()
        var keep = Set<String>()
        for (position, id) in ids.enumerated() where shard.contains(position: position) { keep.insert(id) }
        return FixtureCatalog(fixtures: fixtures.filter { keep.contains($0.id) },
                              rejected: rejected.filter { keep.contains($0.id) }, libraries: libraries)
    }
}
