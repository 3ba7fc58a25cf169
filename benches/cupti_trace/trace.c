// A CUDA injection library that records every kernel's start and end (CUPTI activity records,
// CUDA-graph nodes included) and writes them as CSV at exit: a kernel timeline for machines
// without Nsight Systems (the device tool's H100 machine has none). Used by run.sh:
//   CUDA_INJECTION64_PATH=libsdec_trace.so SDEC_TRACE_OUT=trace.csv <any CUDA program>
// Columns: start_ns, end_ns, stream, graph_node, name. KERNEL_RECORD is the newest
// CUpti_ActivityKernelN of the installed header (build.sh finds it): CUPTI writes records of the
// version its header declares last.
#include <cupti.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef KERNEL_RECORD
#error "build with -DKERNEL_RECORD=CUpti_ActivityKernelN (build.sh)"
#endif

static FILE* out;

static void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) {
    *size = 16u << 20;
    *buffer = (uint8_t*)aligned_alloc(8, *size);
    *max_records = 0;
}

static void CUPTIAPI buffer_completed(CUcontext ctx, uint32_t stream, uint8_t* buffer, size_t size, size_t valid) {
    (void)ctx; (void)stream; (void)size;
    CUpti_Activity* record = NULL;
    while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
        if (record->kind != CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) continue;
        const KERNEL_RECORD* k = (const KERNEL_RECORD*)record;
        fprintf(out, "%llu,%llu,%u,%llu,%s\n", (unsigned long long)k->start, (unsigned long long)k->end, k->streamId,
                (unsigned long long)k->graphNodeId, k->name ? k->name : "?");
    }
    size_t dropped = 0;
    if (cuptiActivityGetNumDroppedRecords(ctx, stream, &dropped) == CUPTI_SUCCESS && dropped)
        fprintf(stderr, "sdec_trace: %zu records dropped\n", dropped);
    free(buffer);
}

static void flush_at_exit(void) {
    cuptiActivityFlushAll(1);
    if (out) fclose(out);
}

int InitializeInjection(void) {
    const char* path = getenv("SDEC_TRACE_OUT");
    out = fopen(path ? path : "trace.csv", "w");
    if (!out) return 0;
    fprintf(out, "start_ns,end_ns,stream,graph_node,name\n");
    if (cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed) != CUPTI_SUCCESS ||
        cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) != CUPTI_SUCCESS) {
        fprintf(stderr, "sdec_trace: CUPTI would not record kernels\n");
        return 0;
    }
    atexit(flush_at_exit);
    return 1;
}
