// Checks SQLite (Debian's libsqlite3.a linked statically) as a workload: creates a table in
// the file database squares.db in the working directory, inserts 10,000 rows in one
// transaction through a prepared statement (rollback journal: squares.db-journal is created
// and deleted at commit; locks through fcntl), builds an index, queries aggregates (count,
// sum, avg, min, max, GROUP BY, a join and ORDER BY ... LIMIT) and prints them; then closes
// the database, re-opens it read-only and prints the same queries again. squares.db is left
// behind: it must exist on both sides, but its bytes are not compared (they depend on
// SQLite's page allocation, not on the kernel); the re-opened query results are what count.
// conformance-ldflags: -lsqlite3 -lm
// conformance-ignore-contents: squares.db
// conformance-timeout: 30
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static void check(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        printf("%s failed: %d (%s)\n", what, rc, db ? sqlite3_errmsg(db) : "no database");
        exit(1);
    }
}

static int print_row(void *label, int columns, char **values, char **names) {
    printf("  %s:", (const char *)label);
    for (int i = 0; i < columns; i++) printf(" %s=%s", names[i], values[i] ? values[i] : "NULL");
    printf("\n");
    return 0;
}

static void queries(sqlite3 *db) {
    static const char *sql[][2] = {
        {"totals", "SELECT count(*) AS n, sum(square) AS sum, printf('%.3f', avg(root)) AS avg_root, "
                   "min(label) AS min_label, max(label) AS max_label FROM squares"},
        {"by digit", "SELECT n % 10 AS digit, count(*) AS n, sum(square) % 1000003 AS sum_mod "
                     "FROM squares GROUP BY digit ORDER BY digit"},
        {"top", "SELECT n, square, label FROM squares ORDER BY square DESC LIMIT 3"},
        {"range", "SELECT count(*) AS n FROM squares WHERE square BETWEEN 1000000 AND 4000000"},
        {"join", "SELECT p.name AS parity, count(*) AS n, max(s.n) AS max_n FROM squares s "
                 "JOIN parity p ON p.id = s.n % 2 GROUP BY p.name ORDER BY p.name"},
        {"text", "SELECT group_concat(label, ',') AS labels FROM (SELECT label FROM squares "
                 "WHERE n % 2500 = 0 ORDER BY n)"},
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        char *error = NULL;
        int rc = sqlite3_exec(db, sql[i][1], print_row, (void *)sql[i][0], &error);
        if (rc != SQLITE_OK) { printf("  %s: error %d %s\n", sql[i][0], rc, error); sqlite3_free(error); }
    }
}

int main(void) {
    sqlite3 *db = NULL;
    check(db, sqlite3_open("squares.db", &db), "open");
    check(db, sqlite3_exec(db, "CREATE TABLE squares (n INTEGER PRIMARY KEY, square INTEGER, "
                               "root REAL, label TEXT);"
                               "CREATE TABLE parity (id INTEGER PRIMARY KEY, name TEXT);"
                               "INSERT INTO parity VALUES (0, 'even'), (1, 'odd');", NULL, NULL, NULL), "create");
    check(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), "begin");
    sqlite3_stmt *insert;
    check(db, sqlite3_prepare_v2(db, "INSERT INTO squares VALUES (?, ?, ?, ?)", -1, &insert, NULL), "prepare");
    for (int n = 1; n <= 10000; n++) {
        char label[32];
        snprintf(label, sizeof label, "row-%05d", (n * 7919) % 10007);
        sqlite3_bind_int(insert, 1, n);
        sqlite3_bind_int64(insert, 2, (sqlite3_int64)n * n);
        sqlite3_bind_double(insert, 3, n / 7.0);
        sqlite3_bind_text(insert, 4, label, -1, SQLITE_TRANSIENT);
        check(db, sqlite3_step(insert), "insert");
        sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
    check(db, sqlite3_exec(db, "CREATE INDEX by_square ON squares (square)", NULL, NULL, NULL), "index");
    printf("inserted 10000 rows, changes %d, total changes %d\n", sqlite3_changes(db), sqlite3_total_changes(db));
    queries(db);
    check(db, sqlite3_close(db), "close");

    db = NULL;
    check(db, sqlite3_open_v2("squares.db", &db, SQLITE_OPEN_READONLY, NULL), "reopen");
    printf("re-opened read-only:\n");
    queries(db);
    int rc = sqlite3_exec(db, "INSERT INTO parity VALUES (2, 'none')", NULL, NULL, NULL);
    printf("write to read-only database: %s\n", sqlite3_errstr(rc));
    sqlite3_stmt *check_stmt;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &check_stmt, NULL);
    sqlite3_step(check_stmt);
    printf("integrity_check: %s\n", sqlite3_column_text(check_stmt, 0));
    sqlite3_finalize(check_stmt);
    check(db, sqlite3_close(db), "close");
    FILE *journal = fopen("squares.db-journal", "r");
    printf("journal left behind: %s\n", journal ? "yes" : "no");
    return 0;
}
