// Checks SQLite as a workload with musl: the glibc fixture's program (../glibc/sqlite_aggregates.c:
// 10,000 rows in one transaction with a rollback journal and fcntl locks, an index, aggregate
// queries, then the same queries on the re-opened read-only database), linked with SQLite's
// amalgamation built for musl by `make third-party` (Debian has no musl build of libsqlite3).
// conformance-cflags: -I{build}/third-party/sqlite-musl
// conformance-ldflags: -L{build}/third-party/sqlite-musl -lsqlite3 -lm
// conformance-ignore-contents: squares.db
// conformance-timeout: 30
#include "../glibc/sqlite_aggregates.c"
