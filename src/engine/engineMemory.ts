// How the engine process's C allocator treats onnxruntime's buffers. A staged graph runs one
// session after another, and sessions keep no memory arena of their own (each would hold its
// largest run's activations for good), so every part allocates and frees its activations per run.
// By default glibc serves blocks over 128 kB with fresh mmaps and hands freed memory straight back
// to the system: every part then faults in zeroed pages for each run, which made a 512-token run of
// a Qwen2.5-0.5B-shaped model 1.2 to 2 times slower staged than uncut. Serving blocks up to 32 MB
// (the most glibc's mmap threshold allows) from the heap and keeping freed memory there brought the
// staged run to 0.7 to 0.9 times the uncut one.
//
// Past 32 MB glibc still maps each block afresh: at 2048 tokens that model's [14, T, T] scores and
// probabilities are 235 MB each, and its attention parts took 400 000 page faults and about 4 s of
// CPU per layer, half of it in the kernel. With no mmaps at all (MALLOC_MMAP_MAX_=0) the heap
// reused them and a 2048-token inspection took 19 s instead of 239 s, but the heap, fragmented
// between the store's layers and each part's scores, held 7.8 GB at its peak, 1.2 GB over the
// engine's target (weights + store budget + 300 MB). Transparent huge pages for glibc's own
// mappings keep the mmaps, so freed blocks still go back to the system, and fault each one in 2 MB
// at a time: 23 s with a 6.2 GB peak, within the target (with the float16 Cast in pieces small
// enough for the heap, src/engine/float16Cast.ts). Where the kernel has huge pages off, or glibc is
// older than 2.35 and ignores the tunable, large blocks fault 4 kB at a time as before.

/** Environment variables that tune glibc's allocator, added to `env`'s; harmless where the C library is another. */
export function engineAllocatorEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    MALLOC_MMAP_THRESHOLD_: String(32 * 1024 * 1024),
    MALLOC_TRIM_THRESHOLD_: String(4 * 1024 * 1024 * 1024),
    // One colon-separated list: the user's own tunables are kept, ours come last.
    GLIBC_TUNABLES: [env.GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1'].filter(Boolean).join(':'),
  };
}

// V8 counts the bytes of every ArrayBuffer made since its last full collection against the old
// generation's limit, and a small heap's limit sits a few MB above its size: each layer's attention
// handed out of a staged run (12.6 MB at T = 512 on BERT-base) started a full collection every layer
// or two, six to nine a run against the uncut run's two, whose layers all arrive in one call. Each
// marks the whole heap, on a core the model's threads want: 1.1-1.2 times the uncut run's CPU time
// at T = 512. Letting the old generation grow to 128 MB before a full collection brought it to
// 0.9-1.0 times. A dropped float32 layer that outlived a scavenge may now wait a little longer.

/** V8 options for the engine process's command line. */
export function engineExecArgv(): string[] {
  return ['--initial-old-space-size=128'];
}
