#include "attr.h"

#include <string.h>

const attr_t *attrs_find(const attrs_t *attrs, const char *name)
{
    for (size_t i = 0; i < attrs->count; i++)
        if (strcmp(attrs->items[i].name, name) == 0)
            return &attrs->items[i];
    return NULL;
}
