/*
 * fuzz_tfserving_grpc.c - TF Serving's gRPC request messages as the front
 * end takes them: the payload unpacked from a byte buffer into an arena
 * (grpc_unpack_message), then what its handler does. PredictRequest: its
 * ModelSpec (tfserving_grpc_model_spec), its tensors parsed against each of
 * fuzz_config's models (tfserving_grpc_parse_predict), the batch plan they
 * are cut into, and the PredictResponse written from completed parts, which
 * must pack and unpack again. GetModelMetadataRequest and
 * GetModelStatusRequest: their checks, and the answers they lead to.
 *
 * Input: byte 0 picks the case:
 *   bits 0-1  the model config (fuzz_config)
 *   bit 2     a 16-element limit per tensor instead of the server's default
 *   bits 4-5  the message: 0 PredictRequest, 1 GetModelMetadataRequest,
 *             2 GetModelStatusRequest (3 is 0 again)
 * and the rest is the serialized message.
 */
#include <string.h>

#include "fuzz_util.h"
#include "grpc_internal.h"
#include "kserve_input.h"
#include "tfserving_grpc.h"

#define FUZZ_LIMIT_SMALL 16
/* Bytes tensors may take when filled from fewer values (the server passes --max-body-bytes). */
#define FUZZ_FILL_BYTES (1 << 20)

enum { MSG_PREDICT = 0, MSG_METADATA = 1, MSG_STATUS = 2 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    grpc_init();
    return 0;
}

/* msg packed, and unpacked again as its own type: what a client would read. */
static void round_trip(const ProtobufCMessage *msg, arena_t *arena)
{
    size_t size = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = arena_alloc(arena, size + 1);
    ProtobufCAllocator allocator;

    if (!buf)
        return;
    FUZZ_CHECK(protobuf_c_message_pack(msg, buf) == size);
    kserve_grpc_allocator(arena, &allocator);
    FUZZ_CHECK(protobuf_c_message_unpack(msg->descriptor, &allocator, size, buf) != NULL);
}

/* A failure keeps its promise: a status a request may get, with a message. */
static void check_failure(status_t st, const error_t *err)
{
    FUZZ_CHECK(err->code == st && err->message[0]);
    FUZZ_CHECK(st == STATUS_INVALID_ARGUMENT || st == STATUS_LIMIT_EXCEEDED ||
               st == STATUS_NOT_FOUND || st == STATUS_FAILED_PRECONDITION ||
               st == STATUS_UNSUPPORTED || st == STATUS_OUT_OF_MEMORY);
}

/* The spec's promise: a name and a version of -1 (the latest) or more, or a failure. */
static void model_spec(const Tensorflow__Serving__ModelSpec *spec)
{
    const char *name;
    int64_t version;
    error_t err = {0};
    status_t st = tfserving_grpc_model_spec(spec, &name, &version, &err);

    if (st != STATUS_OK)
        check_failure(st, &err);
    else
        FUZZ_CHECK(name && version >= -1);
}

static void predict(const model_config_t *cfg, int64_t limit, const uint8_t *data, size_t size,
                    arena_t *arena)
{
    Tensorflow__Serving__PredictRequest *q =
        (Tensorflow__Serving__PredictRequest *)fuzz_grpc_unpack(
            &tensorflow__serving__predict_request__descriptor, data, size, arena);
    Tensorflow__Serving__PredictResponse *resp;
    tensor_t outputs[MODEL_CONFIG_MAX_IO];
    batch_plan_t plan;
    uint64_t mask;
    error_t err = {0};
    status_t st;

    if (!q)
        return;
    model_spec(q->model_spec);
    batch_plan_init(&plan, cfg);
    st = tfserving_grpc_parse_predict(q, cfg, limit, FUZZ_FILL_BYTES, &plan, &mask, &err);
    if (st != STATUS_OK) {
        check_failure(st, &err);
        goto cleanup;
    }
    FUZZ_CHECK(plan.n_units == 1 && plan.units[0].inputs && plan.units[0].rows >= 1);
    fuzz_check_inputs(cfg, plan.units[0].inputs, NULL, limit);
    FUZZ_CHECK(mask != 0 && (mask & ~kserve_all_outputs_mask(cfg->n_outputs)) == 0);
    if (!fuzz_run_plan(&plan) || batch_plan_outputs(&plan, 0, outputs, &err) != STATUS_OK)
        goto cleanup;
    st = tfserving_grpc_predict_response(cfg, 1, outputs, mask, arena, &resp, &err);
    FUZZ_CHECK(st == STATUS_OK || st == STATUS_OUT_OF_MEMORY);
    if (st == STATUS_OK)
        round_trip(&resp->base, arena);

cleanup:
    batch_plan_free(&plan);
}

static void metadata(const model_config_t *cfg, const uint8_t *data, size_t size, arena_t *arena)
{
    Tensorflow__Serving__GetModelMetadataRequest *q =
        (Tensorflow__Serving__GetModelMetadataRequest *)fuzz_grpc_unpack(
            &tensorflow__serving__get_model_metadata_request__descriptor, data, size, arena);
    Tensorflow__Serving__GetModelMetadataResponse *r;
    const char *name;
    int64_t version;
    error_t err = {0};
    status_t st;

    if (!q)
        return;
    st = tfserving_grpc_metadata_request(q, &name, &version, &err);
    if (st != STATUS_OK) {
        check_failure(st, &err);
        return;
    }
    FUZZ_CHECK(name && version >= -1);
    r = tfserving_grpc_metadata_response(cfg, 1, arena);
    if (r)
        round_trip(&r->base, arena);
}

static void model_status(const uint8_t *data, size_t size, arena_t *arena)
{
    /* An index as the repository gives it: one model with a served and a failed version. */
    static const kserve_index_entry_t index[] = {
        {"simple", "1", KSERVE_MODEL_READY, NULL},
        {"simple", "2", KSERVE_MODEL_UNAVAILABLE, "failed to load"},
        {"batched", NULL, KSERVE_MODEL_UNAVAILABLE, "not loaded"},
    };
    enum { N_INDEX = sizeof index / sizeof index[0] };
    Tensorflow__Serving__GetModelStatusRequest *q =
        (Tensorflow__Serving__GetModelStatusRequest *)fuzz_grpc_unpack(
            &tensorflow__serving__get_model_status_request__descriptor, data, size, arena);
    tfserving_version_status_t statuses[N_INDEX];
    Tensorflow__Serving__GetModelStatusResponse *r;
    const char *name;
    int64_t version;
    error_t err = {0};
    status_t st;
    int n;

    if (!q)
        return;
    st = tfserving_grpc_status_request(q, &name, &version, &err);
    if (st == STATUS_OK)
        st = tfserving_version_statuses(index, N_INDEX, name, version, statuses, &n, &err);
    if (st != STATUS_OK) {
        check_failure(st, &err);
        return;
    }
    FUZZ_CHECK(n >= 1 && n <= N_INDEX);
    r = tfserving_grpc_status_response(statuses, n, arena);
    if (r)
        round_trip(&r->base, arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const model_config_t *cfg;
    arena_t arena = {0};
    int64_t limit;

    if (size < 1)
        return 0;
    cfg = fuzz_config(data[0] & 3);
    limit = data[0] & 4 ? FUZZ_LIMIT_SMALL : 0;
    arena_init(&arena);
    switch ((data[0] >> 4) & 3) {
    case MSG_METADATA:
        metadata(cfg, data + 1, size - 1, &arena);
        break;
    case MSG_STATUS:
        model_status(data + 1, size - 1, &arena);
        break;
    default:
        predict(cfg, limit, data + 1, size - 1, &arena);
        break;
    }
    arena_release(&arena);
    return 0;
}
