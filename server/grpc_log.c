/*
 * grpc_log.c - the gRPC core's log lines in inferd's log (log.h): the same
 * line format, text or JSON, at the matching level, as
 * "grpc core: <file>:<line> <message>". The core still decides what it
 * logs (GRPC_VERBOSITY, errors only by default).
 */
#include <stdatomic.h>
#include <string.h>

#include <grpc/support/log.h>

#include "grpc_internal.h"
#include "log.h"

/* The core logs some failures once per connection (a failed TLS handshake, say). */
static log_limit_t core_log_limit = LOG_LIMIT_INIT("grpc core");

/* Set once a drain has shut the port's listening socket down beneath the core. */
static atomic_bool port_closed;

/* The file name without its directories. */
static const char *base_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;

    return slash ? slash + 1 : path ? path : "?";
}

static void route(gpr_log_func_args *args)
{
    log_level_t level = LOG_DEBUG;

    if (args->severity == GPR_LOG_SEVERITY_ERROR)
        level = LOG_ERROR;
    else if (args->severity == GPR_LOG_SEVERITY_INFO)
        level = LOG_INFO;
    /* tcp_server_posix.cc's accept fails on the socket the drain shut down: expected. */
    if (atomic_load(&port_closed) && strncmp(args->message, "Failed accept4", 14) == 0)
        level = LOG_DEBUG;
    log_write_limited(&core_log_limit, level, "grpc core: %s:%d %s", base_name(args->file),
                      args->line, args->message);
}

void grpc_log_route_core(void)
{
    gpr_set_log_function(route);
}

void grpc_log_flush(void)
{
    log_limit_flush(&core_log_limit);
}

void grpc_log_port_closed(void)
{
    atomic_store(&port_closed, true);
}
