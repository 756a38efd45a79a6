/* host_callbacks.c - see host_callbacks.h. */
#include "host_callbacks.h"
#include "json_parse.h"

#include <agentos_ext.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void agx_host_ctx_init(agx_host_ctx *ctx, const char *ext_id, bool verbose,
                       bool show_progress)
{
    memset(ctx, 0, sizeof *ctx);
    pthread_mutex_init(&ctx->lock, NULL);
    snprintf(ctx->ext_id, sizeof ctx->ext_id, "%s", ext_id ? ext_id : "extension");
    ctx->verbose = verbose;
    ctx->show_progress = show_progress;
}

void agx_host_ctx_destroy(agx_host_ctx *ctx)
{
    pthread_mutex_destroy(&ctx->lock);
}

/* Terminal width for truncating the progress line (80 when unknown). */
static size_t terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
        return ws.ws_col;
    return 80;
}

/* Caller holds the lock. */
static void erase_line_locked(agx_host_ctx *ctx)
{
    if (ctx->line_active)
        fputs("\r\033[K", stderr);
}

static void draw_line_locked(agx_host_ctx *ctx)
{
    if (!ctx->line_active)
        return;
    size_t width = terminal_width() - 1;
    fprintf(stderr, "\r%.*s\033[K", (int)width, ctx->line);
    fflush(stderr);
}

void agx_host_clear_progress(agx_host_ctx *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    erase_line_locked(ctx);
    ctx->line_active = false;
    fflush(stderr);
    pthread_mutex_unlock(&ctx->lock);
}

/* Writes "<prefix> <formatted text>\n" keeping the progress line below it. */
static void vprint_line(agx_host_ctx *ctx, const char *prefix, const char *fmt,
                        va_list ap)
{
    char text[1024];
    vsnprintf(text, sizeof text, fmt, ap);
    pthread_mutex_lock(&ctx->lock);
    erase_line_locked(ctx);
    fprintf(stderr, "%s %s\n", prefix, text);
    draw_line_locked(ctx);
    fflush(stderr);
    pthread_mutex_unlock(&ctx->lock);
}

void agx_host_note(agx_host_ctx *ctx, const char *fmt, ...)
{
    char prefix[sizeof ctx->ext_id + 2];
    snprintf(prefix, sizeof prefix, "[%s]", ctx->ext_id);
    va_list ap;
    va_start(ap, fmt);
    vprint_line(ctx, prefix, fmt, ap);
    va_end(ap);
}

void agx_host_say(agx_host_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint_line(ctx, "agentos-ext:", fmt, ap);
    va_end(ap);
}

static const char *level_name(int32_t level)
{
    switch (level) {
    case AGENTOS_EXT_LOG_ERROR: return "error";
    case AGENTOS_EXT_LOG_WARN: return "warn";
    case AGENTOS_EXT_LOG_INFO: return "info";
    case AGENTOS_EXT_LOG_DEBUG: return "debug";
    default: return "log";
    }
}

/* log: one line; shown for ERROR and WARN, everything with --verbose. */
static void on_log(void *user_data, int32_t level, const char *message)
{
    agx_host_ctx *ctx = user_data;
    if (!ctx || (level > AGENTOS_EXT_LOG_WARN && !ctx->verbose))
        return;
    agx_host_note(ctx, "%s: %s", level_name(level), message ? message : "");
}

/* Formats "[#####.....]  50% stage message" into ctx->line. */
static void format_progress(agx_host_ctx *ctx, double fraction,
                            const char *stage, const char *message)
{
    enum { BAR = 20 };
    if (fraction < 0 || fraction != fraction)
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    char bar[BAR + 1];
    int filled = (int)(fraction * BAR + 0.5);
    for (int i = 0; i < BAR; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR] = '\0';
    snprintf(ctx->line, sizeof ctx->line, "[%s] %3d%%%s%s%s%s", bar,
             (int)(fraction * 100 + 0.5), stage && *stage ? " " : "",
             stage ? stage : "", message && *message ? " " : "",
             message ? message : "");
}

/* progress: redraw the progress line (only when stderr is a terminal). */
static void on_progress(void *user_data, const char *progress_json)
{
    agx_host_ctx *ctx = user_data;
    if (!ctx || !progress_json || !ctx->show_progress)
        return;
    cJSON *doc = agx_json_parse_str(progress_json);
    if (!doc)
        return;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "progress");
    pthread_mutex_lock(&ctx->lock);
    format_progress(ctx, cJSON_IsNumber(p) ? p->valuedouble : 0,
                    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "stage")),
                    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "message")));
    ctx->line_active = true;
    draw_line_locked(ctx);
    pthread_mutex_unlock(&ctx->lock);
    cJSON_Delete(doc);
}

/* event: shown only with --verbose. */
static void on_event(void *user_data, const char *event_json)
{
    agx_host_ctx *ctx = user_data;
    if (ctx && ctx->verbose)
        agx_host_note(ctx, "event: %s", event_json ? event_json : "");
}

/*
 * The table the binding code consults. The casts to void (*)(void) only
 * erase the type for storage; the manifest's declared callback signature is
 * checked against `params` before a pointer is handed out, and the extension
 * calls each function through its real type.
 */
static const agx_host_callback callbacks[] = {
    {"log", (void (*)(void))on_log, AGX_KIND_VOID,
     {AGX_KIND_POINTER, AGX_KIND_INT32, AGX_KIND_POINTER}, 3},
    {"progress", (void (*)(void))on_progress, AGX_KIND_VOID,
     {AGX_KIND_POINTER, AGX_KIND_POINTER}, 2},
    {"event", (void (*)(void))on_event, AGX_KIND_VOID,
     {AGX_KIND_POINTER, AGX_KIND_POINTER}, 2},
};

const agx_host_callback *agx_host_callback_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof callbacks / sizeof callbacks[0]; i++)
        if (!strcmp(callbacks[i].name, name))
            return &callbacks[i];
    return NULL;
}
