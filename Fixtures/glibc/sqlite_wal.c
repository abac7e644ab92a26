// Checks SQLite in WAL mode (Debian's libsqlite3.a linked statically) on a host file: the
// write-ahead log's index lives in wal.db-shm, which every connection maps MAP_SHARED, so
// connections see each other's commits through that shared mapping. One connection makes a
// table and commits 1000 rows; a second connection in the same process counts them; a forked
// child opens its own connection, adds 10 rows and exits; the parent sees 1010; a checkpoint
// folds the log into the database; after the last close the -wal and -shm files are gone.
// conformance-ldflags: -lsqlite3 -lm
// conformance-ignore-contents: wal.db
// conformance-timeout: 30
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        printf("%s failed: %d (%s)\n", what, rc, db ? sqlite3_errmsg(db) : "no database");
        fflush(stdout);
        _exit(1);
    }
}

static sqlite3 *open_db(void) {
    sqlite3 *db = NULL;
    check(db, sqlite3_open("wal.db", &db), "open");
    check(db, sqlite3_busy_timeout(db, 5000), "busy timeout");
    return db;
}

static long long scalar(sqlite3 *db, const char *sql) {
    sqlite3_stmt *statement = NULL;
    check(db, sqlite3_prepare_v2(db, sql, -1, &statement, NULL), sql);
    check(db, sqlite3_step(statement), sql);
    long long value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return value;
}

static const char *text(sqlite3 *db, const char *sql, char *out, size_t size) {
    sqlite3_stmt *statement = NULL;
    check(db, sqlite3_prepare_v2(db, sql, -1, &statement, NULL), sql);
    check(db, sqlite3_step(statement), sql);
    snprintf(out, size, "%s", (const char *)sqlite3_column_text(statement, 0));
    sqlite3_finalize(statement);
    return out;
}

int main(void) {
    char mode[32];
    unlink("wal.db");
    sqlite3 *db = open_db();
    printf("journal_mode: %s\n", text(db, "PRAGMA journal_mode=WAL", mode, sizeof mode));
    check(db, sqlite3_exec(db, "CREATE TABLE items(id INTEGER PRIMARY KEY, value INTEGER)", NULL, NULL, NULL), "create");
    check(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), "begin");
    sqlite3_stmt *insert = NULL;
    check(db, sqlite3_prepare_v2(db, "INSERT INTO items(value) VALUES (?)", -1, &insert, NULL), "prepare");
    for (int i = 1; i <= 1000; i++) {
        sqlite3_bind_int(insert, 1, i * 3);
        check(db, sqlite3_step(insert), "insert");
        sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
    printf("-wal and -shm exist while open: %s %s\n", access("wal.db-wal", F_OK) == 0 ? "yes" : "no",
           access("wal.db-shm", F_OK) == 0 ? "yes" : "no");

    sqlite3 *second = open_db();
    printf("second connection: %lld rows, sum %lld\n", scalar(second, "SELECT count(*) FROM items"),
           scalar(second, "SELECT sum(value) FROM items"));

    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        sqlite3 *own = open_db();
        check(own, sqlite3_exec(own, "BEGIN IMMEDIATE", NULL, NULL, NULL), "child begin");
        for (int i = 0; i < 10; i++)
            check(own, sqlite3_exec(own, "INSERT INTO items(value) VALUES (7)", NULL, NULL, NULL), "child insert");
        check(own, sqlite3_exec(own, "COMMIT", NULL, NULL, NULL), "child commit");
        printf("child saw %lld rows after its commit\n", scalar(own, "SELECT count(*) FROM items"));
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    printf("parent sees: %lld rows, sum %lld (second connection: %lld rows)\n", scalar(db, "SELECT count(*) FROM items"),
           scalar(db, "SELECT sum(value) FROM items"), scalar(second, "SELECT count(*) FROM items"));
    sqlite3_stmt *checkpoint = NULL;
    check(db, sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &checkpoint, NULL), "checkpoint");
    check(db, sqlite3_step(checkpoint), "checkpoint");
    printf("checkpoint: busy %d\n", sqlite3_column_int(checkpoint, 0));
    sqlite3_finalize(checkpoint);
    sqlite3_close(second);
    sqlite3_close(db);
    printf("after the last close, -wal and -shm exist: %s %s\n", access("wal.db-wal", F_OK) == 0 ? "yes" : "no",
           access("wal.db-shm", F_OK) == 0 ? "yes" : "no");
    db = open_db();
    printf("re-opened: %lld rows, journal_mode %s\n", scalar(db, "SELECT count(*) FROM items"),
           text(db, "PRAGMA journal_mode", mode, sizeof mode));
    sqlite3_close(db);
    return 0;
}
