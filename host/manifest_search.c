/* manifest_search.c - see manifest_search.h. */
#include "manifest_search.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text_util.h"

#ifndef IG_HOST_INSTALL_EXT_PATH
#define IG_HOST_INSTALL_EXT_PATH "/usr/local/lib/agentos/extensions"
#endif

/* Appends text to the "searched" list in err, keeping it NUL-terminated. */
static void note_searched(char *err, size_t errsz, const char *path)
{
    size_t used = strnlen(err, errsz);
    if (used + 1 >= errsz)
        return;
    snprintf(err + used, errsz - used, "\n  %s", path);
}

static int is_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Looks in one directory; returns the malloc'd path when found. */
static char *try_dir(const char *dir, const char *name, char *err, size_t errsz)
{
    char file[NAME_MAX + 1];
    snprintf(file, sizeof file, "%s.ext.json", name);
    char *flat = agx_path_join(dir, file);
    char *sub = agx_path_join(dir, name);
    char *nested = sub ? agx_path_join(sub, file) : NULL;
    free(sub);
    char *found = NULL;
    if (flat && is_regular_file(flat)) {
        found = flat;
        flat = NULL;
    } else if (nested && is_regular_file(nested)) {
        found = nested;
        nested = NULL;
    } else {
        if (flat)
            note_searched(err, errsz, flat);
        if (nested)
            note_searched(err, errsz, nested);
    }
    free(flat);
    free(nested);
    return found;
}

/* The directory holding this executable, malloc'd, or NULL. */
static char *self_dir(const char *argv0)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        return agx_path_dirname(buf);
    }
    if (argv0 && strchr(argv0, '/')) {
        char *real = realpath(argv0, NULL);
        char *dir = agx_path_dirname(real ? real : argv0);
        free(real);
        return dir;
    }
    return NULL;
}

int agx_extension_name_ok(const char *name)
{
    return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0 && strlen(name) < NAME_MAX - 16;
}

static char *search_env_path(const char *name, char *err, size_t errsz)
{
    const char *env = getenv("AGENTOS_EXTENSIONS_PATH");
    if (!env)
        return NULL;
    char *copy = strdup(env);
    char *found = NULL;
    char *save = NULL;
    for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && !found;
         dir = strtok_r(NULL, ":", &save))
        found = try_dir(dir, name, err, errsz);
    free(copy);
    return found;
}

char *agx_manifest_find(const char *name, const char *argv0, char *err,
                        size_t errsz)
{
    if (errsz)
        err[0] = '\0';
    if (name && strchr(name, '/')) {
        if (is_regular_file(name))
            return strdup(name);
        snprintf(err, errsz, "manifest %s does not exist", name);
        return NULL;
    }
    if (!agx_extension_name_ok(name)) {
        snprintf(err, errsz, "invalid extension name \"%s\"", name ? name : "");
        return NULL;
    }
    char header[300];
    snprintf(header, sizeof header,
             "extension \"%s\" not found; looked for its manifest in:", name);
    snprintf(err, errsz, "%s", header);

    char *found = search_env_path(name, err, errsz);
    if (!found) {
        char *dir = self_dir(argv0);
        char *ext_dir = dir ? agx_path_join(dir, "extensions") : NULL;
        if (ext_dir)
            found = try_dir(ext_dir, name, err, errsz);
        free(ext_dir);
        free(dir);
    }
    if (!found)
        found = try_dir(IG_HOST_INSTALL_EXT_PATH, name, err, errsz);
    if (found && errsz)
        err[0] = '\0';
    return found;
}
