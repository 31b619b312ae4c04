/*
 * body_budget.h - the memory all request bodies may hold at once.
 *
 * --max-body-bytes bounds one request; nothing bounded them together: a
 * thousand clients each sending a 64 MB body (the default limit, and
 * --max-connections' default) made the server allocate 64 GB, and in a
 * container the kernel's OOM killer ended every model's requests along with
 * theirs. The front ends take a body's bytes from this budget before they
 * hold them (HTTP: the body buffer, as it grows; gRPC: the received message,
 * from arrival to answer) and give them back when the request is answered.
 * A request whose body does not fit is refused as unavailable (HTTP 503
 * with Retry-After, gRPC UNAVAILABLE), which clients retry, while the
 * requests already held go on.
 */
#ifndef INFERD_BODY_BUDGET_H
#define INFERD_BODY_BUDGET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct body_budget {
    _Atomic uint64_t held; /* bytes taken and not yet given back */
    uint64_t limit;
} body_budget_t;

/*
 * The limit for --body-memory-limit 0: a quarter of the memory the server
 * may use (the cgroup's limit when it has one, else physical memory), and
 * at least max_body_bytes, so that a largest request alone always fits.
 */
uint64_t body_budget_default_limit(uint64_t max_body_bytes);

/* An empty budget of limit bytes. */
void body_budget_init(body_budget_t *b, uint64_t limit);

/* Takes n bytes if they fit under the limit with what is held: true when taken. */
bool body_budget_take(body_budget_t *b, uint64_t n);

/* Gives back n bytes taken earlier. */
void body_budget_give(body_budget_t *b, uint64_t n);

/* Why a request whose body does not fit b is refused, into buf (size bytes). */
void body_budget_refusal(const body_budget_t *b, char *buf, size_t size);

#endif
