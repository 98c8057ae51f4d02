/* The local filesystem store: round trips, listing, atomic publication and
 * a put_if_absent race between threads with exactly one winner per key. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include "store/store.h"

static char root[256];

static int setup(void **state) {
    snprintf(root, sizeof root, "/tmp/tl-store-test-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    tl_err err = {0};
    tl_store *s = tl_store_open(root, &err);
    *state = s;
    return s ? 0 : -1;
}

static int teardown(void **state) {
    tl_store_destroy(*state);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_put_get_head_del(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_put(s, "a/b/c.txt", "hello", 5, &err), 0);
    assert_int_equal(tl_store_get(s, "a/b/c.txt", &b, &err), 0);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "hello", 5);
    assert_int_equal(tl_store_put(s, "a/b/c.txt", "bye", 3, &err), 0); /* replaces */
    tl_buf_reset(&b);
    assert_int_equal(tl_store_get(s, "a/b/c.txt", &b, &err), 0);
    assert_string_equal(b.data, "bye");
    tl_store_entry e;
    assert_int_equal(tl_store_head(s, "a/b/c.txt", &e, &err), 0);
    assert_int_equal(e.size, 3);
    assert_true(e.mtime_ms > 1700000000000LL);
    free(e.key);
    assert_int_equal(tl_store_head(s, "a/b", &e, &err), TL_ERR_NOT_FOUND); /* a directory */
    assert_int_equal(tl_store_del(s, "a/b/c.txt", &err), 0);
    assert_int_equal(tl_store_del(s, "a/b/c.txt", &err), 0); /* absent is fine */
    assert_int_equal(tl_store_get(s, "a/b/c.txt", &b, &err), TL_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "a/b/c.txt"));
    tl_buf_free(&b);
}

static void test_bad_keys_and_uris(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    assert_int_equal(tl_store_put(s, "../escape", "x", 1, &err), TL_ERR_INVALID);
    assert_int_equal(tl_store_put(s, "/abs", "x", 1, &err), TL_ERR_INVALID);
    assert_int_equal(tl_store_put(s, "a//b", "x", 1, &err), TL_ERR_INVALID);
    assert_null(tl_store_open("s3:///prefix", &err)); /* no bucket */
    assert_int_equal(err.code, TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "bucket"));
    assert_null(tl_store_open("ftp://x", &err));
}

static void test_list_sorted_recursive(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    const char *keys[] = {"t/_delta_log/00000000000000000001.json",
                          "t/y=1/b.parquet",
                          "t/_delta_log/00000000000000000000.json",
                          "t/y=1/a.parquet",
                          "t/y=2/sub/c.parquet",
                          "u/other.txt",
                          "t2/x"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        assert_int_equal(tl_store_put(s, keys[i], "x", 1, &err), 0);
    /* an in-progress write of another process must not be listed */
    char tmp[400];
    snprintf(tmp, sizeof tmp, "%s/t/y=1/.tl-tmp.partial", root);
    FILE *f = fopen(tmp, "w");
    fclose(f);
    tl_store_entry *e;
    size_t n;
    assert_int_equal(tl_store_list(s, "t/", &e, &n, &err), 0);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_true(strncmp(e[i].key, "t/", 2) == 0);
        assert_int_equal(e[i].size, 1);
        if (i)
            assert_true(strcmp(e[i - 1].key, e[i].key) < 0);
    }
    assert_string_equal(e[0].key, "t/_delta_log/00000000000000000000.json");
    assert_string_equal(e[4].key, "t/y=2/sub/c.parquet");
    tl_store_entries_free(e, n);
    /* a prefix that ends inside a name */
    assert_int_equal(tl_store_list(s, "t/y=", &e, &n, &err), 0);
    assert_int_equal(n, 3);
    tl_store_entries_free(e, n);
    assert_int_equal(tl_store_list(s, "t", &e, &n, &err), 0);
    assert_int_equal(n, 6); /* t/... and t2/x */
    tl_store_entries_free(e, n);
    assert_int_equal(tl_store_list(s, "nothing/here/", &e, &n, &err), 0);
    assert_int_equal(n, 0);
    tl_store_entries_free(e, n);
}

static void test_put_file_and_get_file(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    char src[400], dst[400];
    snprintf(src, sizeof src, "%s/local-src.bin", root);
    FILE *f = fopen(src, "w");
    for (int i = 0; i < 100000; i++)
        fputc(i & 0xff, f);
    fclose(f);
    assert_int_equal(tl_store_put_file(s, "data/x=1/f.bin", src, &err), 0);
    assert_int_equal(access(src, F_OK), -1); /* consumed: moved into the store */
    snprintf(dst, sizeof dst, "%s/local-copy.bin", root);
    assert_int_equal(tl_store_get_file(s, "data/x=1/f.bin", dst, &err), 0);
    struct stat st;
    assert_int_equal(stat(dst, &st), 0);
    assert_int_equal(st.st_size, 100000);
    char *lp = tl_store_local_path(s, "data/x=1/f.bin");
    assert_non_null(lp);
    assert_int_equal(stat(lp, &st), 0);
    free(lp);
    assert_int_equal(tl_store_put_file(s, "data/y", "/nonexistent/file", &err), TL_ERR_NOT_FOUND);
    assert_int_equal(tl_store_get_file(s, "data/missing", dst, &err), TL_ERR_NOT_FOUND);
}

static void test_put_if_absent(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_put_if_absent(s, "log/0.json", "first", 5, &err), 0);
    assert_int_equal(tl_store_put_if_absent(s, "log/0.json", "second", 6, &err), TL_ERR_CONFLICT);
    assert_int_equal(tl_store_get(s, "log/0.json", &b, &err), 0);
    assert_string_equal(b.data, "first");
    tl_buf_free(&b);
    tl_store_entry *e;
    size_t n;
    assert_int_equal(tl_store_list(s, "log/", &e, &n, &err), 0);
    assert_int_equal(n, 1); /* the loser's temp file is gone */
    tl_store_entries_free(e, n);
}

enum { RACE_THREADS = 4, RACE_ROUNDS = 200 };
typedef struct race_arg {
    tl_store *s;
    int id;
    int won[RACE_ROUNDS];
    int errors;
} race_arg;

static pthread_barrier_t barrier;

static void *race_main(void *p) {
    race_arg *a = p;
    char key[64], body[32];
    for (int r = 0; r < RACE_ROUNDS; r++) {
        snprintf(key, sizeof key, "race/%05d", r);
        int len = snprintf(body, sizeof body, "writer-%d", a->id);
        pthread_barrier_wait(&barrier); /* everyone goes for key r together */
        tl_err err = {0};
        int rc = tl_store_put_if_absent(a->s, key, body, (size_t)len, &err);
        if (rc == 0)
            a->won[r] = 1;
        else if (rc != TL_ERR_CONFLICT)
            a->errors++;
    }
    return NULL;
}

static void test_put_if_absent_race(void **state) {
    tl_store *s = *state;
    race_arg args[RACE_THREADS];
    pthread_t th[RACE_THREADS];
    pthread_barrier_init(&barrier, NULL, RACE_THREADS);
    for (int i = 0; i < RACE_THREADS; i++) {
        memset(&args[i], 0, sizeof args[i]);
        args[i].s = s;
        args[i].id = i;
        pthread_create(&th[i], NULL, race_main, &args[i]);
    }
    for (int i = 0; i < RACE_THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
    tl_buf b = TL_BUF_INIT;
    for (int r = 0; r < RACE_ROUNDS; r++) {
        int winners = 0, who = -1;
        for (int i = 0; i < RACE_THREADS; i++) {
            assert_int_equal(args[i].errors, 0);
            if (args[i].won[r]) {
                winners++;
                who = i;
            }
        }
        assert_int_equal(winners, 1);
        char key[64], want[32];
        snprintf(key, sizeof key, "race/%05d", r);
        snprintf(want, sizeof want, "writer-%d", who);
        tl_buf_reset(&b);
        tl_err err = {0};
        assert_int_equal(tl_store_get(s, key, &b, &err), 0);
        assert_string_equal(b.data, want); /* the stored bytes are the winner's */
    }
    tl_buf_free(&b);
}

/* A file at root/rel with content "x", its mtime age_s seconds in the past. */
static void leftover(const char *rel, int age_s) {
    char path[600], cmd[700];
    assert_true(snprintf(path, sizeof path, "%s/%s", root, rel) < (int)sizeof path);
    assert_true(snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\" && echo x > '%s'", path,
                         path) < (int)sizeof cmd);
    assert_int_equal(system(cmd), 0);
    struct timespec t[2] = {{time(NULL) - age_s, 0}, {time(NULL) - age_s, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static bool exists(const char *rel) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    return access(path, F_OK) == 0;
}

static void age_dir(const char *rel, int age_s) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    struct timespec t[2] = {{time(NULL) - age_s, 0}, {time(NULL) - age_s, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

/* Issue 10, item 7: leftovers of killed writers are swept; a running
 * writer's are not. */
static void test_sweep_leftovers(void **state) {
    (void)state;
    int64_t now = (int64_t)time(NULL) * 1000, hour = 3600 * 1000;
    leftover("ticks/year=2026/.tl-tmp.old", 7200);
    leftover("ticks/year=2026/.tl-tmp.new", 10);
    leftover("ticks/year=2026/part-1.parquet", 7200); /* data: vacuum's business, not this */
    assert_int_equal(tl_store_fs_sweep_staging(root, hour, now), 1);
    assert_false(exists("ticks/year=2026/.tl-tmp.old"));
    assert_true(exists("ticks/year=2026/.tl-tmp.new"));
    assert_true(exists("ticks/year=2026/part-1.parquet"));

    char host[64] = "host", dead[128], mine[128], rel[300];
    gethostname(host, sizeof host - 1);
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0); /* a pid that is surely gone */
    snprintf(dead, sizeof dead, "_tmp/%s-%d-AAAAAA", host, (int)child);
    snprintf(mine, sizeof mine, "_tmp/%s-%d-BBBBBB", host, (int)getpid());
    snprintf(rel, sizeof rel, "%s/ticks-1.parquet", dead);
    leftover(rel, 10);
    snprintf(rel, sizeof rel, "%s/ticks-1.parquet", mine);
    leftover(rel, 10);
    leftover("_tmp/otherhost-1-CCCCCC/x", 7200);
    age_dir("_tmp/otherhost-1-CCCCCC", 7200);
    leftover("_tmp/otherhost-2-DDDDDD/x", 10);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s/_tmp", root);
    assert_int_equal(tl_store_fs_sweep_tmp_dirs(tmp, hour, now), 2);
    assert_false(exists(dead));
    assert_true(exists(mine));
    assert_false(exists("_tmp/otherhost-1-CCCCCC"));
    assert_true(exists("_tmp/otherhost-2-DDDDDD"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_head_del, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_keys_and_uris, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_sorted_recursive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_file_and_get_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_if_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_if_absent_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_leftovers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
