// How the engine process's C allocator treats onnxruntime's buffers. A staged graph runs one
// session after another, and sessions keep no memory arena of their own (each would hold its
// largest run's activations for good), so every part allocates and frees its activations per run.
// By default glibc serves blocks over 128 kB with fresh mmaps and hands freed memory straight back
// to the system: every part then faults in zeroed pages for each run, which made a 512-token run of
// a Qwen2.5-0.5B-shaped model 1.2 to 2 times slower staged than uncut. Serving blocks up to 32 MB
// (the most glibc's mmap threshold allows) from the heap and keeping freed memory there brought the
// staged run to 0.7 to 0.9 times the uncut one, but blocks past 32 MB were still mapped afresh each
// time: at 2048 tokens a layer's [14, T, T] scores and probabilities are 235 MB each, and the
// attention parts took 400 000 page faults and about 4 s of CPU per layer, half of it in the kernel.
// With no mmaps at all every block comes from the heap and the next part reuses what the last one
// freed: the same parts took 0.3 to 0.4 s once the heap had grown to its working size, which it
// keeps (as an arena would) rather than returning to the system.

/** Environment variables that tune glibc's allocator; harmless where the C library is another. */
export const ENGINE_ALLOCATOR_ENV: Record<string, string> = {
  MALLOC_MMAP_MAX_: '0',
  MALLOC_TRIM_THRESHOLD_: String(4 * 1024 * 1024 * 1024),
};
