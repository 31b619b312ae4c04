/*
 * perf.c - `inferd perf`: reads the model's metadata from the server,
 * decides the input shapes, generates the inputs, runs the load and
 * prints the report.
 */
#include <signal.h>
#include <stdio.h>

#include "cli.h"
#include "perf.h"
#include "perf_load.h"
#include "perf_report.h"
#include "perf_stats.h"

static const perf_transport_t *transport_for(perf_protocol_t protocol)
{
    switch (protocol) {
    case PERF_HTTP_BINARY:
        return &perf_http_binary_transport;
    case PERF_GRPC:
        return &perf_grpc_transport;
    case PERF_HTTP_JSON:
        break;
    }
    return &perf_http_json_transport;
}

int cli_perf(int argc, char **argv)
{
    perf_options_t o;
    perf_model_t model = {0};
    perf_stats_t stats;
    perf_window_t window;
    const perf_transport_t *t;
    void *session = NULL;
    char err[PERF_ERROR_MAX] = "";
    int rc = perf_args_parse(argc, argv, &o);

    if (rc != 0)
        return rc > 0 ? 0 : 2;
    /* A server closing a connection must give an error, not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    perf_stats_init(&stats);
    t = transport_for(o.protocol);
    rc = 1;
    session = t->open(&o, err, sizeof err);
    if (!session || !t->metadata(session, &model, err, sizeof err))
        goto cleanup;
    /* Shapes and flags that do not fit the model are argument errors. */
    if (!perf_model_resolve(&model, &o, err, sizeof err)) {
        rc = 2;
        goto cleanup;
    }
    if (!t->prepare(session, &model, err, sizeof err) ||
        !perf_load_run(&o, t, session, &stats, &window, err, sizeof err))
        goto cleanup;
    perf_report_final(&o, t, &model, &stats, &window);
    rc = 0;
cleanup:
    if (rc)
        fprintf(stderr, "inferd perf: %s\n", err);
    if (session)
        t->close(session);
    perf_model_free(&model);
    perf_stats_destroy(&stats);
    return rc;
}
