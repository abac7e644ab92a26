import Testing

/// The ELF loader's tests, grouped so that `swift test --filter Loader` runs exactly them.
@Suite("ELF loader")
enum LoaderTests {}
