// Model sources inside a real extension host: a Hugging Face id in the setting is downloaded from
// the Hub emulator the harness runs (HF_ENDPOINT) and inspected with; the picker offers every kind
// of source and writes the chosen one to the setting; a gated model without a token says so; a
// model another tool put in the Hugging Face cache opens without the Hub and is not removed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PickerRows, ModelChoice } from '../../src/host/modelPicker';
import { defaultHubCacheDir } from '../../src/models/hubEnvironment';
import { waitFor } from '../harness/wait';
import { pythonRepoFolder, writePythonCache } from '../hub/pythonCache';
import { extension, inspect, openFixture, select, shown } from './helpers';

const HUB_ID = 'raincandy-u/TinyStories-656K';
// test/hub/server.ts serves the fixture under this id, and only with its token (EMULATOR_TOKEN).
const GATED_ID = 'attention-lens-test/gated-TinyStories-656K';
// out/test/integration → the fixtures beside the repository.
const FIXTURE = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'models', 'tinystories-656k');

const settings = () => vscode.workspace.getConfiguration('attentionLens');
const setModel = (value: string | undefined) => settings().update('model', value, vscode.ConfigurationTarget.Global);
const pickerRows = () => vscode.commands.executeCommand<PickerRows>('attentionLens.modelPickerRows');

async function inspectPhrase(phrase: string) {
  const editor = await openFixture('story.txt');
  select(editor, phrase);
  return inspect();
}

describe('Models', function () {
  // A download and a model load; seconds at most against the local emulator.
  this.timeout(120_000);
  let previous: string | undefined;

  before(async () => {
    await extension().activate();
    assert.ok(process.env.HF_ENDPOINT, 'the harness points HF_ENDPOINT at the Hub emulator');
    previous = settings().inspect<string>('model')?.globalValue;
  });

  afterEach(async () => {
    await setModel(previous);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('downloads a Hugging Face id named in the setting and inspects with it', async () => {
    await vscode.commands.executeCommand('attentionLens.removeDownloadedModels', [`${HUB_ID}@main`]);
    await setModel(HUB_ID);
    const result = shown(await inspectPhrase('there was a little girl'));
    assert.equal(result.model.id, HUB_ID);
    assert.equal(result.layers, 2);
    assert.equal(result.heads, 8);
  });

  it('reuses the download without asking the Hub again', async () => {
    await setModel(HUB_ID);
    const saved = process.env.HF_ENDPOINT;
    // An endpoint nothing listens on: any request would fail with "cannot reach".
    process.env.HF_ENDPOINT = 'http://127.0.0.1:9';
    try {
      const result = shown(await inspectPhrase('she saw a big red ball'));
      assert.equal(result.model.id, HUB_ID);
    } finally {
      process.env.HF_ENDPOINT = saved;
    }
  });

  it('removes a downloaded model', async () => {
    const removed = await vscode.commands.executeCommand<string[]>('attentionLens.removeDownloadedModels', [`${HUB_ID}@main`]);
    assert.deepEqual(removed, [`${HUB_ID}@main`]);
    const again = await vscode.commands.executeCommand<string[]>('attentionLens.removeDownloadedModels', [`${HUB_ID}@main`]);
    assert.deepEqual(again, []);
  });

  it('opens a model Python downloaded into the Hugging Face cache without the Hub, and does not remove it', async () => {
    // The extension host's environment names the cache (the harness sets HF_HUB_CACHE for the run).
    const cacheDir = defaultHubCacheDir();
    const python = 'attention-lens-test/python-downloaded';
    const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'onnx/model.onnx'];
    const { folder } = writePythonCache(cacheDir, python, FIXTURE, files);
    const saved = process.env.HF_ENDPOINT;
    try {
      await setModel(python);
      process.env.HF_ENDPOINT = 'http://127.0.0.1:9';
      const result = shown(await inspectPhrase('there was a little girl'));
      assert.equal(result.model.id, python);
      const removed = await vscode.commands.executeCommand<string[]>('attentionLens.removeDownloadedModels', [`${python}@main`]);
      assert.deepEqual(removed, []);
      for (const file of files) assert.ok(fs.existsSync(path.join(folder, file)), `${file} is still there`);
    } finally {
      process.env.HF_ENDPOINT = saved;
      fs.rmSync(pythonRepoFolder(cacheDir, python), { recursive: true, force: true });
    }
  });

  it('says that HF_HUB_OFFLINE=1 keeps a model that is not in the cache from downloading', async () => {
    await setModel('nobody-here/not-in-the-cache');
    const saved = process.env.HF_HUB_OFFLINE;
    process.env.HF_HUB_OFFLINE = '1';
    try {
      const outcome = await inspectPhrase('there was a little girl');
      assert.equal(outcome.kind === 'failed' && outcome.code, 'offline-mode', JSON.stringify(outcome));
      assert.match(outcome.kind === 'failed' ? outcome.message : '', /not in the Hugging Face cache.*HF_HUB_OFFLINE/);
    } finally {
      if (saved === undefined) delete process.env.HF_HUB_OFFLINE;
      else process.env.HF_HUB_OFFLINE = saved;
    }
  });

  it('explains that a gated model needs a token', async () => {
    await setModel(GATED_ID);
    const outcome = await inspectPhrase('there was a little girl');
    assert.equal(outcome.kind, 'failed', JSON.stringify(outcome));
    assert.equal(outcome.kind === 'failed' && outcome.code, 'gated');
    const message = outcome.kind === 'failed' ? outcome.message : '';
    assert.match(message, /gated/);
    assert.match(message, /Set Hugging Face Token/);
  });

  it('opens a gated model with a token from HF_TOKEN, and says when the token is refused', async () => {
    await setModel(GATED_ID);
    const saved = process.env.HF_TOKEN;
    try {
      process.env.HF_TOKEN = 'hf_not_the_right_token';
      const refused = await inspectPhrase('there was a little girl');
      assert.equal(refused.kind === 'failed' && refused.code, 'gated', JSON.stringify(refused));
      assert.match(refused.kind === 'failed' ? refused.message : '', /token was refused/);

      process.env.HF_TOKEN = 'hf_attention_lens_emulator_token';
      const result = shown(await inspectPhrase('there was a little girl'));
      assert.equal(result.model.id, GATED_ID);
    } finally {
      process.env.HF_TOKEN = saved;
      await vscode.commands.executeCommand('attentionLens.removeDownloadedModels', [`${GATED_ID}@main`]);
    }
  });

  it('explains an id that is neither a folder nor on the Hub', async () => {
    await setModel('nobody-here/no-such-model');
    const outcome = await inspectPhrase('there was a little girl');
    assert.equal(outcome.kind === 'failed' && outcome.code, 'not-found', JSON.stringify(outcome));
  });

  it('offers the default, the suggested models, an id box and a folder dialog', async () => {
    const { open, entries } = await pickerRows();
    assert.equal(open, false);
    const kinds = entries.map((e) => e.kind);
    assert.equal(kinds[0], 'default');
    assert.equal(entries[0].value, '');
    assert.ok(entries.some((e) => e.kind === 'suggested' && e.value === 'sshleifer/tiny-gpt2'), JSON.stringify(entries));
    assert.ok(entries.filter((e) => e.kind === 'suggested').every((e) => /about|downloaded/.test(e.description ?? '')), 'suggestions show their size');
    assert.deepEqual(kinds.slice(-2), ['enter-id', 'open-folder']);
  });

  it('writes the row chosen in the picker to the user setting and remembers it', async () => {
    await setModel(undefined);
    const choice = vscode.commands.executeCommand<ModelChoice>('attentionLens.selectModel');
    // The workbench reports the active row once it shows the list: move through it only then, one
    // reported step at a time.
    const rows = await waitFor('the picker to show its rows', async () => {
      const now = await pickerRows();
      return now.open && now.active !== undefined && now;
    }, { timeoutMs: 10_000 });
    const start = rows.active!;
    const target = rows.entries.findIndex((e) => e.kind === 'suggested');
    for (let i = start; i < target; i++) {
      await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
      await waitFor(`row ${i + 1} to be active`, async () => (await pickerRows()).active === i + 1, { timeoutMs: 10_000 });
    }
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const result = await choice;
    assert.deepEqual(result, { kind: 'chosen', value: rows.entries[target].value });
    assert.equal(settings().inspect<string>('model')?.globalValue, rows.entries[target].value);
    const after = await pickerRows();
    assert.ok(after.entries.some((e) => e.kind === 'recent' && e.value === rows.entries[target].value), 'the choice is listed as recent');
  });

  it('falls back to the default model when neither the setting nor ATTENTION_LENS_MODEL names one', async () => {
    await setModel(undefined);
    const saved = process.env.ATTENTION_LENS_MODEL;
    delete process.env.ATTENTION_LENS_MODEL;
    try {
      // The bundled copy when `npm run models` prepared it, else a download from the emulator.
      const result = shown(await inspectPhrase('there was a little girl'));
      assert.equal(result.layers, 2);
      assert.equal(result.heads, 8);
    } finally {
      process.env.ATTENTION_LENS_MODEL = saved;
    }
  });
});
