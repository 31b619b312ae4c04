#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "monotonic.h"

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

__attribute__((format(printf, 2, 0))) static void log_vwrite(log_level_t level, const char *fmt,
                                                             va_list ap)
{
    char message[LOG_LINE_MAX], escaped[LOG_LINE_MAX * 2], stamp[40];
    struct timespec ts;
    struct tm tm;

    vsnprintf(message, sizeof message, fmt, ap);
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

void log_write(log_level_t level, const char *fmt, ...)
{
    va_list ap;

    if (level > log_threshold)
        return;
    va_start(ap, fmt);
    log_vwrite(level, fmt, ap);
    va_end(ap);
}

/*
 * Starts limit's count afresh if the second changed; returns what was left
 * out before (0 if nothing or the second is still on). Called with the
 * lock held.
 */
static unsigned long roll_second(log_limit_t *limit, int64_t second)
{
    unsigned long left_out = 0;

    if (second != limit->second) {
        left_out = limit->left_out;
        limit->left_out = 0;
        limit->second = second;
        limit->written = 0;
    }
    return left_out;
}

static void write_left_out(const log_limit_t *limit, log_level_t level, unsigned long left_out)
{
    log_write(level, "%s: %lu more line(s) left out (at most %d a second)", limit->source, left_out,
              LOG_LIMIT_PER_SECOND);
}

void log_write_limited(log_limit_t *limit, log_level_t level, const char *fmt, ...)
{
    unsigned long left_out;
    log_level_t left_level;
    bool write;
    va_list ap;

    if (level > log_threshold)
        return;
    pthread_mutex_lock(&limit->lock);
    left_level = limit->left_level;
    left_out = roll_second(limit, monotonic_ms() / 1000);
    write = limit->written < LOG_LIMIT_PER_SECOND;
    if (write) {
        limit->written++;
    } else {
        limit->left_out++;
        limit->left_level = level;
    }
    pthread_mutex_unlock(&limit->lock);
    if (left_out > 0)
        write_left_out(limit, left_level, left_out);
    if (write) {
        va_start(ap, fmt);
        log_vwrite(level, fmt, ap);
        va_end(ap);
    }
}

void log_limit_flush(log_limit_t *limit)
{
    unsigned long left_out;
    log_level_t left_level;

    pthread_mutex_lock(&limit->lock);
    left_level = limit->left_level;
    left_out = limit->left_out > 0 ? roll_second(limit, monotonic_ms() / 1000) : 0;
    pthread_mutex_unlock(&limit->lock);
    if (left_out > 0)
        write_left_out(limit, left_level, left_out);
}
