// The bench's output: one row per (model, T), as a table for people or as JSON for tools.
import type { BoundaryRow } from './boundary';

/** One measured configuration; times are medians in ms. */
export interface BenchRow {
  model: string;
  tokens: number;
  bareMs: number;
  rawAttentionMs: number;
  /** The extension's path: EngineClient.inspect through the engine process. */
  pipelineMs: number;
  /** The same pipeline in a worker thread of this process (bench only): the process boundary's baseline. */
  threadMs: number;
  /** pipelineMs / rawAttentionMs: what the engine costs on top of the floor. */
  ratio: number;
  /** The host thread's longest event-loop delay during engine-process inspections (it only forwards). */
  maxHostBlockMs: number;
  /** The same while the raw graph runs for as long as an inspection takes, the host doing nothing: its idle baseline. */
  idleHostBlockMs: number;
  /** The same during single raw runs: a shorter window than an inspection's at large T. */
  rawHostBlockMs: number;
  /** The same during worker-thread inspections. */
  threadHostBlockMs: number;
  /** The median over runs of each engine-process inspection's longest block: less at the mercy of one unlucky run. */
  typicalHostBlockMs: number;
  /** The same for the idle baseline's windows. */
  typicalIdleHostBlockMs: number;
  /**
   * maxHostBlockMs less, in each block, the time the stall sentinel was held too (a stall of the
   * whole machine, not the host's): the host's own longest block.
   */
  unsharedHostBlockMs: number;
  /** The same for the idle baseline. */
  unsharedIdleHostBlockMs: number;
  /** Where the pipeline's time goes, from the engine's own timings (medians); table output only. */
  breakdown?: PipelineBreakdown;
}

/** Medians of the engine's timings per pipeline run, and what is left for messaging. */
export interface PipelineBreakdown {
  /** Engine: tokenizing the whole text, with offsets, and cutting it to T. */
  tokenizeMs: number;
  /** Engine: building feeds and session.run, output conversion included. */
  runMs: number;
  /** Engine: the rest of its handler (sending `started` and the layers). */
  workerOtherMs: number;
  /** Host wall time not spent inside the engine's handler: messages both ways, queueing, wake-ups. */
  messagingMs: number;
  /** GC pauses of the host thread during a pipeline run (part of messagingMs when they delay it). */
  hostGcMs: number;
  /** GC pauses inside a raw run (the floor worker collecting earlier outputs). */
  rawGcMs: number;
}

/** How far over its idle baseline the host's longest block may go during an inspection. */
export const HOST_BLOCK_MARGIN_MS = 5;

const COLUMNS: { title: string; cell(r: BenchRow): string }[] = [
  { title: 'model', cell: (r) => r.model },
  { title: 'T', cell: (r) => String(r.tokens) },
  { title: 'bare ms', cell: (r) => ms(r.bareMs) },
  { title: 'raw attn ms', cell: (r) => ms(r.rawAttentionMs) },
  { title: 'pipeline ms', cell: (r) => ms(r.pipelineMs) },
  { title: 'ratio', cell: (r) => r.ratio.toFixed(3) },
  { title: 'pipe−raw ms', cell: (r) => ms(r.pipelineMs - r.rawAttentionMs) },
  { title: 'thread ms', cell: (r) => ms(r.threadMs) },
  { title: 'process−thread ms', cell: (r) => ms(r.pipelineMs - r.threadMs) },
  { title: 'max host block ms', cell: (r) => ms(r.maxHostBlockMs) },
  { title: 'idle host block ms', cell: (r) => ms(r.idleHostBlockMs) },
];

const HOST_BLOCK: { title: string; cell(r: BenchRow): string }[] = [
  { title: 'model', cell: (r) => r.model },
  { title: 'T', cell: (r) => String(r.tokens) },
  { title: 'idle baseline ms', cell: (r) => ms(r.idleHostBlockMs) },
  { title: 'engine process ms', cell: (r) => ms(r.maxHostBlockMs) },
  { title: 'over idle ms', cell: (r) => ms(r.maxHostBlockMs - r.idleHostBlockMs) },
  { title: `within ${HOST_BLOCK_MARGIN_MS} ms`, cell: (r) => (r.maxHostBlockMs <= r.idleHostBlockMs + HOST_BLOCK_MARGIN_MS ? 'yes' : 'NO') },
  { title: 'idle, one raw run ms', cell: (r) => ms(r.rawHostBlockMs) },
  { title: 'worker thread ms', cell: (r) => ms(r.threadHostBlockMs) },
  { title: 'median run: idle ms', cell: (r) => ms(r.typicalIdleHostBlockMs) },
  { title: 'engine process ms', cell: (r) => ms(r.typicalHostBlockMs) },
  { title: 'not shared: idle ms', cell: (r) => ms(r.unsharedIdleHostBlockMs) },
  { title: 'engine process ms', cell: (r) => ms(r.unsharedHostBlockMs) },
  { title: `within ${HOST_BLOCK_MARGIN_MS} ms`, cell: (r) => (r.unsharedHostBlockMs <= r.unsharedIdleHostBlockMs + HOST_BLOCK_MARGIN_MS ? 'yes' : 'NO') },
];

/** The host thread's longest block per row, against its idle baseline. */
export function formatHostBlock(rows: BenchRow[]): string {
  return grid(HOST_BLOCK.map((c) => c.title), rows.map((r) => HOST_BLOCK.map((c) => c.cell(r))));
}

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
  { title: 'engine run ms', cell: (_, b) => ms(b.runMs) },
  { title: 'tokenize ms', cell: (_, b) => ms(b.tokenizeMs) },
  { title: 'engine other ms', cell: (_, b) => ms(b.workerOtherMs) },
  { title: 'messaging ms', cell: (_, b) => ms(b.messagingMs) },
  { title: '(host GC ms)', cell: (_, b) => ms(b.hostGcMs) },
  { title: 'pipeline ms', cell: (r) => ms(r.pipelineMs) },
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
    threadMs: round(r.threadMs, 3), ratio: round(r.ratio, 4), maxHostBlockMs: round(r.maxHostBlockMs, 3),
    idleHostBlockMs: round(r.idleHostBlockMs, 3), rawHostBlockMs: round(r.rawHostBlockMs, 3), threadHostBlockMs: round(r.threadHostBlockMs, 3),
    unsharedHostBlockMs: round(r.unsharedHostBlockMs, 3), unsharedIdleHostBlockMs: round(r.unsharedIdleHostBlockMs, 3),
  })));
}

function ms(v: number): string {
  return v >= 100 ? v.toFixed(1) : v.toFixed(2);
}

/** The boundary's own cost per T: worker thread against child process. */
export function formatBoundary(rows: BoundaryRow[]): string {
  return grid(['T', 'MB', 'thread ms', 'process, whole ms', 'process, sliced ms', 'sliced−thread ms',
    'host block: thread ms', 'whole ms', 'sliced ms'],
  rows.map((r) => [String(r.tokens), r.megabytes.toFixed(1), ms(r.threadMs), ms(r.wholeMs), ms(r.processMs), ms(r.processMs - r.threadMs),
    ms(r.threadHostBlockMs), ms(r.wholeHostBlockMs), ms(r.processHostBlockMs)]));
}
