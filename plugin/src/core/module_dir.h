/*
 * module_dir.h - where the extension's shared object lies, to find the
 * data files installed beside it (the local provider's weights).
 */
#ifndef IG_MODULE_DIR_H
#define IG_MODULE_DIR_H

#include <stddef.h>

/* Writes the directory of the binary that contains this code (the .so, or
 * a test executable that links the code statically) into out. Returns 0,
 * or -1 when it cannot be told or does not fit. Any thread. */
int ig_module_dir(char *out, size_t cap);

#endif
