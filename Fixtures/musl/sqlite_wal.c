// Checks SQLite in WAL mode with musl: the glibc fixture's program (../glibc/sqlite_wal.c: a
// write-ahead log whose index, wal.db-shm, every connection and a forked child map MAP_SHARED),
// linked with SQLite's amalgamation built for musl by `make third-party` (Debian has no musl
// build of libsqlite3).
// conformance-cflags: -I{build}/third-party/sqlite-musl
// conformance-ldflags: -L{build}/third-party/sqlite-musl -lsqlite3 -lm
// conformance-ignore-contents: wal.db
// conformance-timeout: 30
#include "../glibc/sqlite_wal.c"
