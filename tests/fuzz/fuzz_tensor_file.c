/*
 * fuzz_tensor_file.c - ONNX TensorProto files (tensor_file_read), as
 * `inferd run` reads its inputs. A tensor read is written back with
 * tensor_file_write and must read back the same.
 *
 * Input: the file.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_util.h"
#include "tensor_file.h"

static char in_path[PATH_MAX], out_path[PATH_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *root = fuzz_scratch_dir();

    (void)argc;
    (void)argv;
    snprintf(in_path, sizeof in_path, "%s/input.pb", root);
    snprintf(out_path, sizeof out_path, "%s/output.pb", root);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena_t arena = {0};
    tensor_t t, back;
    const char *name = NULL, *name_back = NULL;
    error_t err = {0};
    int64_t numel;
    status_t st;

    if (!in_path[0])
        LLVMFuzzerInitialize(NULL, NULL);
    FUZZ_CHECK(fuzz_write_file(in_path, data, size));
    st = tensor_file_read(in_path, &arena, &t, &name, &err);
    if (st != STATUS_OK) {
        FUZZ_CHECK(err.code == st && strstr(err.message, in_path) != NULL);
        goto cleanup;
    }
    FUZZ_CHECK(name != NULL);
    FUZZ_CHECK(shape_valid(t.rank, t.dims, &numel));
    FUZZ_CHECK(t.data != NULL);
    /* What was read fits in the file (its typed fields use at least a byte a value). */
    FUZZ_CHECK(numel == 0 || (uint64_t)numel <= size);
    st = tensor_file_write(out_path, name, &t, &err);
    FUZZ_CHECK(st == STATUS_OK);
    st = tensor_file_read(out_path, &arena, &back, &name_back, &err);
    FUZZ_CHECK(st == STATUS_OK);
    FUZZ_CHECK(strcmp(name, name_back) == 0);
    FUZZ_CHECK(back.dtype == t.dtype && shape_equal(back.rank, back.dims, t.rank, t.dims));
    FUZZ_CHECK(memcmp(back.data, t.data, tensor_bytes(&t)) == 0);
cleanup:
    arena_release(&arena);
    return 0;
}
