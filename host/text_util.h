/*
 * text_util.h - small text helpers for the host: whole-file and whole-stream
 * reads, path joining, and the first sentence of a description.
 *
 * No global state; every function is thread-safe.
 */
#ifndef AGX_TEXT_UTIL_H
#define AGX_TEXT_UTIL_H

#include <stddef.h>
#include <stdio.h>

/*
 * Reads all of f into a malloc'd NUL-terminated string; *len (may be NULL)
 * receives the byte count. Returns NULL on a read error or out of memory.
 * The caller frees the result with free().
 */
char *agx_read_stream(FILE *f, size_t *len);

/* Like agx_read_stream for the file at path; NULL if it cannot be read. */
char *agx_read_file(const char *path, size_t *len);

/* "dir/name" as a malloc'd string (no doubled slash); NULL when out of
 * memory. The caller frees it. */
char *agx_path_join(const char *dir, const char *name);

/* The directory part of path as a malloc'd string ("." when there is none).
 * The caller frees it. */
char *agx_path_dirname(const char *path);

/*
 * The first sentence of text, malloc'd: up to and including the first '.',
 * '!' or '?' followed by whitespace or the end, or up to the first line
 * break, with surrounding whitespace trimmed. NULL text gives "". The caller
 * frees the result.
 */
char *agx_first_sentence(const char *text);

#endif
