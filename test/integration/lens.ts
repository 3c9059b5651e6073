// Helpers for the editor-side tests: the extension's test probe, hover cards read through VS Code's
// own hover command, and the expected attention computed from the inspection independently.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { maxOverHeads, meanOverHeads, rollout, selectHead, topK, type KeyWeight } from '../../src/attention';
import { BUCKETS } from '../../src/host/highlights';
import type { EditorProbe, ProbedInspection } from '../../src/host/probe';
import type { HeadChoice, ViewState } from '../../src/protocol';
import { DEFAULT_VIEW_STATE, headChoice } from '../../src/viewState';
import { extension } from './helpers';
import { waitFor } from '../harness/wait';

export const CLEAR = 'attentionLens.clearHighlights';
export const SHOW_PANEL = 'attentionLens.showPanel';

/** The probe the extension exposes under a test runner. */
export async function probe(): Promise<EditorProbe> {
  const api = await extension().activate();
  assert.ok(api.probe, 'the extension exposes its probe only in test mode (ExtensionMode.Test)');
  return api.probe;
}

export function current(p: EditorProbe): ProbedInspection {
  const inspection = p.inspection();
  assert.ok(inspection, 'no inspection is attached to an editor');
  return inspection;
}

/** One row of a hover card: rank, the attended token's index, its weight as shown. */
export interface CardRow {
  rank: number;
  index: number;
  weight: number;
}

/** The Attention Lens hover card at `position`, as VS Code's hover command returns it; undefined if none. */
export async function hoverCard(uri: vscode.Uri, position: vscode.Position): Promise<{ text: string; rows: CardRow[] } | undefined> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
  for (const hover of hovers ?? []) {
    const text = hover.contents.map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
    if (!text.includes('Attention Lens')) continue;
    const rows: CardRow[] = [];
    for (const line of text.split('\n')) {
      const m = /^\| (\d+) \| .* \| #(\d+) \| (\d+\.\d+) \|$/.exec(line);
      if (m) rows.push({ rank: Number(m[1]), index: Number(m[2]), weight: Number(m[3]) });
    }
    return { text, rows };
  }
  return undefined;
}

/** The view state of a panel showing `head` (a head or an aggregate over heads) of `layer`. */
export function viewOf(layer: number, head: HeadChoice): ViewState {
  return typeof head === 'number' ? { ...DEFAULT_VIEW_STATE, layer, head } : { ...DEFAULT_VIEW_STATE, layer, aggregation: head };
}

/** Query `query`'s attention row under `view`, computed with src/attention from the layers the engine's store holds. */
export async function expectedRow(inspection: ProbedInspection, query: number, view: ViewState): Promise<Float32Array> {
  const p = await probe();
  assert.equal(p.inspection()?.id, inspection.id, 'the attention read is the inspection\'s');
  const layers = await p.attention();
  const { heads } = inspection;
  const T = inspection.tokens.length;
  const head = headChoice(view);
  let matrix: Float32Array;
  if (head === 'mean') matrix = meanOverHeads(layers[view.layer], heads, T);
  else if (head === 'max') matrix = maxOverHeads(layers[view.layer], heads, T);
  else if (head === 'rollout') matrix = rollout(layers, heads, T)[view.layer];
  else matrix = selectHead(layers[view.layer], heads, T, head);
  return matrix.slice(query * T, (query + 1) * T);
}

/** Token index → opacity bucket that query `query`'s highlights should use, computed independently. */
export async function expectedBuckets(inspection: ProbedInspection, query: number, view: ViewState): Promise<Map<number, number>> {
  const row = await expectedRow(inspection, query, view);
  const paintable = inspection.tokens.map((t) => t.end > t.start);
  const strongest = Math.max(...Array.from(row).filter((_, i) => paintable[i]));
  const expected = new Map<number, number>();
  row.forEach((w, i) => {
    const bucket = Math.min(BUCKETS, Math.round((w / strongest) * BUCKETS));
    if (paintable[i] && bucket > 0) expected.set(i, bucket);
  });
  return expected;
}

/** The probe's painted tokens as token index → bucket. */
export async function paintedBuckets(p: EditorProbe): Promise<Map<number, number>> {
  return new Map((await p.highlights()).painted.map((t) => [t.index, t.bucket]));
}

/** The five heaviest keys of the row, leaving out zero weights (a causal model's future tokens). */
export async function expectedTop5(inspection: ProbedInspection, query: number, view: ViewState): Promise<KeyWeight[]> {
  return topK(await expectedRow(inspection, query, view), 5).filter((k) => k.weight > 0);
}

/** Asserts the card lists exactly `expected`, in order, with weights as shown (3 decimals). */
export function assertCardMatches(rows: CardRow[], expected: KeyWeight[], tolerance = 0.0005 + 1e-6): void {
  assert.equal(rows.length, expected.length, `the card lists ${rows.length} tokens, expected ${expected.length}`);
  rows.forEach((row, i) => {
    assert.equal(row.rank, i + 1);
    assert.equal(row.index, expected[i].index, `entry ${i + 1}: token #${row.index}, expected #${expected[i].index}`);
    assert.ok(Math.abs(row.weight - expected[i].weight) <= tolerance,
      `entry ${i + 1}: weight ${row.weight}, expected ${expected[i].weight}`);
  });
}

/** The index of the first token whose text contains `fragment`. */
export function tokenIndex(inspection: ProbedInspection, fragment: string): number {
  const index = inspection.tokens.findIndex((t) => !t.special && t.text.includes(fragment));
  assert.ok(index >= 0, `no token contains "${fragment}": ${inspection.tokens.map((t) => t.text).join(' ')}`);
  return index;
}

/** Where token `index` starts in the document now. */
export function tokenStart(document: vscode.TextDocument, inspection: ProbedInspection, index: number): vscode.Position {
  return document.positionAt(document.offsetAt(inspection.range.start) + inspection.tokens[index].start);
}

/** Puts the caret at `position` and waits until the editor side has followed it. */
export async function moveCaret(editor: vscode.TextEditor, position: vscode.Position, p: EditorProbe, expectFocus: number | undefined): Promise<void> {
  editor.selection = new vscode.Selection(position, position);
  await waitFor(`the focus to follow the caret to ${expectFocus}`, async () => (await p.highlights()).focus === expectFocus, { timeoutMs: 10_000, intervalMs: 50 });
}

/** Closes every editor without saving: edits made by the tests are thrown away, no dialog asks. */
export async function closeWithoutSaving(): Promise<void> {
  for (let i = 0; i < 20 && vscode.window.activeTextEditor; i++) {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  // Untitled documents are disposed a moment after their editors close; a new one opened before
  // that may be handed the old one's name (and, briefly, its text).
  await waitFor('untitled documents to close', () => !vscode.workspace.textDocuments.some((d) => d.isUntitled), { timeoutMs: 5_000, intervalMs: 50 })
    .catch(() => undefined);
}

/** Sets a global setting for the duration of `body`. */
export async function withSetting<T>(key: string, value: unknown, body: () => Promise<T>): Promise<T> {
  const config = vscode.workspace.getConfiguration('attentionLens');
  const previous = config.inspect(key)?.globalValue;
  await config.update(key, value, vscode.ConfigurationTarget.Global);
  try {
    return await body();
  } finally {
    await vscode.workspace.getConfiguration('attentionLens').update(key, previous, vscode.ConfigurationTarget.Global);
  }
}
