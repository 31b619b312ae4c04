#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/* Longest message kept; longer ones are cut. */
#define LOG_LINE_MAX 2048

static log_level_t log_threshold = LOG_INFO;
static log_format_t log_style = LOG_FORMAT_TEXT;

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static const char *const level_tags[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void log_init(log_level_t level, log_format_t format)
{
    log_threshold = level;
    log_style = format;
}

/* Appends message to out as the inside of a JSON string. */
static size_t json_escape(const char *message, char *out, size_t size)
{
    size_t used = 0;

    for (const unsigned char *p = (const unsigned char *)message; *p && used + 7 < size; p++) {
        if (*p == '"' || *p == '\\') {
            out[used++] = '\\';
            out[used++] = (char)*p;
        } else if (*p < 0x20) {
            used += (size_t)snprintf(out + used, size - used, "\\u%04x", *p);
        } else {
            out[used++] = (char)*p;
        }
    }
    out[used] = '\0';
    return used;
}

void log_write(log_level_t level, const char *fmt, ...)
{
    char message[LOG_LINE_MAX], escaped[LOG_LINE_MAX * 2], stamp[40];
    struct timespec ts;
    struct tm tm;
    va_list ap;

    if (level > log_threshold)
        return;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    /* One fprintf per line: stdio locks the stream, so lines never interleave. */
    if (log_style == LOG_FORMAT_JSON) {
        json_escape(message, escaped, sizeof escaped);
        fprintf(stderr, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"%s\"}\n", stamp,
                ts.tv_nsec / 1000000, level_names[level], escaped);
    } else {
        fprintf(stderr, "%s.%03ldZ %s %s\n", stamp, ts.tv_nsec / 1000000, level_tags[level],
                message);
    }
}
