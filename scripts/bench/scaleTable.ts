// The scale bench's output: time and memory per (model, T) against their targets, and the views'
// bytes and time to pixels, as tables for people or one JSON array for tools.
import type { PageFigure, ViewFigure } from './viewBench';

/** One measured (model, T); times are medians over `runs` in ms, memory in bytes. */
export interface ScaleRow {
  model: string;
  tokens: number;
  layers: number;
  heads: number;
  runs: number;
  firstLayerMs: number;
  firstLayerMinMs: number;
  firstLayerMaxMs: number;
  totalMs: number;
  totalMinMs: number;
  totalMaxMs: number;
  /**
   * The raw attention floor, which is also the uncut run: one session.run of the whole surgered graph
   * fetching every layer's attention (as the stages bench's uncut side). When it fits in memory;
   * otherwise why not.
   */
  floorMs?: number;
  floorSkipped?: string;
  /** totalMs / (L·H·T²) in nanoseconds: flat from 512 to 4096 when the cost is the attention's own. */
  nsPerPair: number;
  /** The model's weights as float32 in memory. */
  weightsBytes: number;
  /** The engine's peak RSS over the row's runs, and its RSS before them (the model loaded, nothing kept). */
  enginePeakBytes: number;
  engineBeforeBytes: number;
  /** How the engine's attention store keeps this inspection, and its budget, once the engine says. */
  storeMode?: string;
  budgetBytes?: number;
  /** What the store held for the last timed run's inspection. */
  storeBytes?: number;
  /** This (host) process's RSS when idle (before any inspection, after a collection), and its peak above that during the row. */
  hostIdleBytes: number;
  hostExtraBytes: number;
  /** Where the views were measured: each view's figures, the page's memory above idle, the engine's peak meanwhile. */
  views?: ViewFigure[];
  page?: PageFigure;
  engineViewPeakBytes?: number;
}

/** The first layer should arrive within one layer's share of the total plus this. */
export const FIRST_LAYER_SLACK_MS = 30;
/** The staged pipeline's total may exceed the uncut run by this factor. */
export const UNCUT_RATIO = 1.1;
/** Host, page and engine (beyond weights and budget) may each take this much more than idle. */
export const EXTRA_MEMORY_BYTES = 300e6;

/** The first-layer target: one layer's share of the total, plus the slack. */
export function firstLayerTarget(row: ScaleRow): number {
  return row.totalMs / row.layers + FIRST_LAYER_SLACK_MS;
}

/** The engine's peak RSS target: weights + the store's budget + the slack. */
export function engineTarget(row: ScaleRow): number {
  return row.weightsBytes + (row.budgetBytes ?? 0) + EXTRA_MEMORY_BYTES;
}

type Column = { title: string; cell(r: ScaleRow): string };

const TIME: Column[] = [
  { title: 'model', cell: (r) => r.model },
  { title: 'T', cell: (r) => String(r.tokens) },
  { title: 'L×H', cell: (r) => `${r.layers}×${r.heads}` },
  { title: 'runs', cell: (r) => String(r.runs) },
  { title: 'first layer ms', cell: (r) => ms(r.firstLayerMs) },
  { title: 'target ms', cell: (r) => ms(firstLayerTarget(r)) },
  { title: 'met', cell: (r) => yes(r.firstLayerMs <= firstLayerTarget(r)) },
  { title: 'total ms', cell: (r) => ms(r.totalMs) },
  { title: 'spread ms', cell: (r) => `${ms(r.totalMinMs)}–${ms(r.totalMaxMs)}` },
  { title: 'uncut floor ms', cell: (r) => (r.floorMs === undefined ? `skipped: ${r.floorSkipped}` : ms(r.floorMs)) },
  { title: 'total/uncut', cell: (r) => (r.floorMs === undefined ? '—' : (r.totalMs / r.floorMs).toFixed(2)) },
  { title: `≤ ${UNCUT_RATIO.toFixed(2)}`, cell: (r) => (r.floorMs === undefined ? '—' : yes(r.totalMs <= UNCUT_RATIO * r.floorMs)) },
  { title: 'ns/pair', cell: (r) => r.nsPerPair.toFixed(2) },
];

const MEMORY: Column[] = [
  { title: 'model', cell: (r) => r.model },
  { title: 'T', cell: (r) => String(r.tokens) },
  { title: 'weights GB', cell: (r) => gb(r.weightsBytes) },
  { title: 'store', cell: (r) => r.storeMode ?? '—' },
  { title: 'budget GB', cell: (r) => (r.budgetBytes === undefined ? '—' : gb(r.budgetBytes)) },
  { title: 'held GB', cell: (r) => (r.storeBytes === undefined ? '—' : gb(r.storeBytes)) },
  { title: 'engine before GB', cell: (r) => gb(r.engineBeforeBytes) },
  { title: 'engine peak GB', cell: (r) => gb(r.enginePeakBytes) },
  { title: 'target GB', cell: (r) => gb(engineTarget(r)) },
  { title: 'met', cell: (r) => yes(r.enginePeakBytes <= engineTarget(r)) },
  { title: 'host idle MB', cell: (r) => mb(r.hostIdleBytes) },
  { title: 'host +MB', cell: (r) => mb(r.hostExtraBytes) },
  { title: '≤ 300', cell: (r) => yes(r.hostExtraBytes <= EXTRA_MEMORY_BYTES) },
  { title: 'page heap +MB', cell: (r) => (r.page ? mb(r.page.heapBytes) : '—') },
  { title: 'renderers peak +MB', cell: (r) => (r.page ? mb(r.page.rendererPeakBytes) : '—') },
  { title: 'held +MB', cell: (r) => (r.page ? mb(r.page.rendererHeldBytes) : '—') },
  { title: '≤ 300', cell: (r) => (r.page ? yes(Math.max(r.page.heapBytes, r.page.rendererPeakBytes) <= EXTRA_MEMORY_BYTES) : '—') },
  { title: 'engine peak, views GB', cell: (r) => (r.engineViewPeakBytes === undefined ? '—' : gb(r.engineViewPeakBytes)) },
];

type ViewColumn = { title: string; cell(r: ScaleRow, v: ViewFigure): string };

const VIEWS: ViewColumn[] = [
  { title: 'model', cell: (r) => r.model },
  { title: 'T', cell: (r) => String(r.tokens) },
  { title: 'view', cell: (_, v) => v.view },
  { title: 'n', cell: (_, v) => String(v.interactions) },
  { title: 'view KB', cell: (_, v) => kb(v.viewBytes) },
  { title: 'all KB', cell: (_, v) => kb(v.allBytes) },
  { title: 'to pixels ms', cell: (_, v) => (Number.isNaN(v.ms) ? '—' : ms(v.ms)) },
  { title: 'reply ms', cell: (_, v) => ms(v.waitMs) },
  { title: 'engine ms', cell: (_, v) => ms(v.engineMs) },
  { title: 'draw ms', cell: (_, v) => (Number.isNaN(v.drawMs) ? '—' : ms(v.drawMs)) },
  { title: 'note', cell: (_, v) => v.note ?? '' },
];

/** The time table, then the memory table. */
export function formatScale(rows: ScaleRow[]): string {
  return [
    `time per inspection through the engine process (medians; first-layer target = total / L + ${FIRST_LAYER_SLACK_MS} ms; ` +
    `total within ${UNCUT_RATIO.toFixed(2)}× of the uncut graph's raw run; cost per token pair should stay flat from 512 to 4096):`,
    grid(TIME, rows),
    '\nmemory (engine: peak RSS over the row, target weights + budget + 300 MB; host: peak above its idle level before any inspection, target ≤ 300 MB):',
    grid(MEMORY, rows),
    ...(rows.some((r) => r.views) ? [
      '\nviews in Chromium, medians per interaction (view KB: the view\'s own replies; all KB: every reply the interaction ' +
      'brought; to pixels: interaction → the view\'s drawing done; reply: its request → its reply on the page; engine: the longest ' +
      'answer on the host; draw: the view\'s own measure):',
      viewGrid(rows),
    ] : []),
  ].join('\n');
}

/** Rows with numbers rounded to what the measurements support. */
export function scaleJson(rows: ScaleRow[]): string {
  const round = (v: number | undefined, digits = 1): number | undefined => (v === undefined ? undefined : Number(v.toFixed(digits)));
  return JSON.stringify(rows.map((r) => ({
    ...r,
    firstLayerMs: round(r.firstLayerMs), firstLayerMinMs: round(r.firstLayerMinMs), firstLayerMaxMs: round(r.firstLayerMaxMs),
    totalMs: round(r.totalMs), totalMinMs: round(r.totalMinMs), totalMaxMs: round(r.totalMaxMs), floorMs: round(r.floorMs),
    nsPerPair: round(r.nsPerPair, 3), firstLayerTargetMs: round(firstLayerTarget(r)), engineTargetBytes: engineTarget(r),
  })));
}

function viewGrid(rows: ScaleRow[]): string {
  const cells = rows.flatMap((r) => (r.views ?? []).map((v) => VIEWS.map((c) => c.cell(r, v))));
  return lines(VIEWS.map((c) => c.title), cells);
}

function grid(columns: Column[], rows: ScaleRow[]): string {
  return lines(columns.map((c) => c.title), rows.map((r) => columns.map((c) => c.cell(r))));
}

// A plain-text table: first column left-aligned, the rest right-aligned (as scripts/bench/table.ts).
function lines(titles: string[], cells: string[][]): string {
  const widths = titles.map((title, i) => Math.max(title.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]): string => values.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [line(titles), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const gb = (v: number): string => (v / 1e9).toFixed(2);
const mb = (v: number): string => (v / 1e6).toFixed(0);
const kb = (v: number): string => (v / 1e3).toFixed(1);
const yes = (ok: boolean): string => (ok ? 'yes' : 'NO');
