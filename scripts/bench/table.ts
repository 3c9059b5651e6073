// The bench's output: one row per (model, T), as a table for people or as JSON for tools.

/** One measured configuration; times are medians in ms. */
export interface BenchRow {
  model: string;
  tokens: number;
  bareMs: number;
  rawAttentionMs: number;
  pipelineMs: number;
  /** pipelineMs / rawAttentionMs: what the engine costs on top of the floor. */
  ratio: number;
  maxHostBlockMs: number;
  /** Where the pipeline's time goes, from the engine's own timings (medians); table output only. */
  breakdown?: PipelineBreakdown;
}

/** Medians of the engine's timings per pipeline run, and what is left for messaging. */
export interface PipelineBreakdown {
  /** Worker: tokenizing the whole text, with offsets, and cutting it to T. */
  tokenizeMs: number;
  /** Worker: building feeds and session.run, output conversion included. */
  runMs: number;
  /** Worker: the rest of its handler (posting `started` and the layers). */
  workerOtherMs: number;
  /** Host wall time not spent inside the worker's handler: messages both ways, queueing, wake-ups. */
  messagingMs: number;
  /** GC pauses of the host thread during a pipeline run (part of messagingMs when they delay it). */
  hostGcMs: number;
  /** GC pauses inside a raw run (the floor worker collecting earlier outputs). */
  rawGcMs: number;
  /**
   * The host thread's longest event-loop delay while a raw run happened in the floor worker: the
   * host does nothing then, so this is the machine's own jitter under a model run's load.
   */
  rawHostBlockMs: number;
}

const COLUMNS: { title: string; cell(r: BenchRow): string }[] = [
  { title: 'model', cell: (r) => r.model },
  { title: 'T', cell: (r) => String(r.tokens) },
  { title: 'bare ms', cell: (r) => ms(r.bareMs) },
  { title: 'raw attn ms', cell: (r) => ms(r.rawAttentionMs) },
  { title: 'pipeline ms', cell: (r) => ms(r.pipelineMs) },
  { title: 'ratio', cell: (r) => r.ratio.toFixed(3) },
  { title: 'pipe−raw ms', cell: (r) => ms(r.pipelineMs - r.rawAttentionMs) },
  { title: 'max host block ms', cell: (r) => ms(r.maxHostBlockMs) },
];

/** The main table: one line per (model, T). */
export function formatTable(rows: BenchRow[]): string {
  return grid(COLUMNS.map((c) => c.title), rows.map((r) => COLUMNS.map((c) => c.cell(r))));
}

// A plain-text table: first column left-aligned, numbers right-aligned.
function grid(titles: string[], cells: string[][]): string {
  const widths = titles.map((t, i) => Math.max(t.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]): string =>
    values.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [line(titles), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

const BREAKDOWN: { title: string; cell(r: BenchRow, b: PipelineBreakdown): string }[] = [
  { title: 'model', cell: (r) => r.model },
  { title: 'T', cell: (r) => String(r.tokens) },
  { title: 'raw attn ms', cell: (r) => ms(r.rawAttentionMs) },
  { title: '(raw GC ms)', cell: (_, b) => ms(b.rawGcMs) },
  { title: 'worker run ms', cell: (_, b) => ms(b.runMs) },
  { title: 'tokenize ms', cell: (_, b) => ms(b.tokenizeMs) },
  { title: 'worker other ms', cell: (_, b) => ms(b.workerOtherMs) },
  { title: 'messaging ms', cell: (_, b) => ms(b.messagingMs) },
  { title: '(host GC ms)', cell: (_, b) => ms(b.hostGcMs) },
  { title: 'pipeline ms', cell: (r) => ms(r.pipelineMs) },
  { title: 'max host block ms', cell: (r) => ms(r.maxHostBlockMs) },
  { title: '(idle host, raw runs)', cell: (_, b) => ms(b.rawHostBlockMs) },
];

/** The pipeline's time split by stage, for rows that carry a breakdown. */
export function formatBreakdown(rows: BenchRow[]): string {
  const withBreakdown = rows.filter((r) => r.breakdown);
  return grid(BREAKDOWN.map((c) => c.title), withBreakdown.map((r) => BREAKDOWN.map((c) => c.cell(r, r.breakdown!))));
}

/** Rows with numbers rounded to what the measurements can support. */
export function toJson(rows: BenchRow[]): string {
  const round = (v: number, digits: number): number => Number(v.toFixed(digits));
  return JSON.stringify(rows.map((r) => ({
    model: r.model, tokens: r.tokens,
    bareMs: round(r.bareMs, 3), rawAttentionMs: round(r.rawAttentionMs, 3), pipelineMs: round(r.pipelineMs, 3),
    ratio: round(r.ratio, 4), maxHostBlockMs: round(r.maxHostBlockMs, 3),
  })));
}

function ms(v: number): string {
  return v >= 100 ? v.toFixed(1) : v.toFixed(2);
}
