// Sizes as people read them in progress messages and lists: decimal units, like the Hub shows them.

/** `1.5 MB`, `820 kB`, `3.2 GB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  const [unit, scale]: [string, number] = bytes < 1e6 ? ['kB', 1e3] : bytes < 1e9 ? ['MB', 1e6] : ['GB', 1e9];
  const value = bytes / scale;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
}
