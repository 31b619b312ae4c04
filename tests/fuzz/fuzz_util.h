/*
 * fuzz_util.h - what the harnesses of tests/fuzz share: a private scratch
 * folder for the entry points that read files, and the model configs the
 * request decoders parse against.
 *
 * Every harness defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize); libFuzzer drives it in fuzz_<target>, and
 * replay_main.c feeds it committed files in replay_<target>.
 */
#ifndef INFERD_FUZZ_UTIL_H
#define INFERD_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "batch_plan.h"
#include "kserve.h"
#include "model_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * Aborts with a message when cond is false: a harness's own check that an
 * entry point kept its promise (a successful parse gives a valid shape).
 * Unlike assert it stays in release builds, where the replays run.
 */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__FILE__, __LINE__, #cond);                                                  \
    } while (0)

_Noreturn void fuzz_fail(const char *file, int line, const char *what);

/*
 * The harness's scratch folder, created on first use under $TMPDIR (or
 * /tmp) and removed with everything in it when the process exits. The
 * string is owned by the harness and lives until exit.
 */
const char *fuzz_scratch_dir(void);

/* Writes size bytes to path, replacing it (a new file); false when the write fails. */
bool fuzz_write_file(const char *path, const void *data, size_t size);

/* Removes path and, for a folder, everything under it (symlinks are not followed). */
void fuzz_remove_tree(const char *path);

/*
 * The model configs request decoders are fuzzed against, as a completed
 * config of a served model looks:
 *   0 "simple":  x FP32 [2,3], y INT64 [-1] -> sum FP32 [2,3], count INT64 [1]
 *   1 "batched": max_batch_size 4, x FP32 [3], mask BOOL [-1] -> y FP32 [3]
 *   2 "dtypes":  one [4] input and output per dtype KServe carries
 *   3 "image":   max_batch_size 8, image UINT8 [-1,-1,3] -> label INT64 [1]
 * Owned by the harness; built on first use.
 */
#define FUZZ_CONFIG_COUNT 4
const model_config_t *fuzz_config(int index);

/*
 * Cuts a parsed plan (batch_plan_cut, whose only failures may be
 * LIMIT_EXCEEDED and OUT_OF_MEMORY), checks what the cut promises (every
 * part holds the model's inputs with at most max_batch_size rows, and the
 * parts hold every row of every accepted unit, in order), and completes
 * every part as a model would: each output of the plan's config with the
 * part's rows as its batch dim, variable dims 1, zero-filled in the part's
 * arena, status OK. True when the parts completed, so that a codec's answer
 * can be written from the plan without running a model.
 */
bool fuzz_run_plan(batch_plan_t *plan);

/*
 * Checks a parsed request's inputs (cfg->n_inputs of them): the model's
 * dtypes, valid shapes within limit elements (<= 0: no limit but
 * TENSOR_MAX_ELEMENTS), and data whose first and last bytes can be read,
 * or, for an input shm (by model input; NULL: none) puts in shared
 * memory, no data yet and a window of exactly the tensor's size.
 */
void fuzz_check_inputs(const model_config_t *cfg, const tensor_t *inputs,
                       const kserve_shm_ref_t *shm, int64_t limit);

/*
 * A gRPC request payload as the server receives it (one slice in a raw
 * byte buffer) unpacked by grpc_unpack_message into arena; NULL when it is
 * no message of type desc. Needs grpc_init (the harness's
 * LLVMFuzzerInitialize).
 */
ProtobufCMessage *fuzz_grpc_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                                   size_t size, arena_t *arena);

#endif
