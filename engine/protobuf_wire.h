/*
 * protobuf_wire.h - a reader for the protobuf wire format, one field at a
 * time, without decoding messages. The importer uses it to walk a model's
 * top-level fields and unpack the nodes and initializers one by one with
 * protobuf-c, so the whole model never exists twice in memory.
 */
#ifndef INFERD_PROTOBUF_WIRE_H
#define INFERD_PROTOBUF_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_BYTES = 2, WIRE_FIXED32 = 5 };

typedef struct wire_field {
    uint32_t number;
    int type;
    uint64_t varint;     /* WIRE_VARINT */
    const uint8_t *data; /* WIRE_BYTES: the payload */
    size_t len;          /* WIRE_BYTES: payload length */
} wire_field_t;

typedef struct wire_reader {
    const uint8_t *pos;
    const uint8_t *end;
    bool corrupt; /* set when a field runs past the end or is malformed */
} wire_reader_t;

static inline void wire_reader_init(wire_reader_t *r, const uint8_t *data, size_t len)
{
    r->pos = data;
    r->end = data + len;
    r->corrupt = false;
}

/*
 * Reads the next field into *f. Returns false at the end of the buffer, or
 * when the data is malformed (then r->corrupt is set).
 */
bool wire_next(wire_reader_t *r, wire_field_t *f);

/* The onnx.proto messages whose nesting wire_nesting_ok follows. */
typedef enum wire_message {
    WIRE_MSG_NODE = 0,   /* NodeProto */
    WIRE_MSG_ATTRIBUTE,  /* AttributeProto */
    WIRE_MSG_GRAPH,      /* GraphProto */
    WIRE_MSG_VALUE_INFO, /* ValueInfoProto */
    WIRE_MSG_TYPE,       /* TypeProto */
    WIRE_MSG_TYPE_SEQUENCE,
    WIRE_MSG_TYPE_MAP,
    WIRE_MSG_TYPE_OPTIONAL,
} wire_message_t;

/*
 * True when the message of kind in [data, data + len) nests its recursive
 * onnx.proto messages (graphs in attributes, nodes in graphs, types in
 * sequence, map and optional types) at most max_depth deep, itself
 * counting as 1. protobuf-c unpacks recursively, one stack frame per
 * level, so a file nesting a few bytes per level could otherwise exhaust
 * the loading thread's stack. Also false when the message is malformed.
 */
bool wire_nesting_ok(const uint8_t *data, size_t len, wire_message_t kind, int max_depth);

/* Occurrences of field number in the message [data, data + len); -1 when it is malformed. */
long wire_count_field(const uint8_t *data, size_t len, uint32_t number);

#endif
