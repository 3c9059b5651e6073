// How the engine process's C allocator treats onnxruntime's buffers. A staged graph runs one
// session after another, and sessions keep no memory arena of their own (each would hold its
// largest run's activations for good), so every part allocates and frees its activations per run.
// By default glibc serves blocks over 128 kB with fresh mmaps and hands freed memory straight back
// to the system: every part then faults in zeroed pages for each run, which made a 512-token run of
// a Qwen2.5-0.5B-shaped model 1.2 to 2 times slower staged than uncut. Serving blocks up to 32 MB
// (glibc's maximum) from the heap and keeping freed memory there lets each part reuse what the
// previous one freed: the staged run was then 0.7 to 0.9 times the uncut one.

/** Environment variables that tune glibc's allocator; harmless where the C library is another. */
export const ENGINE_ALLOCATOR_ENV: Record<string, string> = {
  MALLOC_MMAP_THRESHOLD_: String(32 * 1024 * 1024),
  MALLOC_TRIM_THRESHOLD_: String(4 * 1024 * 1024 * 1024),
};
