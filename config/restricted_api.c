/*
 * restricted_api.c - parsing the restricted-API entries and checking a
 * request's header against them in constant time.
 *
 * Messages quote category names and header names only when they look like
 * one (so a value typed in the wrong place is not echoed) and never quote
 * a value.
 */
#include "restricted_api.h"

#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>

/* Longest category name quoted in a message; longer text is not a category anyway. */
#define CATEGORY_QUOTE_MAX 32

static const char *const category_names[RESTRICTED_API_CATEGORY_COUNT] = {
    [RESTRICTED_API_UNSET] = "",
    [RESTRICTED_API_HEALTH] = "health",
    [RESTRICTED_API_METADATA] = "metadata",
    [RESTRICTED_API_INFERENCE] = "inference",
    [RESTRICTED_API_SHARED_MEMORY] = "shared-memory",
    [RESTRICTED_API_MODEL_CONFIG] = "model-config",
    [RESTRICTED_API_MODEL_REPOSITORY] = "model-repository",
    [RESTRICTED_API_STATISTICS] = "statistics",
    [RESTRICTED_API_LOGGING] = "logging",
};

const char *restricted_api_category_name(restricted_api_category_t category)
{
    if (category <= RESTRICTED_API_UNSET || category >= RESTRICTED_API_CATEGORY_COUNT)
        return "";
    return category_names[category];
}

void restricted_api_clear(restricted_api_t *r)
{
    int rank = r->source_rank;

    memset(r, 0, sizeof *r);
    r->source_rank = rank;
}

/* [begin, end) as a category, or UNSET. */
static restricted_api_category_t find_category(const char *begin, const char *end)
{
    size_t len = (size_t)(end - begin);

    for (int c = RESTRICTED_API_UNSET + 1; c < RESTRICTED_API_CATEGORY_COUNT; c++)
        if (strlen(category_names[c]) == len && memcmp(category_names[c], begin, len) == 0)
            return (restricted_api_category_t)c;
    return RESTRICTED_API_UNSET;
}

/* True when [begin, end) looks like a category name, so a message may quote it. */
static bool quotable_name(const char *begin, const char *end)
{
    if (end - begin < 1 || end - begin > CATEGORY_QUOTE_MAX)
        return false;
    for (const char *p = begin; p < end; p++)
        if (!islower((unsigned char)*p) && *p != '-')
            return false;
    return true;
}

/* RFC 9110 token characters, which HTTP header names are made of. */
static bool is_token_char(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* gRPC metadata keys once lower-cased: digits, letters, '-', '_' and '.'. */
static bool is_grpc_key_char(char c)
{
    return isdigit((unsigned char)c) || islower((unsigned char)c) || c == '-' || c == '_' ||
           c == '.';
}

/* Checks the header name [begin, end) and stores it lower-cased in out. */
static status_t parse_header(const char *begin, const char *end, restricted_api_protocol_t protocol,
                             int entry, char *out, error_t *err)
{
    size_t len = (size_t)(end - begin);

    if (len == 0)
        return error_set(err, STATUS_INVALID_ARGUMENT, "entry %d: the header name is empty", entry);
    if (len > RESTRICTED_API_HEADER_MAX)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "entry %d: the header name is longer than %d characters", entry,
                         RESTRICTED_API_HEADER_MAX);
    for (size_t i = 0; i < len; i++) {
        char c = (char)tolower((unsigned char)begin[i]);
        if (protocol == RESTRICTED_API_GRPC ? !is_grpc_key_char(c) : !is_token_char(c))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "entry %d: the header name has a character a%s cannot hold "
                             "(allowed: %s)",
                             entry,
                             protocol == RESTRICTED_API_GRPC ? " gRPC metadata key"
                                                             : "n HTTP header name",
                             protocol == RESTRICTED_API_GRPC ? "letters, digits, '-', '_', '.'"
                                                             : "letters, digits, !#$%&'*+-.^_`|~");
        out[i] = c;
    }
    out[len] = '\0';
    if (protocol == RESTRICTED_API_GRPC && strncmp(out, "grpc-", 5) == 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "entry %d: metadata key '%s' is reserved by gRPC (grpc-...)", entry, out);
    if (protocol == RESTRICTED_API_GRPC && len >= 4 && strcmp(out + len - 4, "-bin") == 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "entry %d: metadata key '%s' names binary metadata (-bin); the value "
                         "must be text",
                         entry, out);
    return STATUS_OK;
}

/* Checks the value [begin, end) without ever quoting it. */
static status_t check_value(const char *begin, const char *end, const char *header, int entry,
                            error_t *err)
{
    size_t len = (size_t)(end - begin);

    if (len == 0)
        return error_set(err, STATUS_INVALID_ARGUMENT, "entry %d: the value for '%s' is empty",
                         entry, header);
    if (len > RESTRICTED_API_VALUE_MAX)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "entry %d: the value for '%s' is longer than %d bytes", entry, header,
                         RESTRICTED_API_VALUE_MAX);
    for (const char *p = begin; p < end; p++)
        if (*p < 0x21 || *p > 0x7e)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "entry %d: the value for '%s' has a character that is not printable "
                             "ASCII",
                             entry, header);
    return STATUS_OK;
}

/*
 * Parses one entry [begin, end) into a copy of r's rules (so that a
 * failure leaves r untouched); entry is its 1-based number.
 */
static status_t parse_entry(restricted_api_t *r, restricted_api_protocol_t protocol,
                            const char *begin, const char *end, error_t *err)
{
    const char *colon = memchr(begin, ':', (size_t)(end - begin));
    const char *eq = colon ? memchr(colon + 1, '=', (size_t)(end - colon - 1)) : NULL;
    char header[RESTRICTED_API_HEADER_MAX + 1];
    bool chosen[RESTRICTED_API_CATEGORY_COUNT] = {false};
    int entry = r->entries + 1;
    status_t st;

    if (!colon)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "entry %d has no ':' (expected <categories>:<header>=<value>)", entry);
    if (!eq)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "entry %d has no '=' after its header name (expected "
                         "<categories>:<header>=<value>)",
                         entry);
    /* The categories, comma separated. */
    for (const char *p = begin; p <= colon;) {
        const char *comma = memchr(p, ',', (size_t)(colon - p));
        const char *stop = comma ? comma : colon;
        restricted_api_category_t c = find_category(p, stop);

        if (c == RESTRICTED_API_UNSET) {
            if (p == stop)
                return error_set(err, STATUS_INVALID_ARGUMENT,
                                 "entry %d: an empty category name (categories: %s)", entry,
                                 RESTRICTED_API_CATEGORY_LIST);
            if (quotable_name(p, stop))
                return error_set(err, STATUS_INVALID_ARGUMENT,
                                 "entry %d: unknown category '%.*s' (categories: %s)", entry,
                                 (int)(stop - p), p, RESTRICTED_API_CATEGORY_LIST);
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "entry %d: the text before ':' is not a list of categories (expected "
                             "<categories>:<header>=<value>; categories: %s)",
                             entry, RESTRICTED_API_CATEGORY_LIST);
        }
        if (chosen[c])
            return error_set(err, STATUS_INVALID_ARGUMENT, "entry %d names category '%s' twice",
                             entry, category_names[c]);
        chosen[c] = true;
        p = stop + 1;
    }
    st = parse_header(colon + 1, eq, protocol, entry, header, err);
    if (st == STATUS_OK)
        st = check_value(eq + 1, end, header, entry, err);
    if (st != STATUS_OK)
        return st;
    for (int c = RESTRICTED_API_UNSET + 1; c < RESTRICTED_API_CATEGORY_COUNT; c++)
        if (chosen[c] && r->rules[c].header[0])
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "category '%s' is in entries %d and %d; a category may be restricted "
                             "by one entry only",
                             category_names[c], r->rules[c].entry, entry);
    for (int c = RESTRICTED_API_UNSET + 1; c < RESTRICTED_API_CATEGORY_COUNT; c++) {
        restricted_api_rule_t *rule = &r->rules[c];
        if (!chosen[c])
            continue;
        memset(rule, 0, sizeof *rule);
        memcpy(rule->header, header, strlen(header) + 1);
        rule->value_len = (size_t)(end - eq - 1);
        memcpy(rule->value, eq + 1, rule->value_len);
        rule->entry = entry;
    }
    r->entries = entry;
    return STATUS_OK;
}

status_t restricted_api_add(restricted_api_t *r, restricted_api_protocol_t protocol,
                            const char *text, error_t *err)
{
    const char *p = text;
    int added = 0;
    status_t st;

    for (;;) {
        const char *end;

        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        for (end = p; *end && !isspace((unsigned char)*end); end++)
            ;
        st = parse_entry(r, protocol, p, end, err);
        if (st != STATUS_OK)
            return st;
        added++;
        p = end;
    }
    if (added == 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "no entry (expected <categories>:<header>=<value>)");
    return STATUS_OK;
}

const char *restricted_api_header(const restricted_api_t *r, restricted_api_category_t category)
{
    if (category <= RESTRICTED_API_UNSET || category >= RESTRICTED_API_CATEGORY_COUNT)
        return NULL;
    return r->rules[category].header[0] ? r->rules[category].header : NULL;
}

bool restricted_api_allows(const restricted_api_t *r, restricted_api_category_t category,
                           const char *value, size_t len)
{
    const restricted_api_rule_t *rule;
    unsigned char given[RESTRICTED_API_VALUE_MAX];
    volatile unsigned char diff;
    uint64_t length_diff;

    /* Every route has a category (tests/unit/api/test_routes.c); a bad one is refused. */
    assert(category > RESTRICTED_API_UNSET && category < RESTRICTED_API_CATEGORY_COUNT);
    if (category <= RESTRICTED_API_UNSET || category >= RESTRICTED_API_CATEGORY_COUNT)
        return false;
    rule = &r->rules[category];
    if (!rule->header[0])
        return true;
    /*
     * Both sides are compared as RESTRICTED_API_VALUE_MAX zero-padded
     * bytes, and the lengths folded in without a branch: how long this
     * takes depends only on how much the client sent, which it knows.
     */
    memset(given, 0, sizeof given);
    if (value)
        memcpy(given, value, len < sizeof given ? len : sizeof given);
    else
        len = 0;
    length_diff = (uint64_t)(len ^ rule->value_len);
    length_diff |= length_diff >> 32;
    length_diff |= length_diff >> 16;
    length_diff |= length_diff >> 8;
    diff = (unsigned char)length_diff;
    for (size_t i = 0; i < sizeof given; i++)
        diff |= (unsigned char)(given[i] ^ rule->value[i]);
    return diff == 0;
}
