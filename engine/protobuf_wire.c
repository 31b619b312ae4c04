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

/* Which fields of which messages hold recursive messages (onnx.proto field numbers). */
static const struct {
    wire_message_t parent;
    uint32_t number;
    wire_message_t child;
} nested_fields[] = {
    {WIRE_MSG_NODE, 5, WIRE_MSG_ATTRIBUTE},     /* NodeProto.attribute */
    {WIRE_MSG_ATTRIBUTE, 6, WIRE_MSG_GRAPH},    /* AttributeProto.g */
    {WIRE_MSG_ATTRIBUTE, 11, WIRE_MSG_GRAPH},   /* AttributeProto.graphs */
    {WIRE_MSG_ATTRIBUTE, 14, WIRE_MSG_TYPE},    /* AttributeProto.tp */
    {WIRE_MSG_ATTRIBUTE, 15, WIRE_MSG_TYPE},    /* AttributeProto.type_protos */
    {WIRE_MSG_GRAPH, 1, WIRE_MSG_NODE},         /* GraphProto.node */
    {WIRE_MSG_GRAPH, 11, WIRE_MSG_VALUE_INFO},  /* GraphProto.input */
    {WIRE_MSG_GRAPH, 12, WIRE_MSG_VALUE_INFO},  /* GraphProto.output */
    {WIRE_MSG_GRAPH, 13, WIRE_MSG_VALUE_INFO},  /* GraphProto.value_info */
    {WIRE_MSG_VALUE_INFO, 2, WIRE_MSG_TYPE},    /* ValueInfoProto.type */
    {WIRE_MSG_TYPE, 4, WIRE_MSG_TYPE_SEQUENCE}, /* TypeProto.sequence_type */
    {WIRE_MSG_TYPE, 5, WIRE_MSG_TYPE_MAP},      /* TypeProto.map_type */
    {WIRE_MSG_TYPE, 9, WIRE_MSG_TYPE_OPTIONAL}, /* TypeProto.optional_type */
    {WIRE_MSG_TYPE_SEQUENCE, 1, WIRE_MSG_TYPE}, /* TypeProto.Sequence.elem_type */
    {WIRE_MSG_TYPE_MAP, 2, WIRE_MSG_TYPE},      /* TypeProto.Map.value_type */
    {WIRE_MSG_TYPE_OPTIONAL, 1, WIRE_MSG_TYPE}, /* TypeProto.Optional.elem_type */
};

/* The kind of message field number of a kind message holds, or -1 if not a recursive one. */
static int nested_kind(wire_message_t parent, uint32_t number)
{
    for (size_t i = 0; i < sizeof nested_fields / sizeof nested_fields[0]; i++)
        if (nested_fields[i].parent == parent && nested_fields[i].number == number)
            return (int)nested_fields[i].child;
    return -1;
}

bool wire_nesting_ok(const uint8_t *data, size_t len, wire_message_t kind, int max_depth)
{
    wire_reader_t r;
    wire_field_t f;

    /* The recursion below is itself bounded by max_depth. */
    if (max_depth < 1)
        return false;
    wire_reader_init(&r, data, len);
    while (wire_next(&r, &f)) {
        int child = f.type == WIRE_BYTES ? nested_kind(kind, f.number) : -1;
        if (child >= 0 && !wire_nesting_ok(f.data, f.len, (wire_message_t)child, max_depth - 1))
            return false;
    }
    return !r.corrupt;
}

long wire_count_field(const uint8_t *data, size_t len, uint32_t number)
{
    wire_reader_t r;
    wire_field_t f;
    long n = 0;

    wire_reader_init(&r, data, len);
    while (wire_next(&r, &f))
        n += f.number == number;
    return r.corrupt ? -1 : n;
}
