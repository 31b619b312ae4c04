/*
 * config_json.h - reads a JSON configuration file of bounded size: the
 * server's --config-file and each model's config.json.
 */
#ifndef INFERD_CONFIG_JSON_H
#define INFERD_CONFIG_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "status.h"

/*
 * Parses the file at path, at most max_bytes long, whose top level must be
 * a JSON object (duplicate keys are refused). On STATUS_OK the caller owns
 * *out and releases it with json_decref. A file that does not exist gives
 * STATUS_NOT_FOUND; every failure leaves *out NULL and names path.
 */
status_t config_json_load(const char *path, size_t max_bytes, json_t **out, error_t *err);

/* The JSON type of value as a word for messages, for example "a string". */
const char *config_json_type_name(const json_t *value);

#endif
