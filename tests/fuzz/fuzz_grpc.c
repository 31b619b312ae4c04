/*
 * fuzz_grpc.c - the gRPC request messages as the front end takes them: the
 * payload unpacked from a byte buffer into an arena (grpc_unpack_message),
 * then what its handler reads. ModelInferRequest (unary and streamed) goes
 * through kserve_grpc_parse_infer_request against each of fuzz_config's
 * models; the others through the version parser and the UTF-8 cleaning
 * their names get in messages, and the shared memory ones through the
 * name and key checks of registration.
 *
 * Input: byte 0 picks the message (below), byte 1 for ModelInfer the
 * model config (bits 0-1) and a 16-element tensor limit (bit 2); the rest
 * is the serialized message.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz_util.h"
#include "grpc_internal.h"
#include "health.pb-c.h"
#include "kserve_shm.h"

/* The request messages of inference.proto and health.proto, in the order byte 0 picks them. */
static const ProtobufCMessageDescriptor *const requests[] = {
    &inference__model_infer_request__descriptor,
    &inference__server_live_request__descriptor,
    &inference__server_ready_request__descriptor,
    &inference__model_ready_request__descriptor,
    &inference__server_metadata_request__descriptor,
    &inference__model_metadata_request__descriptor,
    &inference__model_config_request__descriptor,
    &inference__model_statistics_request__descriptor,
    &inference__repository_index_request__descriptor,
    &inference__repository_model_load_request__descriptor,
    &inference__repository_model_unload_request__descriptor,
    &grpc__health__v1__health_check_request__descriptor,
    &inference__system_shared_memory_status_request__descriptor,
    &inference__system_shared_memory_register_request__descriptor,
    &inference__system_shared_memory_unregister_request__descriptor,
};
#define N_REQUESTS (sizeof requests / sizeof requests[0])

/* --max-tensor-elements: the server's default, or small to test the limit. */
#define FUZZ_LIMIT_DEFAULT 0
#define FUZZ_LIMIT_SMALL   16

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    grpc_init();
    return 0;
}

/* What the handlers do with a model name and version. */
static void name_and_version(arena_t *arena, const char *name, const char *version)
{
    int64_t v = -2;
    error_t err = {0};

    FUZZ_CHECK(name && version);
    FUZZ_CHECK(kserve_grpc_text(arena, name) != NULL);
    if (grpc_parse_version(version, &v, &err) == STATUS_OK) {
        char back[24];
        const char *digits = version;
        FUZZ_CHECK(v >= -1 && (v >= 0) == (version[0] != '\0'));
        /* The number read is the number written: no sign, no spaces, no overflow. */
        while (digits[0] == '0' && digits[1])
            digits++;
        snprintf(back, sizeof back, "%lld", (long long)v);
        FUZZ_CHECK(v < 0 || strcmp(back, digits) == 0);
    } else {
        FUZZ_CHECK(err.message[0] && kserve_grpc_text(arena, err.message));
    }
}

static void model_infer(const uint8_t *data, size_t size)
{
    const model_config_t *cfg;
    Inference__ModelInferRequest *q;
    request_t *req;
    kserve_output_prefs_t prefs;
    error_t err = {0};
    int64_t limit;
    status_t st;

    if (size < 1)
        return;
    cfg = fuzz_config(data[0] & 3);
    limit = data[0] & 4 ? FUZZ_LIMIT_SMALL : FUZZ_LIMIT_DEFAULT;
    req = request_create();
    if (!req)
        return;
    q = (Inference__ModelInferRequest *)fuzz_grpc_unpack(
        &inference__model_infer_request__descriptor, data + 1, size - 1, &req->arena);
    if (q) {
        name_and_version(&req->arena, q->model_name, q->model_version);
        st = kserve_grpc_parse_infer_request(q, cfg, limit, req, &prefs, &err);
        if (st == STATUS_OK) {
            FUZZ_CHECK(req->n_inputs == cfg->n_inputs);
            fuzz_check_inputs(cfg, req->inputs, prefs.shm_inputs, limit);
        } else {
            FUZZ_CHECK(err.code == st && err.message[0]);
            FUZZ_CHECK(kserve_grpc_text(&req->arena, err.message) != NULL);
        }
    }
    request_free(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ProtobufCMessageDescriptor *desc;
    ProtobufCMessage *msg;
    arena_t arena = {0};

    if (size < 1)
        return 0;
    desc = requests[data[0] % N_REQUESTS];
    if (desc == &inference__model_infer_request__descriptor) {
        model_infer(data + 1, size - 1);
        return 0;
    }
    msg = fuzz_grpc_unpack(desc, data + 1, size - 1, &arena);
    if (!msg)
        goto cleanup;
    if (desc == &inference__model_ready_request__descriptor) {
        const Inference__ModelReadyRequest *q = (const void *)msg;
        name_and_version(&arena, q->name, q->version);
    } else if (desc == &inference__model_metadata_request__descriptor) {
        const Inference__ModelMetadataRequest *q = (const void *)msg;
        name_and_version(&arena, q->name, q->version);
    } else if (desc == &inference__model_config_request__descriptor) {
        const Inference__ModelConfigRequest *q = (const void *)msg;
        name_and_version(&arena, q->name, q->version);
    } else if (desc == &inference__model_statistics_request__descriptor) {
        const Inference__ModelStatisticsRequest *q = (const void *)msg;
        name_and_version(&arena, q->name, q->version);
    } else if (desc == &inference__repository_index_request__descriptor) {
        const Inference__RepositoryIndexRequest *q = (const void *)msg;
        FUZZ_CHECK(kserve_grpc_text(&arena, q->repository_name) != NULL);
    } else if (desc == &inference__repository_model_load_request__descriptor) {
        const Inference__RepositoryModelLoadRequest *q = (const void *)msg;
        name_and_version(&arena, q->model_name, "");
        for (size_t i = 0; i < q->n_parameters; i++)
            FUZZ_CHECK(q->parameters[i]->key != NULL);
    } else if (desc == &inference__repository_model_unload_request__descriptor) {
        const Inference__RepositoryModelUnloadRequest *q = (const void *)msg;
        name_and_version(&arena, q->model_name, "");
    } else if (desc == &grpc__health__v1__health_check_request__descriptor) {
        const Grpc__Health__V1__HealthCheckRequest *q = (const void *)msg;
        FUZZ_CHECK(kserve_grpc_text(&arena, q->service) != NULL);
    } else if (desc == &inference__system_shared_memory_register_request__descriptor) {
        /* What the registry checks before it opens anything. */
        const Inference__SystemSharedMemoryRegisterRequest *q = (const void *)msg;
        error_t err = {0};
        if (kserve_shm_check_name(q->name, strlen(q->name), &err) ||
            kserve_shm_check_key(q->key, strlen(q->key), &err))
            FUZZ_CHECK(err.message[0] && kserve_grpc_text(&arena, err.message));
    } else if (desc == &inference__system_shared_memory_status_request__descriptor) {
        const Inference__SystemSharedMemoryStatusRequest *q = (const void *)msg;
        FUZZ_CHECK(kserve_grpc_text(&arena, q->name) != NULL);
    } else if (desc == &inference__system_shared_memory_unregister_request__descriptor) {
        const Inference__SystemSharedMemoryUnregisterRequest *q = (const void *)msg;
        FUZZ_CHECK(kserve_grpc_text(&arena, q->name) != NULL);
    }
cleanup:
    arena_release(&arena);
    return 0;
}
