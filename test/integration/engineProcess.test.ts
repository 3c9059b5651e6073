// The engine runs in a child process of the extension host: a native crash of it (a real one, a
// signal sent to its pid from here) costs an inspection and a message, never the extension host.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CLEAR, current, probe } from './lens';
import { extension, inspect, note, openText, shown } from './helpers';
import { waitFor } from '../harness/wait';

interface GoldenPrompt {
  text: string;
  input_ids: number[];
  attentions: number[][][][];
}

/** The engine: the child of this extension host whose command line names the engine bundle. */
function enginePids(): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (parent === process.pid && cmdline.some((arg) => arg.endsWith(`${path.sep}dist${path.sep}engine.js`))) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

function onlyEngine(): number {
  const pids = enginePids();
  assert.equal(pids.length, 1, `one engine process is a child of the extension host ${process.pid}: ${pids.join(', ')}`);
  return pids[0];
}

/** Inspects the first golden prompt of the model fixture and checks ids and attention against it. */
async function inspectsGolden(): Promise<void> {
  const model = process.env.ATTENTION_LENS_MODEL;
  assert.ok(model, 'ATTENTION_LENS_MODEL names the tinystories-656k fixture');
  const prompt = (JSON.parse(fs.readFileSync(path.join(model, 'golden.json'), 'utf8')) as { prompts: GoldenPrompt[] }).prompts[0];
  const editor = await openText(prompt.text);
  editor.selection = new vscode.Selection(editor.document.positionAt(0), editor.document.positionAt(prompt.text.length));
  shown(await inspect());
  const p = await probe();
  const inspection = current(p);
  assert.deepEqual(inspection.tokens.map((t) => t.id), prompt.input_ids);
  const layers = await p.attention();
  const T = prompt.input_ids.length;
  let worst = 0;
  prompt.attentions.forEach((layer, l) => layer.forEach((head, h) => head.forEach((row, q) => row.forEach((v, k) => {
    worst = Math.max(worst, Math.abs(v - layers[l][(h * T + q) * T + k]));
  }))));
  assert.ok(worst < 1e-4, `attention within 1e-4 of golden.json (max difference ${worst})`);
}

describe('Engine process', function () {
  this.timeout(120_000);
  const hostPid = process.pid;

  before(async () => {
    await extension().activate();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('runs as a child process of the extension host', async () => {
    await inspectsGolden();
    onlyEngine();
  });

  it('an engine aborted mid-inspection: the message says so, the host lives on, the next inspection works', async () => {
    const p = await probe();
    const engine = onlyEngine();
    // Stopped first, so that the abort lands while the inspection is in flight.
    process.kill(engine, 'SIGSTOP');
    const editor = await openText('Once upon a time there was a little girl named Lily.');
    editor.selection = new vscode.Selection(editor.document.positionAt(0), editor.document.positionAt(16));
    const outcome = inspect();
    await waitFor('the inspection to reach the engine', () => p.running(), { timeoutMs: 10_000, intervalMs: 50 });
    process.kill(engine, 'SIGABRT');
    process.kill(engine, 'SIGCONT');
    const failed = await outcome;
    assert.equal(failed?.kind, 'failed', JSON.stringify(failed));
    assert.equal(failed.kind === 'failed' && failed.code, 'engine-stopped');
    assert.match(failed.kind === 'failed' ? failed.message : '', /^The attention engine stopped \(signal SIGABRT\) and was restarted\.$/);
    note(`      engine ${engine} aborted; extension host ${process.pid} still answers`);

    assert.equal(process.pid, hostPid, 'the extension host is the same process');
    await vscode.commands.executeCommand(CLEAR);
    await waitFor('a new engine process', () => enginePids().some((pid) => pid !== engine), { timeoutMs: 10_000, intervalMs: 50 });
    await inspectsGolden();
    assert.notEqual(onlyEngine(), engine);
  });

  it('an engine killed while idle is restarted, and the next inspection works', async () => {
    const engine = onlyEngine();
    process.kill(engine, 'SIGKILL');
    await waitFor('a new engine process', () => enginePids().some((pid) => pid !== engine), { timeoutMs: 10_000, intervalMs: 50 });
    assert.equal(process.pid, hostPid);
    await inspectsGolden();
    assert.notEqual(onlyEngine(), engine);
  });
});
