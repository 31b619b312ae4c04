/*
 * om_header.c - reads and checks an .om file's header (om_header.h).
 */
#include "om_header.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Field offsets in the header (Graph Engine's ModelFileHeader). */
#define OM_AT_MAGIC        0
#define OM_AT_HEADSIZE     4
#define OM_AT_VERSION      8
#define OM_AT_LENGTH       76
#define OM_AT_IS_ENCRYPT   80
#define OM_AT_MODEL_TYPE   82
#define OM_AT_NAME         84
#define OM_AT_MODEL_LENGTH 184

static uint32_t read_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t read_u64(const uint8_t *p)
{
    return (uint64_t)read_u32(p) | (uint64_t)read_u32(p + 4) << 32;
}

status_t om_header_check(const uint8_t *bytes, size_t n_bytes, uint64_t file_size, om_header_t *out,
                         error_t *err)
{
    static const uint8_t zip[4] = {'P', 'K', 3, 4};
    uint32_t headsize;
    uint64_t declared;

    memset(out, 0, sizeof *out);
    if (n_bytes >= sizeof zip && file_size >= sizeof zip && memcmp(bytes, zip, sizeof zip) == 0) {
        out->om2 = true;
        out->model_bytes = file_size;
        return STATUS_OK;
    }
    if (file_size < OM_HEADER_BYTES || n_bytes < OM_HEADER_BYTES)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%llu bytes is too short for an .om model: its header alone takes %d",
                         (unsigned long long)file_size, OM_HEADER_BYTES);
    if (read_u32(bytes + OM_AT_MAGIC) != OM_MAGIC)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "not an .om model: it does not begin with \"IMOD\" (ATC's magic)");
    headsize = read_u32(bytes + OM_AT_HEADSIZE);
    if (headsize != OM_HEADER_BYTES)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "the .om header declares %u bytes of header, not %d", headsize,
                         OM_HEADER_BYTES);
    if (bytes[OM_AT_IS_ENCRYPT])
        return error_set(err, STATUS_UNSUPPORTED,
                         "the .om model is encrypted, which inferd "
                         "does not support (compile it without encryption)");
    declared = read_u64(bytes + OM_AT_MODEL_LENGTH);
    if (declared == 0)
        declared = read_u32(bytes + OM_AT_LENGTH);
    if (declared != file_size - OM_HEADER_BYTES)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "the .om header declares %llu bytes of model, but %llu follow it (%s)",
                         (unsigned long long)declared,
                         (unsigned long long)(file_size - OM_HEADER_BYTES),
                         declared > file_size - OM_HEADER_BYTES ? "the file is truncated"
                                                                : "bytes were appended");
    out->version = read_u32(bytes + OM_AT_VERSION);
    out->model_type = bytes[OM_AT_MODEL_TYPE];
    memcpy(out->name, bytes + OM_AT_NAME, OM_NAME_MAX);
    out->name[OM_NAME_MAX] = '\0';
    out->model_bytes = declared;
    return STATUS_OK;
}

status_t om_header_read_file(const char *path, om_header_t *out, error_t *err)
{
    uint8_t head[OM_HEADER_BYTES];
    FILE *f = fopen(path, "rb");
    struct stat st;
    size_t n;
    status_t rc;

    if (!f)
        return error_set(err, errno == ENOENT ? STATUS_NOT_FOUND : STATUS_INVALID_ARGUMENT,
                         "%s: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return error_set(err, STATUS_INVALID_ARGUMENT, "%s: not a regular file", path);
    }
    n = fread(head, 1, sizeof head, f);
    fclose(f);
    rc = om_header_check(head, n, (uint64_t)st.st_size, out, err);
    if (rc)
        error_prefix(err, "%s", path);
    return rc;
}
