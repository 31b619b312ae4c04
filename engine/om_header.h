/*
 * om_header.h - the header of an ATC-compiled Ascend model (.om), checked
 * before the runtime sees the file: a corrupt, truncated or foreign file
 * gets a clear error naming what is wrong, not the runtime's error code.
 *
 * The layout (256 bytes, little-endian) is Graph Engine's ModelFileHeader;
 * no public specification exists, so only the fields Graph Engine itself
 * checks are relied on: the magic "IMOD", the header size, and the model's
 * declared length (model_length, or length when that is 0), which must be
 * exactly what follows the header. Newer runtimes also accept "OM2"
 * models, which are ZIP files ("PK\3\4"): those are recognised and left
 * to the runtime to check.
 */
#ifndef INFERD_OM_HEADER_H
#define INFERD_OM_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Bytes of the header, and the least an .om file can have. */
#define OM_HEADER_BYTES 256

/* The magic as a little-endian uint32: the file begins "IMOD". */
#define OM_MAGIC 0x444F4D49u

/* Longest model name the header holds, its terminator excluded. */
#define OM_NAME_MAX 32

typedef struct om_header {
    bool om2;                   /* a ZIP-packaged OM2 model: no fields read */
    uint32_t version;           /* 0x20000000 for "2.0" */
    uint8_t model_type;         /* 0 IR, 1 standard, 2 tiny, 3 flow, 4 lite, 5 bundle */
    char name[OM_NAME_MAX + 1]; /* NUL-terminated copy */
    uint64_t model_bytes;       /* what follows the header */
} om_header_t;

/*
 * Checks the first bytes of a file of file_size bytes (n_bytes of them
 * given, at most OM_HEADER_BYTES are read) and fills *out. Fails with
 * STATUS_INVALID_ARGUMENT naming the problem: too short, not an .om file,
 * a header size other than 256, an encrypted model, or a declared length
 * that disagrees with the file's size (truncated or with bytes appended).
 */
status_t om_header_check(const uint8_t *bytes, size_t n_bytes, uint64_t file_size, om_header_t *out,
                         error_t *err);

/* Reads the header of the file at path and checks it with om_header_check. */
status_t om_header_read_file(const char *path, om_header_t *out, error_t *err);

#endif
