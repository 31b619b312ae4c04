#include "onnx_tensor.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Copies n typed values into dst, converting each to the element type. */
#define COPY_CONVERTED(dst_type, dst, src, n)                                                      \
    do {                                                                                           \
        for (size_t i_ = 0; i_ < (n); i_++)                                                        \
            ((dst_type *)(dst))[i_] = (dst_type)(src)[i_];                                         \
    } while (0)

/*
 * How many values tp holds in the typed field that carries dtype (ONNX
 * puts the small integer types, BOOL and the bit patterns of FLOAT16 and
 * BFLOAT16 in int32_data, UINT32 in uint64_data); false for a dtype no typed field carries here.
 */
static bool typed_count(const Onnx__TensorProto *tp, dtype_t dtype, size_t *have)
{
    switch (dtype) {
    case DTYPE_FLOAT:
        *have = tp->n_float_data;
        return true;
    case DTYPE_INT64:
        *have = tp->n_int64_data;
        return true;
    case DTYPE_DOUBLE:
        *have = tp->n_double_data;
        return true;
    case DTYPE_UINT32:
    case DTYPE_UINT64:
        *have = tp->n_uint64_data;
        return true;
    case DTYPE_INT32:
    case DTYPE_INT16:
    case DTYPE_UINT16:
    case DTYPE_INT8:
    case DTYPE_UINT8:
    case DTYPE_BOOL:
    case DTYPE_FLOAT16: /* the 16 bits of each value, one per int32 */
    case DTYPE_BFLOAT16:
        *have = tp->n_int32_data;
        return true;
    default:
        return false;
    }
}

/*
 * Copies numel values of out->dtype from tp's typed field into out->data,
 * which holds numel elements; typed_count has said the field has exactly
 * numel, and numel > 0 (an empty field may have a NULL array).
 */
static void copy_typed(const Onnx__TensorProto *tp, tensor_t *out, size_t numel)
{
    assert(numel > 0);
    switch (out->dtype) {
    case DTYPE_FLOAT:
        memcpy(out->data, tp->float_data, numel * sizeof(float));
        break;
    case DTYPE_INT64:
        memcpy(out->data, tp->int64_data, numel * sizeof(int64_t));
        break;
    case DTYPE_DOUBLE:
        memcpy(out->data, tp->double_data, numel * sizeof(double));
        break;
    case DTYPE_UINT32:
        COPY_CONVERTED(uint32_t, out->data, tp->uint64_data, numel);
        break;
    case DTYPE_UINT64:
        memcpy(out->data, tp->uint64_data, numel * sizeof(uint64_t));
        break;
    case DTYPE_INT32:
        memcpy(out->data, tp->int32_data, numel * sizeof(int32_t));
        break;
    case DTYPE_INT16:
        COPY_CONVERTED(int16_t, out->data, tp->int32_data, numel);
        break;
    case DTYPE_UINT16:
    case DTYPE_FLOAT16:
    case DTYPE_BFLOAT16:
        COPY_CONVERTED(uint16_t, out->data, tp->int32_data, numel);
        break;
    case DTYPE_INT8:
        COPY_CONVERTED(int8_t, out->data, tp->int32_data, numel);
        break;
    case DTYPE_UINT8:
        COPY_CONVERTED(uint8_t, out->data, tp->int32_data, numel);
        break;
    case DTYPE_BOOL:
        for (size_t i = 0; i < numel; i++)
            ((uint8_t *)out->data)[i] = tp->int32_data[i] != 0;
        break;
    default:
        assert(!"typed_count accepted a dtype copy_typed does not know");
        break;
    }
}

/*
 * Reads an external data offset or length: decimal digits only (strtoll
 * would take "-1", " 5" or "5x", and saturate on overflow).
 */
static bool parse_size(const char *text, long long *out)
{
    long long n = 0;

    if (!*text)
        return false;
    for (const char *p = text; *p; p++) {
        int digit = *p - '0';
        if (digit < 0 || digit > 9 || n > (LLONG_MAX - digit) / 10)
            return false;
        n = n * 10 + digit;
    }
    *out = n;
    return true;
}

/*
 * Resolves an external data location against model_dir, refusing absolute
 * paths, ".." components and symlinks that lead outside the folder.
 */
static status_t resolve_external_path(const char *model_dir, const char *location, const char *what,
                                      char *resolved, error_t *err)
{
    char joined[PATH_MAX];
    char dir_real[PATH_MAX];
    size_t dir_len;
    const char *p = location;

    if (location[0] == '/' || location[0] == '\0')
        return error_set(err, STATUS_INVALID_MODEL,
                         "%s: external data location '%s' must be a relative path", what, location);
    while (*p) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return error_set(err, STATUS_INVALID_MODEL,
                             "%s: external data location '%s' leaves the model's folder", what,
                             location);
        p += len;
        p += *p == '/';
    }
    if (snprintf(joined, sizeof joined, "%s/%s", model_dir, location) >= (int)sizeof joined)
        return error_set(err, STATUS_INVALID_MODEL, "%s: external data path is too long", what);
    if (!realpath(model_dir, dir_real))
        return error_set(err, STATUS_IO, "%s: cannot resolve model folder '%s': %s", what,
                         model_dir, strerror(errno));
    if (!realpath(joined, resolved))
        return error_set(err, STATUS_NOT_FOUND, "%s: external data file '%s': %s", what, joined,
                         strerror(errno));
    dir_len = strlen(dir_real);
    if (strncmp(resolved, dir_real, dir_len) != 0 || resolved[dir_len] != '/')
        return error_set(err, STATUS_INVALID_MODEL,
                         "%s: external data location '%s' resolves outside the model's folder",
                         what, location);
    return STATUS_OK;
}

/*
 * Reads the external data of tp (bytes bytes) into a new arena block
 * (*data). Everything is checked before the allocation: the keys, the
 * location (inside model_dir), and that the file is a regular file holding
 * offset + bytes, so a reference to more data than exists allocates
 * nothing.
 */
static status_t read_external(const Onnx__TensorProto *tp, const char *model_dir, const char *what,
                              arena_t *arena, size_t bytes, void **data, error_t *err)
{
    const char *location = NULL;
    long long offset = 0, length = -1;
    char path[PATH_MAX];
    struct stat info;
    FILE *f = NULL;
    status_t st;

    *data = NULL;
    if (!model_dir)
        return error_set(err, STATUS_INVALID_MODEL, "%s: external data is not allowed here", what);
    if (tp->n_external_data > ONNX_EXTERNAL_MAX_KEYS)
        return error_set(err, STATUS_INVALID_MODEL,
                         "%s: external data has %zu keys, over the limit of %d", what,
                         tp->n_external_data, ONNX_EXTERNAL_MAX_KEYS);
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = tp->external_data[i];
        if (!e->key || !e->value)
            continue;
        if (strcmp(e->key, "location") == 0)
            location = e->value;
        else if (strcmp(e->key, "offset") == 0 && !parse_size(e->value, &offset))
            return error_set(err, STATUS_INVALID_MODEL,
                             "%s: external data offset '%.32s' is not a number of bytes", what,
                             e->value);
        else if (strcmp(e->key, "length") == 0 && !parse_size(e->value, &length))
            return error_set(err, STATUS_INVALID_MODEL,
                             "%s: external data length '%.32s' is not a number of bytes", what,
                             e->value);
    }
    if (!location)
        return error_set(err, STATUS_INVALID_MODEL, "%s: external data has no location", what);
    if ((length >= 0 && (unsigned long long)length != bytes) ||
        (long long)bytes > ONNX_EXTERNAL_MAX_BYTES)
        return error_set(err, STATUS_INVALID_MODEL,
                         "%s: external data length %lld does not match the %zu bytes its shape "
                         "needs (at most %lld)",
                         what, length, bytes, (long long)ONNX_EXTERNAL_MAX_BYTES);
    st = resolve_external_path(model_dir, location, what, path, err);
    if (st)
        return st;
    f = fopen(path, "rb");
    if (!f)
        return error_set(err, STATUS_IO, "%s: cannot open external data '%s': %s", what, path,
                         strerror(errno));
    if (fstat(fileno(f), &info) != 0 || !S_ISREG(info.st_mode)) {
        st = error_set(err, STATUS_INVALID_MODEL, "%s: external data '%s' is not a regular file",
                       what, path);
        goto cleanup;
    }
    /* offset <= 2^63 - 1 and bytes <= ONNX_EXTERNAL_MAX_BYTES: the sum cannot overflow. */
    if ((unsigned long long)info.st_size < (unsigned long long)offset + bytes) {
        st = error_set(err, STATUS_INVALID_MODEL,
                       "%s: external data '%s' has %lld bytes, fewer than offset %lld + %zu", what,
                       path, (long long)info.st_size, offset, bytes);
        goto cleanup;
    }
    *data = arena_alloc(arena, bytes ? bytes : 1);
    if (!*data) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "%s: out of memory", what);
        goto cleanup;
    }
    if (fseeko(f, (off_t)offset, SEEK_SET) != 0 || fread(*data, 1, bytes, f) != bytes)
        st = error_set(err, STATUS_IO, "%s: cannot read %zu bytes at offset %lld of '%s'", what,
                       bytes, offset, path);
cleanup:
    fclose(f);
    return st;
}

status_t onnx_tensor_header(const Onnx__TensorProto *tp, const char *what, tensor_t *out,
                            size_t *bytes, error_t *err)
{
    int64_t numel;

    memset(out, 0, sizeof *out);
    out->dtype = (dtype_t)tp->data_type;
    if (tp->data_type <= DTYPE_UNDEFINED || tp->data_type > DTYPE_MAX)
        return error_set(err, STATUS_INVALID_MODEL, "%s: unknown data type %d", what,
                         (int)tp->data_type);
    if (dtype_size(out->dtype) == 0)
        return error_set(err, STATUS_UNSUPPORTED, "%s: dtype %s is not supported", what,
                         dtype_name(out->dtype));
    if (tp->n_dims > TENSOR_MAX_RANK)
        return error_set(err, STATUS_UNSUPPORTED, "%s: rank %zu exceeds the maximum %d", what,
                         tp->n_dims, TENSOR_MAX_RANK);
    out->rank = (int)tp->n_dims;
    for (size_t i = 0; i < tp->n_dims; i++)
        out->dims[i] = tp->dims[i];
    if (!shape_valid(out->rank, out->dims, &numel)) {
        char shape[128];
        return error_set(err, STATUS_INVALID_MODEL,
                         "%s: shape %s is invalid or exceeds %lld elements", what,
                         shape_format(out->rank, out->dims, shape, sizeof shape),
                         (long long)TENSOR_MAX_ELEMENTS);
    }
    *bytes = (size_t)numel * dtype_size(out->dtype);
    return STATUS_OK;
}

status_t onnx_tensor_convert(Onnx__TensorProto *tp, const char *model_dir, const char *what,
                             arena_t *arena, tensor_t *out, error_t *err)
{
    size_t bytes = 0, numel, have;
    status_t st = onnx_tensor_header(tp, what, out, &bytes, err);

    if (st)
        return st;
    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return read_external(tp, model_dir, what, arena, bytes, &out->data, err);
    if (tp->has_raw_data) {
        if (tp->raw_data.len != bytes)
            return error_set(err, STATUS_INVALID_MODEL,
                             "%s: raw_data has %zu bytes, its shape needs %zu", what,
                             tp->raw_data.len, bytes);
        if (bytes == 0) {
            out->data = arena_alloc(arena, 1);
        } else {
            /* Take the buffer protobuf-c allocated rather than copy it. */
            out->data = tp->raw_data.data;
            tp->raw_data.data = NULL;
            tp->raw_data.len = 0;
            if (arena_adopt(arena, out->data) != 0)
                out->data = NULL;
        }
        if (!out->data)
            return error_set(err, STATUS_OUT_OF_MEMORY, "%s: out of memory", what);
        return STATUS_OK;
    }
    /* The values must be there before their room is allocated: dims alone prove nothing. */
    numel = bytes / dtype_size(out->dtype);
    if (!typed_count(tp, out->dtype, &have))
        return error_set(err, STATUS_UNSUPPORTED, "%s: dtype %s is not supported", what,
                         dtype_name(out->dtype));
    if (have != numel)
        return error_set(err, STATUS_INVALID_MODEL, "%s: holds %zu values, its shape needs %zu",
                         what, have, numel);
    out->data = arena_alloc(arena, bytes ? bytes : 1);
    if (!out->data)
        return error_set(err, STATUS_OUT_OF_MEMORY, "%s: out of memory", what);
    if (numel > 0)
        copy_typed(tp, out, numel);
    return STATUS_OK;
}
