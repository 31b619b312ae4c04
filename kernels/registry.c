/*
 * registry.c - finds the schema of an ONNX op type at an opset.
 *
 * The build generates op_families.inc with one OP_FAMILY(name) line per
 * kernels/<family>/<family>_onnx.c, each of which defines the
 * NULL-terminated table op_schemas_<family>.
 */
#include "op.h"

#include <string.h>

#define OP_FAMILY(name) extern const op_schema_t op_schemas_##name[];
#include "op_families.inc"
#undef OP_FAMILY

static const op_schema_t *const op_families[] = {
#define OP_FAMILY(name) op_schemas_##name,
#include "op_families.inc"
#undef OP_FAMILY
};

#define FAMILY_COUNT (sizeof op_families / sizeof op_families[0])

const op_schema_t *op_registry_find(const char *op_type, int opset)
{
    for (size_t f = 0; f < FAMILY_COUNT; f++)
        for (const op_schema_t *s = op_families[f]; s->op_type; s++)
            if (strcmp(s->op_type, op_type) == 0 && opset >= s->since_version &&
                opset <= s->until_version)
                return s;
    return NULL;
}

bool op_registry_has_op(const char *op_type)
{
    for (size_t f = 0; f < FAMILY_COUNT; f++)
        for (const op_schema_t *s = op_families[f]; s->op_type; s++)
            if (strcmp(s->op_type, op_type) == 0)
                return true;
    return false;
}

void op_registry_visit(void (*visit)(const op_schema_t *schema, void *ctx), void *ctx)
{
    for (size_t f = 0; f < FAMILY_COUNT; f++)
        for (const op_schema_t *s = op_families[f]; s->op_type; s++)
            visit(s, ctx);
}
