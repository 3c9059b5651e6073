// Times the notebook renderer in real Chromium (Debian's, through playwright-core) on large outputs
// made by the Python helper: 12 layers × 12 heads × 512 tokens of softmax attention, bidirectional
// and causal, in the helper's automatic precision (uint8 at this size) and as float16. For each it
// prints medians of
//   first      renderOutputItem called → the first layer's matrix on the canvas
//   layers     → every layer decoded and added (renderOutputItem resolved)
//   model      → the model view's 144 thumbnails painted
//   longest    the longest main-thread task meanwhile (what a user would feel as a freeze)
// and, as the baseline measured in the same run, the same attention as the helper's text/html page
// (the CLI's --html page) loading in a tab: the ratio is renderer ÷ page for the model-view time.
// Run: node --import tsx scripts/bench-notebook.ts [--runs N]   (needs npm run build and python3-numpy)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runPython } from '../test/harness/pythonHelper';
import { launch } from '../test/webview/page';
import { openRendererPage, renderOutput, type RenderTiming } from '../test/webview/rendererPage';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const LAYERS = 12;
const HEADS = 12;
const T = 512;
const dir = path.resolve('.cache', 'bench-notebook');

// Synthetic attention with the shape of a BERT-base / GPT-2-small output, written as the helper's
// MIME document and as its page.
const MAKE = `
import json, sys
import numpy as np
import attention_lens
layers, heads, T, causal, precision, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "causal", sys.argv[5], sys.argv[6]
rng = np.random.default_rng(7)
scores = rng.standard_normal((layers, heads, T, T), dtype=np.float32) * 3
if causal:
    scores[..., np.triu(np.ones((T, T), dtype=bool), 1)] = -np.inf
scores -= scores.max(axis=-1, keepdims=True)
np.exp(scores, out=scores)
scores /= scores.sum(axis=-1, keepdims=True)
view = attention_lens.show(scores, ["t%d" % i for i in range(T)], text=" ".join("t%d" % i for i in range(T)), model="synthetic-12x12", precision=precision)
doc = view.document()
with open(out + ".json", "w") as f:
    json.dump(doc, f)
view.save_html(out + ".html")
print(doc["attention"]["precision"], doc["attention"]["layout"])
`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const sets = [
    { name: 'bidirectional, auto', layout: 'full', precision: 'auto' },
    { name: 'causal, auto', layout: 'causal', precision: 'auto' },
    { name: 'causal, float16', layout: 'causal', precision: 'float16' },
  ];
  const browser = await launch();
  const rows: Record<string, string | number>[] = [];
  try {
    for (const set of sets) {
      const base = path.join(dir, `${set.layout}-${set.precision}`);
      const stored = (await runPython(MAKE, String(LAYERS), String(HEADS), String(T), set.layout, set.precision, base)).trim();
      const bytes = fs.readFileSync(`${base}.json`);
      const timings: RenderTiming[] = [];
      const pageMs: number[] = [];
      for (let i = 0; i < runs; i++) {
        const { page, errors } = await openRendererPage(browser, new Map([['big', bytes]]), { width: 1280, height: 1000 });
        timings.push(await renderOutput(page, 'big', LAYERS * HEADS));
        if (errors.length) throw new Error(errors.join('\n'));
        await page.close();

        // Baseline: the same attention as the --html page, from navigation start to every thumbnail.
        const tab = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
        await tab.goto(pathToFileURL(`${base}.html`).href);
        await tab.waitForFunction((all) => document.querySelector<HTMLElement>('.al-model')?.dataset.painted === all, String(LAYERS * HEADS), { timeout: 120_000 });
        pageMs.push(await tab.evaluate(() => performance.now()));
        await tab.close();
      }
      const model = median(timings.map((t) => t.modelViewMs));
      rows.push({
        output: set.name,
        stored,
        'MB': +(bytes.length / 1e6).toFixed(1),
        'first ms': Math.round(median(timings.map((t) => t.firstMatrixMs))),
        'layers ms': Math.round(median(timings.map((t) => t.allLayersMs))),
        'model ms': Math.round(model),
        'longest task ms': Math.round(median(timings.map((t) => t.longestTaskMs))),
        'page ms (baseline)': Math.round(median(pageMs)),
        'renderer / page': +(model / median(pageMs)).toFixed(2),
      });
      console.error(`${set.name}: done`);
    }
  } finally {
    await browser.close();
  }
  console.log(`notebook renderer, ${LAYERS} layers × ${HEADS} heads × ${T} tokens, medians of ${runs} runs`);
  console.table(rows);
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
