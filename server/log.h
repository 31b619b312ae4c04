/*
 * log.h - the server's log: one line per event on stderr, as text
 * ("2026-11-21T21:00:00.123Z INFO message") or as JSON objects
 * ({"ts":"...","level":"info","msg":"..."}), for log collectors.
 */
#ifndef INFERD_LOG_H
#define INFERD_LOG_H

#include <pthread.h>
#include <stdint.h>

#include "server_config.h"

void log_init(log_level_t level, log_format_t format);

/* Writes one line if level is enabled; safe from any thread. */
void log_write(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)

/* Lines one limited source may write in a second. */
#define LOG_LIMIT_PER_SECOND 10

/*
 * A source of lines that clients can cause one per connection (a client
 * that closes mid-request, a failed TLS handshake), so that a flood of such
 * clients would flood the log: at most LOG_LIMIT_PER_SECOND of its lines a
 * second are written. How many were left out is written once their second
 * has passed: before the source's next line, or by log_limit_flush, which a
 * thread that wakes regularly calls. Define one per source with
 * LOG_LIMIT_INIT.
 */
typedef struct log_limit {
    const char *source; /* names the source in the line that counts what was left out */
    pthread_mutex_t lock;
    int64_t second; /* the monotonic second `written` counts */
    int written;
    unsigned long left_out; /* since the last count was written */
    log_level_t left_level; /* the level of the last line left out */
} log_limit_t;

#define LOG_LIMIT_INIT(name)                                                                       \
    {                                                                                              \
        .source = (name), .lock = PTHREAD_MUTEX_INITIALIZER                                        \
    }

/* log_write through limit. */
void log_write_limited(log_limit_t *limit, log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the count of limit's lines left out, if any, once their second has passed. */
void log_limit_flush(log_limit_t *limit);

#endif
