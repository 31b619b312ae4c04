#include "graph.h"

#include <stdlib.h>
#include <string.h>

void graph_free(graph_t *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node_t *n = &g->nodes[i];
        if (n->state && n->schema && n->schema->kernel->release)
            n->schema->kernel->release(n->state);
    }
    for (int i = 0; i < g->n_subgraphs; i++)
        graph_free(g->subgraphs[i]);
    free(g->subgraphs);
    free(g->values);
    free(g->nodes);
    arena_release(&g->arena);
    free(g);
}

int graph_add_value(graph_t *g, const char *name)
{
    graph_value_t *v;

    if (g->n_values == g->cap_values) {
        int cap = g->cap_values ? g->cap_values * 2 : 64;
        graph_value_t *grown;
        if (cap > GRAPH_MAX_VALUES)
            return -1;
        grown = realloc(g->values, (size_t)cap * sizeof *grown);
        if (!grown)
            return -1;
        g->values = grown;
        g->cap_values = cap;
    }
    v = &g->values[g->n_values];
    memset(v, 0, sizeof *v);
    v->name = arena_strdup(&g->arena, name);
    if (!v->name)
        return -1;
    v->rank = -1;
    v->producer = -1;
    return g->n_values++;
}

int graph_find_value(const graph_t *g, const char *name)
{
    for (int i = 0; i < g->n_values; i++)
        if (strcmp(g->values[i].name, name) == 0)
            return i;
    return -1;
}
