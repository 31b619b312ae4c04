/*
 * shm_request.h - one infer request's tensors in system shared memory, for
 * both front ends: after parsing, the inputs the client left in regions
 * are read into the request and the regions its outputs go to are held;
 * after the run, the outputs are written into them; then they are let go.
 *
 * Inputs are read once, with pread, into the request's arena: the data
 * does not cross the socket, and what the model runs on is the server's
 * own copy, which a client writing its region meanwhile cannot change
 * under the engine (nor a client shrinking it fault the server). A batch
 * of one runs on that copy; a larger batch copies it once more into the
 * batch, as it does any request's inputs. Outputs are written with pwrite
 * from the request's copy of the result.
 */
#ifndef INFERD_SHM_REQUEST_H
#define INFERD_SHM_REQUEST_H

#include "kserve.h"
#include "shm_registry.h"

/* The regions a request's outputs go to, held from parsing to the answer. */
typedef struct shm_request {
    shm_region_t *outputs[REQUEST_MAX_TENSORS]; /* by model output; NULL: not in shared memory */
} shm_request_t;

/*
 * After a successful parse: fills the data of every input prefs->shm_inputs
 * names (the parser checked its size against its shape) from its region,
 * BOOL bytes made 0 or 1, and takes a reference to the region of every
 * output in prefs->shm_outputs. The inputs read count as the request's
 * body: together at most max_bytes (--max-body-bytes), or TOO_LARGE, so
 * that a small request cannot make the server allocate more than a body
 * could. INVALID_ARGUMENT naming the tensor and the region when a region
 * is not registered, too small for the offset and size, read-only for an
 * output, or has shrunk. held must be zeroed; on failure it may hold some
 * regions, which shm_request_release lets go.
 */
status_t shm_request_prepare(shm_registry_t *registry, const model_config_t *cfg,
                             const kserve_output_prefs_t *prefs, size_t max_bytes, request_t *req,
                             shm_request_t *held, error_t *err);

/*
 * After a successful run: writes every held output's result into its
 * region and lets the region go. INVALID_ARGUMENT when a result is larger
 * than the shared_memory_byte_size the client gave for it.
 */
status_t shm_request_write(shm_request_t *held, const model_config_t *cfg,
                           const kserve_output_prefs_t *prefs, const request_t *req, error_t *err);

/* Lets go of every region still held; a zeroed one is fine. */
void shm_request_release(shm_request_t *held);

#endif
