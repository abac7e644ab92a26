import XCTest
@testable import Conformance

final class FixtureSpecTests: XCTestCase {
    func testPlaceholder() {}
}
