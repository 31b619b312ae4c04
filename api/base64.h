/*
 * base64.h - decoding base64 (RFC 4648, standard alphabet), as the TF
 * Serving and MindSpore REST APIs carry binary values ({"b64": "..."}).
 */
#ifndef INFERD_BASE64_H
#define INFERD_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes base64_decode may write for n characters of text. */
#define BASE64_DECODED_MAX(n) ((n) / 4 * 3 + 3)

/*
 * Decodes text[0, n) into out (room for BASE64_DECODED_MAX(n) bytes) and
 * sets *out_len. The '=' padding may be left out; anything else outside
 * the alphabet (whitespace included), padding in the middle, a length
 * that leaves one character over, or bits set past the last byte make it
 * return false.
 */
bool base64_decode(const char *text, size_t n, unsigned char *out, size_t *out_len);

#endif
