/*
 * kserve_internal.h - helpers the kserve_*.c files share; not part of the
 * API the front ends use.
 */
#ifndef INFERD_KSERVE_INTERNAL_H
#define INFERD_KSERVE_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes available), or 0
 * when s does not start one. Messages can carry client bytes (jansson
 * quotes the offending token) or be truncated mid-character, and JSON
 * strings must be valid UTF-8.
 */
size_t kserve_utf8_seq_len(const unsigned char *s, size_t n);

/* A new JSON string of s with invalid UTF-8 bytes as '?'; NULL when out of memory. */
json_t *kserve_json_string(const char *s);

/*
 * The compact text of root (malloc'd, caller frees), then drops the
 * caller's reference to root. NULL when root is NULL or out of memory.
 */
char *kserve_json_take(json_t *root);

#endif
