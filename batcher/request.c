#include "request.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

request_t *request_create(void)
{
    request_t *req = calloc(1, sizeof *req);
    if (req)
        arena_init(&req->arena);
    return req;
}

void request_free(request_t *req)
{
    if (!req)
        return;
    arena_release(&req->arena);
    free(req);
}

void request_reset(request_t *req)
{
    arena_t arena = req->arena;

    arena_reset(&arena);
    memset(req, 0, sizeof *req);
    req->arena = arena;
}

int64_t request_batch_rows(const request_t *req)
{
    return req->n_inputs > 0 && req->inputs[0].rank > 0 ? req->inputs[0].dims[0] : 1;
}

int64_t request_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
