#include "tensor_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx_tensor.h"

status_t tensor_file_read(const char *path, arena_t *arena, tensor_t *out, const char **name,
                          error_t *err)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t *bytes = NULL;
    Onnx__TensorProto *tp = NULL;
    status_t rc = STATUS_OK;

    if (!f)
        return error_set(err, errno == ENOENT ? STATUS_NOT_FOUND : STATUS_IO,
                         "cannot open tensor file '%s': %s", path, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || st.st_size > TENSOR_FILE_MAX_BYTES) {
        rc = error_set(err, STATUS_LIMIT_EXCEEDED, "tensor file '%s' is too large", path);
        goto cleanup;
    }
    bytes = malloc((size_t)st.st_size + 1);
    if (!bytes) {
        rc = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory reading '%s'", path);
        goto cleanup;
    }
    if (fread(bytes, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        rc = error_set(err, STATUS_IO, "cannot read tensor file '%s'", path);
        goto cleanup;
    }
    tp = onnx__tensor_proto__unpack(NULL, (size_t)st.st_size, bytes);
    if (!tp) {
        rc = error_set(err, STATUS_INVALID_ARGUMENT, "'%s' is not a valid TensorProto file", path);
        goto cleanup;
    }
    rc = onnx_tensor_convert(tp, NULL, path, arena, out, err);
    if (!rc) {
        *name = arena_strdup(arena, tp->name ? tp->name : "");
        if (!*name)
            rc = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    }
cleanup:
    if (tp)
        onnx__tensor_proto__free_unpacked(tp, NULL);
    free(bytes);
    fclose(f);
    return rc;
}

status_t tensor_file_write(const char *path, const char *name, const tensor_t *t, error_t *err)
{
    Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
    int64_t dims[TENSOR_MAX_RANK];
    uint8_t *packed = NULL;
    size_t size;
    FILE *f = NULL;
    status_t rc = STATUS_OK;

    for (int d = 0; d < t->rank; d++)
        dims[d] = t->dims[d];
    tp.n_dims = (size_t)t->rank;
    tp.dims = dims;
    tp.has_data_type = 1;
    tp.data_type = t->dtype;
    tp.name = (char *)name;
    tp.has_raw_data = 1;
    tp.raw_data.len = tensor_bytes(t);
    tp.raw_data.data = t->data;
    size = onnx__tensor_proto__get_packed_size(&tp);
    packed = malloc(size + 1);
    if (!packed)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing '%s'", path);
    onnx__tensor_proto__pack(&tp, packed);
    f = fopen(path, "wb");
    if (!f) {
        rc = error_set(err, STATUS_IO, "cannot create '%s': %s", path, strerror(errno));
        goto cleanup;
    }
    if (fwrite(packed, 1, size, f) != size || fflush(f) != 0)
        rc = error_set(err, STATUS_IO, "cannot write '%s': %s", path, strerror(errno));
cleanup:
    if (f)
        fclose(f);
    free(packed);
    return rc;
}
