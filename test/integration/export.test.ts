// Export: the current inspection's report as JSON and the panel's views as PNG, through the two
// commands, with the save dialog answered by the test probe (a headless run cannot click it).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Report } from '../../src/report/report';
import type { ExportResult } from '../../src/host/exportCommands';
import type { EditorProbe } from '../../src/host/probe';
import { inspect, openFixture, select, shown } from './helpers';
import { waitFor } from '../harness/wait';
import { probe as getProbe } from './lens';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('Export', function () {
  this.timeout(120_000);
  let probe: EditorProbe;
  let dir: string;
  let asked: vscode.SaveDialogOptions[] = [];

  /** The next save dialogs answer `uri` (undefined: the user cancels). */
  function answer(uri: vscode.Uri | undefined): void {
    probe.stubSaveDialog((options) => {
      asked.push(options);
      return Promise.resolve(uri);
    });
  }

  before(async () => {
    probe = await getProbe();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attention-lens-export-'));
    const editor = await openFixture('story.txt');
    select(editor, 'there was a little girl named Lily');
    shown(await inspect());
  });

  beforeEach(() => {
    asked = [];
  });

  after(async () => {
    probe.stubSaveDialog(undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('writes the inspection as an attention-lens/v1 report', async () => {
    const inspection = probe.inspection();
    assert.ok(inspection);
    const layers = await probe.attention();
    const target = vscode.Uri.file(path.join(dir, 'report.json'));
    answer(target);
    const result = await vscode.commands.executeCommand<ExportResult | undefined>('attentionLens.exportReport');
    assert.ok(result, 'the export reported no file');
    assert.equal(result.uri.fsPath, target.fsPath);
    assert.equal(asked.length, 1);
    assert.match(path.basename(asked[0].defaultUri!.path), /^attention-[A-Za-z0-9._-]+\.json$/);
    assert.deepEqual(Object.values(asked[0].filters ?? {}), [['json']]);

    const report = JSON.parse(fs.readFileSync(target.fsPath, 'utf8')) as Report;
    assert.equal(report.format, 'attention-lens/v1');
    assert.deepEqual(report.tokens, inspection.tokens);
    assert.equal(report.model.heads, inspection.heads);
    assert.equal(report.attention.length, inspection.layers);
    const T = inspection.tokens.length;
    report.attention.forEach((layer, l) => {
      assert.equal(layer.length, inspection.heads);
      layer.forEach((head, h) => head.forEach((row, q) => {
        const expected = Array.from(layers[l].subarray((h * T + q) * T, (h * T + q + 1) * T));
        assert.deepEqual(row, expected, `layer ${l}, head ${h}, query ${q}`);
      }));
    });
  });

  for (const view of ['matrix', 'heads', 'model'] as const) {
    it(`writes the ${view} view as the PNG the panel drew`, async () => {
      const target = vscode.Uri.file(path.join(dir, `${view}.png`));
      answer(target);
      const result = await vscode.commands.executeCommand<ExportResult | undefined>('attentionLens.exportView', view);
      assert.ok(result, 'the export reported no file');
      assert.equal(result.view, view);
      const name = path.basename(asked[0].defaultUri!.path);
      if (view === 'matrix') assert.match(name, /^attention-[A-Za-z0-9._-]+-\d+-(\d+|mean|max|rollout)\.png$/);
      else assert.match(name, /^attention-[A-Za-z0-9._-]+\.png$/);
      const png = fs.readFileSync(target.fsPath);
      assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), 'the file starts with the PNG signature');
      assert.equal(png.toString('latin1', 12, 16), 'IHDR');
      const width = png.readUInt32BE(16);
      const height = png.readUInt32BE(20);
      assert.ok(width > 10 && height > 10, `a ${width}×${height} image`);
      assert.deepEqual([width, height], [result.width, result.height], 'the image has the canvas size');
    });
  }

  it('shows a panel hidden behind another tab to draw the view, and writes it', async () => {
    const panelTab = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) =>
      t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('attentionLens.panel'));
    const tab = panelTab();
    assert.ok(tab, 'the panel is open');
    // Another file in the panel's editor group puts the panel behind a tab; its page is unloaded.
    const other = await vscode.workspace.openTextDocument({ content: 'in front of the panel', language: 'plaintext' });
    await vscode.window.showTextDocument(other, { viewColumn: tab.group.viewColumn, preview: false });
    await waitFor('the panel to go behind the other tab', () => panelTab()?.isActive === false, { timeoutMs: 10_000, intervalMs: 50 });
    const target = vscode.Uri.file(path.join(dir, 'hidden-heads.png'));
    answer(target);
    const result = await vscode.commands.executeCommand<ExportResult | undefined>('attentionLens.exportView', 'heads');
    assert.ok(result, 'the export reported no file');
    assert.equal(result.view, 'heads');
    assert.equal(panelTab()?.isActive, true, 'the panel is shown again');
    const png = fs.readFileSync(target.fsPath);
    assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), 'the file starts with the PNG signature');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [result.width, result.height]);
  });

  it('writes nothing when the save dialog is cancelled', async () => {
    answer(undefined);
    assert.equal(await vscode.commands.executeCommand('attentionLens.exportReport'), undefined);
    assert.equal(await vscode.commands.executeCommand('attentionLens.exportView', 'matrix'), undefined);
    assert.equal(asked.length, 2);
  });

  it('reports a file that cannot be written instead of throwing', async () => {
    // A folder where the file should go: the write fails, the command answers undefined.
    answer(vscode.Uri.file(dir));
    assert.equal(await vscode.commands.executeCommand('attentionLens.exportReport'), undefined);
  });
});
