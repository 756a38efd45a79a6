/* test_util.h - small helpers shared by the Criterion suites. */
#ifndef IG_TEST_UTIL_H
#define IG_TEST_UTIL_H

#include <stddef.h>

/* Creates a fresh private directory under $TMPDIR (or /tmp); returns a
 * malloc'd path. Aborts the test on failure. */
char *tu_make_temp_dir(const char *prefix);

/* Removes a directory tree (like rm -rf). NULL is ignored. */
void tu_remove_tree(const char *path);

/* Reads a whole file; returns malloc'd NUL-terminated bytes and sets *size
 * (may be NULL). Returns NULL when the file cannot be read. */
char *tu_read_file(const char *path, size_t *size);

/* Writes bytes to path (0600). Returns 0 or -1. */
int tu_write_file(const char *path, const void *data, size_t size);

/* Number of directory entries (excluding . and ..) whose name starts with
 * prefix (NULL = all). -1 if the directory cannot be read. */
int tu_count_entries(const char *dir, const char *prefix);

/* A TCP socket listening on 127.0.0.1 that accepts connections (the kernel
 * completes them into the backlog) but never answers: an http input pointing
 * at it blocks until cancelled or timed out. Returns the fd (close it when
 * done) and sets *port. Aborts the test on failure. */
int tu_hang_endpoint(int *port);

#endif
