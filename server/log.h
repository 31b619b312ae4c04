/*
 * log.h - the server's log: one line per event on stderr, as text
 * ("2026-11-21T21:00:00.123Z INFO message") or as JSON objects
 * ({"ts":"...","level":"info","msg":"..."}), for log collectors.
 */
#ifndef INFERD_LOG_H
#define INFERD_LOG_H

#include "server_config.h"

void log_init(log_level_t level, log_format_t format);

/* Writes one line if level is enabled; safe from any thread. */
void log_write(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)

#endif
