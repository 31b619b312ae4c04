#include "protobuf_wire.h"

static bool read_varint(wire_reader_t *r, uint64_t *out)
{
    uint64_t value = 0;

    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t byte;
        if (r->pos == r->end)
            return false;
        byte = *r->pos++;
        value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = value;
            return true;
        }
    }
    return false;
}

static bool skip(wire_reader_t *r, size_t n)
{
    if ((size_t)(r->end - r->pos) < n)
        return false;
    r->pos += n;
    return true;
}

bool wire_next(wire_reader_t *r, wire_field_t *f)
{
    uint64_t tag, len;

    if (r->pos == r->end || r->corrupt)
        return false;
    if (!read_varint(r, &tag) || (tag >> 3) == 0 || (tag >> 3) > UINT32_MAX)
        goto corrupt;
    f->number = (uint32_t)(tag >> 3);
    f->type = (int)(tag & 7);
    f->data = NULL;
    f->len = 0;
    switch (f->type) {
    case WIRE_VARINT:
        if (!read_varint(r, &f->varint))
            goto corrupt;
        return true;
    case WIRE_FIXED64:
        if (!skip(r, 8))
            goto corrupt;
        return true;
    case WIRE_FIXED32:
        if (!skip(r, 4))
            goto corrupt;
        return true;
    case WIRE_BYTES:
        if (!read_varint(r, &len) || len > (uint64_t)(r->end - r->pos))
            goto corrupt;
        f->data = r->pos;
        f->len = (size_t)len;
        r->pos += len;
        return true;
    default:
        break; /* groups (3, 4) are deprecated and never used by ONNX */
    }
corrupt:
    r->corrupt = true;
    return false;
}
