/*
 * grpc_test_client.h - a small gRPC client for the C integration tests,
 * on the gRPC C core API (grpc/grpc.h), with its own protobuf encoder and
 * field reader so the tests check the wire format (field numbers and
 * types) independently of the project's .proto files.
 * Header-only: every function is static.
 */
#ifndef INFERD_GRPC_TEST_CLIENT_H
#define INFERD_GRPC_TEST_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

/* Longest one call may take unless the test gives its own deadline. */
#define GTC_TIMEOUT_MS 20000
/* Longest status message kept. */
#define GTC_DETAILS_MAX 512

/* Starts the gRPC core. */
static void gtc_init(void)
{
    grpc_init();
}

/* ---- protobuf encoding ---- */

/* A growing protobuf message; aborts when out of memory (a test). */
typedef struct pb_buf {
    unsigned char *data;
    size_t len, cap;
} pb_buf_t;

static void pb_raw(pb_buf_t *b, const void *src, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->data = realloc(b->data, b->cap);
        if (!b->data)
            abort();
    }
    if (n)
        memcpy(b->data + b->len, src, n);
    b->len += n;
}

static void pb_varint_raw(pb_buf_t *b, uint64_t v)
{
    unsigned char byte;

    do {
        byte = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            byte |= 0x80;
        pb_raw(b, &byte, 1);
    } while (v);
}

static void pb_tag(pb_buf_t *b, int field, int wire)
{
    pb_varint_raw(b, ((uint64_t)field << 3) | (uint64_t)wire);
}

static void pb_varint(pb_buf_t *b, int field, uint64_t v)
{
    pb_tag(b, field, 0);
    pb_varint_raw(b, v);
}

static void pb_bytes(pb_buf_t *b, int field, const void *data, size_t n)
{
    pb_tag(b, field, 2);
    pb_varint_raw(b, n);
    pb_raw(b, data, n);
}

static void pb_string(pb_buf_t *b, int field, const char *s)
{
    pb_bytes(b, field, s, strlen(s));
}

/* A nested message (taken: freed here). */
static void pb_message(pb_buf_t *b, int field, pb_buf_t *inner)
{
    pb_bytes(b, field, inner->data, inner->len);
    free(inner->data);
    memset(inner, 0, sizeof *inner);
}

/* repeated int64, packed. */
static void pb_packed_int64(pb_buf_t *b, int field, const int64_t *v, int n)
{
    pb_buf_t inner = {0};

    for (int i = 0; i < n; i++)
        pb_varint_raw(&inner, (uint64_t)v[i]);
    pb_message(b, field, &inner);
}

/* repeated float, packed (little-endian fixed32). */
static void pb_packed_float(pb_buf_t *b, int field, const float *v, int n)
{
    pb_bytes(b, field, v, (size_t)n * sizeof *v);
}

/* ---- protobuf reading ---- */

/* One field occurrence: a varint value or a length-delimited span. */
typedef struct pb_field {
    bool found;
    uint64_t value;
    const unsigned char *data;
    size_t size;
} pb_field_t;

static bool pb_read_varint(const unsigned char *p, size_t n, size_t *at, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *at < n; shift += 7) {
        unsigned char byte = p[(*at)++];
        *v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return true;
    }
    return false;
}

/* The index-th occurrence of field in the message (data, size). */
static pb_field_t pb_get(const unsigned char *data, size_t size, int field, int index)
{
    pb_field_t out = {0};
    size_t at = 0;

    while (at < size) {
        uint64_t key, v = 0, len = 0;
        const unsigned char *span = NULL;

        if (!pb_read_varint(data, size, &at, &key))
            break;
        switch (key & 7) {
        case 0:
            if (!pb_read_varint(data, size, &at, &v))
                return out;
            break;
        case 1:
            at += 8;
            break;
        case 2:
            if (!pb_read_varint(data, size, &at, &len) || len > size - at)
                return out;
            span = data + at;
            at += len;
            break;
        case 5:
            at += 4;
            break;
        default:
            return out;
        }
        if ((int)(key >> 3) == field && index-- == 0) {
            out.found = true;
            out.value = v;
            out.data = span;
            out.size = (size_t)len;
            return out;
        }
    }
    return out;
}

/* Occurrences of field. */
static int pb_count(const unsigned char *data, size_t size, int field)
{
    int n = 0;
    while (pb_get(data, size, field, n).found)
        n++;
    return n;
}

/* A string field as a NUL-terminated copy in buf ("" when absent). */
static const char *pb_text(pb_field_t f, char *buf, size_t size)
{
    size_t n = f.found && f.data ? (f.size < size ? f.size : size - 1) : 0;
    if (n)
        memcpy(buf, f.data, n);
    buf[n] = '\0';
    return buf;
}

/* ---- calls ---- */

/* What a call returned. body holds the (last) response message; free with gtc_result_free. */
typedef struct gtc_result {
    grpc_status_code status;
    char details[GTC_DETAILS_MAX];
    unsigned char *body;
    size_t size;
} gtc_result_t;

static void gtc_result_free(gtc_result_t *r)
{
    free(r->body);
    r->body = NULL;
}

static grpc_channel *gtc_channel(int port)
{
    char target[64];
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    grpc_channel *ch;

    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    ch = grpc_channel_create(target, creds, NULL);
    grpc_channel_credentials_release(creds);
    return ch;
}

static gpr_timespec gtc_deadline(int timeout_ms)
{
    return gpr_time_add(
        gpr_now(GPR_CLOCK_REALTIME),
        gpr_time_from_millis(timeout_ms > 0 ? timeout_ms : GTC_TIMEOUT_MS, GPR_TIMESPAN));
}

/* Starts ops as one batch and waits for it; false when the batch failed. */
static bool gtc_batch(grpc_call *call, grpc_completion_queue *cq, grpc_op *ops, size_t n)
{
    static char tag;
    grpc_event ev;

    if (grpc_call_start_batch(call, ops, n, &tag, NULL) != GRPC_CALL_OK)
        return false;
    ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    return ev.type == GRPC_OP_COMPLETE && ev.success;
}

static void gtc_queue_free(grpc_completion_queue *cq)
{
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
}

/* The bytes of a received message (malloc'd) into *out / *size. */
static void gtc_take_message(grpc_byte_buffer *bb, unsigned char **out, size_t *size)
{
    grpc_byte_buffer_reader reader;
    grpc_slice slice;

    *out = NULL;
    *size = 0;
    if (!bb || !grpc_byte_buffer_reader_init(&reader, bb))
        return;
    slice = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    *size = GRPC_SLICE_LENGTH(slice);
    *out = malloc(*size + 1);
    if (*out && *size)
        memcpy(*out, GRPC_SLICE_START_PTR(slice), *size);
    grpc_slice_unref(slice);
    grpc_byte_buffer_destroy(bb);
}

static grpc_byte_buffer *gtc_message(const void *data, size_t size)
{
    grpc_slice slice = grpc_slice_from_copied_buffer(data, size);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return bb;
}

static grpc_call *gtc_call(grpc_channel *ch, grpc_completion_queue *cq, const char *method,
                           int timeout_ms)
{
    grpc_slice path = grpc_slice_from_copied_string(method);
    grpc_call *call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, path, NULL,
                                               gtc_deadline(timeout_ms), NULL);
    grpc_slice_unref(path);
    return call;
}

/* One unary call of method with the encoded request msg (NULL: empty). */
static gtc_result_t gtc_unary(grpc_channel *ch, const char *method, const pb_buf_t *msg,
                              int timeout_ms)
{
    gtc_result_t r = {.status = GRPC_STATUS_UNKNOWN};
    grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
    grpc_call *call = gtc_call(ch, cq, method, timeout_ms);
    grpc_byte_buffer *send = gtc_message(msg ? msg->data : NULL, msg ? msg->len : 0), *recv = NULL;
    grpc_metadata_array initial, trailing;
    grpc_slice details;
    grpc_op ops[6];

    grpc_metadata_array_init(&initial);
    grpc_metadata_array_init(&trailing);
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trailing;
    ops[5].data.recv_status_on_client.status = &r.status;
    ops[5].data.recv_status_on_client.status_details = &details;
    if (gtc_batch(call, cq, ops, 6)) {
        snprintf(r.details, sizeof r.details, "%.*s", (int)GRPC_SLICE_LENGTH(details),
                 (const char *)GRPC_SLICE_START_PTR(details));
        grpc_slice_unref(details);
        gtc_take_message(recv, &r.body, &r.size);
    } else {
        snprintf(r.details, sizeof r.details, "the call's batch failed");
    }
    grpc_byte_buffer_destroy(send);
    grpc_metadata_array_destroy(&initial);
    grpc_metadata_array_destroy(&trailing);
    grpc_call_unref(call);
    gtc_queue_free(cq);
    return r;
}

/*
 * A ModelStreamInfer-style bidirectional call: sends the n messages, closes
 * its side, then reads up to max answers into answers[] (each freed by the
 * caller) and the final status. Returns the number of answers read.
 */
static int gtc_stream(grpc_channel *ch, const char *method, const pb_buf_t *msgs, int n,
                      gtc_result_t *answers, int max, gtc_result_t *final, int timeout_ms)
{
    grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
    grpc_call *call = gtc_call(ch, cq, method, timeout_ms);
    grpc_metadata_array initial, trailing;
    grpc_slice details;
    grpc_op ops[2];
    int got = 0;

    grpc_metadata_array_init(&initial);
    grpc_metadata_array_init(&trailing);
    memset(final, 0, sizeof *final);
    final->status = GRPC_STATUS_UNKNOWN;
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    gtc_batch(call, cq, ops, 1);
    for (int i = 0; i < n; i++) {
        grpc_byte_buffer *bb = gtc_message(msgs[i].data, msgs[i].len);
        memset(ops, 0, sizeof ops);
        ops[0].op = GRPC_OP_SEND_MESSAGE;
        ops[0].data.send_message.send_message = bb;
        gtc_batch(call, cq, ops, 1);
        grpc_byte_buffer_destroy(bb);
    }
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[1].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[1].data.recv_initial_metadata.recv_initial_metadata = &initial;
    gtc_batch(call, cq, ops, 2);
    while (got < max) {
        grpc_byte_buffer *bb = NULL;
        memset(ops, 0, sizeof ops);
        ops[0].op = GRPC_OP_RECV_MESSAGE;
        ops[0].data.recv_message.recv_message = &bb;
        if (!gtc_batch(call, cq, ops, 1) || !bb)
            break;
        memset(&answers[got], 0, sizeof answers[got]);
        gtc_take_message(bb, &answers[got].body, &answers[got].size);
        got++;
    }
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[0].data.recv_status_on_client.trailing_metadata = &trailing;
    ops[0].data.recv_status_on_client.status = &final->status;
    ops[0].data.recv_status_on_client.status_details = &details;
    if (gtc_batch(call, cq, ops, 1)) {
        snprintf(final->details, sizeof final->details, "%.*s", (int)GRPC_SLICE_LENGTH(details),
                 (const char *)GRPC_SLICE_START_PTR(details));
        grpc_slice_unref(details);
    }
    grpc_metadata_array_destroy(&initial);
    grpc_metadata_array_destroy(&trailing);
    grpc_call_unref(call);
    gtc_queue_free(cq);
    return got;
}

#endif
