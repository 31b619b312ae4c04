/* onednn_reorder.c - one oneDNN reorder, run once (onednn_reorder.h). */
#include "onednn_reorder.h"

dnnl_status_t onednn_reorder_once(dnnl_engine_t engine, const dnnl_memory_desc_t *from,
                                  const void *src, const dnnl_memory_desc_t *to, void *dst)
{
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    dnnl_memory_t src_mem = NULL, dst_mem = NULL;
    dnnl_stream_t stream = NULL;
    dnnl_status_t ds = dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, NULL);

    if (ds == dnnl_success)
        ds = dnnl_primitive_create(&prim, pd);
    if (ds == dnnl_success)
        ds = dnnl_memory_create(&src_mem, from, engine, (void *)src);
    if (ds == dnnl_success)
        ds = dnnl_memory_create(&dst_mem, to, engine, dst);
    if (ds == dnnl_success)
        ds = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
    if (ds == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, src_mem}, {DNNL_ARG_TO, dst_mem}};
        ds = dnnl_primitive_execute(prim, stream, 2, args);
    }
    if (ds == dnnl_success)
        ds = dnnl_stream_wait(stream);
    dnnl_stream_destroy(stream);
    dnnl_memory_destroy(src_mem);
    dnnl_memory_destroy(dst_mem);
    dnnl_primitive_destroy(prim);
    dnnl_primitive_desc_destroy(pd);
    return ds;
}
