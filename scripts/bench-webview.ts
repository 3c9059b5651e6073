// Times the attention views in real Chromium (Debian's, through playwright-core) at 512 tokens, for
// layer sets shaped like bert-tiny-random (2 × 4), tinystories-656k (2 × 8, causal) and a synthetic
// 12 × 12 model, and prints medians:
//   matrix     redraw of the matrix after picking another head (target ≤ 16 ms)
//   frame      every view's drawing in that same frame (the head view and model view should not redraw)
//   model      drawing every thumbnail of the model view from the attention after the inspection
//              arrives: the drawing time summed over the frames it is spread across (≤ 150 ms)
//   recolour   the same view after a theme change, which recolours the already pooled thumbnails
//   hover      a pointerover on a token until the strip's new tints are styled (≤ 16 ms)
//   rollout    one-off: computing the rollout through every layer when it is first asked for (by
//              the page's LocalAttention, as the standalone page and the notebook do), with the
//              longest main-thread task and the blocking time (long tasks' time beyond 50 ms each)
//              from the switch until the rollout is drawn
// Run: node --import tsx scripts/bench-webview.ts [--runs N]
import { buildHarness, feed, launch, openViews, settle } from '../test/webview/page';
import type { SyntheticSpec } from '../test/webview/synthetic';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 25;
const T = 512;
const SETS: { name: string; spec: SyntheticSpec }[] = [
  { name: 'bert-tiny-random (2×4)', spec: { id: 'bert-tiny-random', layers: 2, heads: 4, tokens: T, causal: false, kind: 'random' } },
  { name: 'tinystories-656k (2×8, causal)', spec: { id: 'tinystories-656k', layers: 2, heads: 8, tokens: T, causal: true, kind: 'random' } },
  { name: 'synthetic 12×12', spec: { id: 'synthetic-12x12', layers: 12, heads: 12, tokens: T, causal: false, kind: 'random' } },
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const [url, browser] = await Promise.all([buildHarness(), launch()]);
  const rows: Record<string, string | number>[] = [];
  try {
    for (const { name, spec } of SETS) {
      const { page, errors } = await openViews(browser, url, { width: 1280, height: 1000 });
      await feed(page, spec);
      await settle(page);

      // A head switch: the matrix's own measure, and all measures taken in that frame.
      const heads = await page.evaluate(async ({ runs, heads }) => {
        const app = window.harness.app!;
        const matrix: number[] = [];
        const frame: number[] = [];
        for (let i = 0; i < runs; i++) {
          performance.clearMeasures();
          app.setState({ ...app.getState(), head: (i + 1) % heads });
          await window.harness.frame();
          const entries = performance.getEntriesByType('measure').filter((e) => e.name !== 'attention-lens:strip');
          matrix.push(entries.find((e) => e.name === 'attention-lens:matrix')?.duration ?? NaN);
          frame.push(entries.reduce((sum, e) => sum + e.duration, 0));
        }
        return { matrix, frame };
      }, { runs, heads: spec.heads });

      // The same inspection sent again: the first frame pools every thumbnail from the attention,
      // which is the full cost of drawing the model view from data.
      const model = await page.evaluate(async ({ runs, spec }) => {
        const times: number[] = [];
        const frames: number[] = [];
        for (let i = 0; i < Math.min(runs, 12); i++) {
          performance.clearMeasures();
          window.harness.inspect(spec);
          window.harness.layers(0, spec.layers);
          window.harness.done();
          const all = String(spec.layers * spec.heads);
          // The count on the page is from the previous inspection until the first frame has run.
          do await window.harness.frame();
          while (document.querySelector<HTMLElement>('.al-model')?.dataset.painted !== all);
          const draws = performance.getEntriesByName('attention-lens:model-view');
          times.push(draws.reduce((sum, e) => sum + e.duration, 0));
          frames.push(draws.length);
        }
        return { times, frames };
      }, { runs, spec });

      // A theme change only recolours the pooled thumbnails.
      const recolour = await page.evaluate(async (runs) => {
        const times: number[] = [];
        for (let i = 0; i < Math.min(runs, 12); i++) {
          performance.clearMeasures();
          document.body.classList.toggle('vscode-dark');
          document.body.classList.toggle('vscode-light');
          await window.harness.frame();
          times.push(performance.getEntriesByType('measure').find((e) => e.name === 'attention-lens:model-view')?.duration ?? NaN);
        }
        return times;
      }, runs);

      // Hover: dispatch, then read a computed style, which forces the style recalculation the tints need.
      const hover = await page.evaluate(async (runs) => {
        const spans = [...document.querySelectorAll<HTMLElement>('.al-token')];
        const times: number[] = [];
        for (let i = 0; i < runs * 2; i++) {
          const k = 1 + ((i * 97) % (spans.length - 1));
          const start = performance.now();
          spans[k].dispatchEvent(new PointerEvent('pointerover', { bubbles: true }));
          void getComputedStyle(spans[k - 1]).backgroundColor;
          times.push(performance.now() - start);
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        return times;
      }, runs);

      // The switch to rollout, with the main thread's long tasks (over 50 ms) while it computes:
      // "blocking" sums their time beyond 50 ms each, as Lighthouse's total blocking time does.
      const rollout = await page.evaluate(async (layers) => {
        const app = window.harness.app!;
        app.setState({ ...app.getState(), layer: layers - 1 });
        await window.harness.frame();
        const tasks: number[] = [];
        const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries().map((e) => e.duration)));
        observer.observe({ type: 'longtask' });
        const start = performance.now();
        app.setState({ ...app.getState(), aggregation: 'rollout' });
        // The first frame shows "computing…"; the rollout is answered, then the matrix redraws.
        await window.harness.frame();
        while (document.querySelector('.al-matrix .al-pending')) await new Promise((resolve) => setTimeout(resolve, 5));
        const ms = performance.now() - start;
        await new Promise((resolve) => setTimeout(resolve, 50));
        observer.disconnect();
        return { ms, longest: Math.max(0, ...tasks), blocking: tasks.reduce((sum, d) => sum + Math.max(0, d - 50), 0) };
      }, spec.layers);

      rows.push({
        'layer set (T = 512)': name,
        'matrix, new head (ms)': +median(heads.matrix).toFixed(1),
        'whole frame (ms)': +median(heads.frame).toFixed(1),
        thumbnails: spec.layers * spec.heads,
        'model view (ms)': +median(model.times).toFixed(1),
        'in frames': median(model.frames),
        'theme recolour (ms)': +median(recolour).toFixed(1),
        'strip hover (ms)': +median(hover).toFixed(2),
        'rollout, once (ms)': Math.round(rollout.ms),
        'rollout longest task (ms)': Math.round(rollout.longest),
        'rollout blocking (ms)': Math.round(rollout.blocking),
      });
      if (errors.length > 0) console.error(`${name}: page errors:`, errors);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  const version = browser.version();
  const os = await import('node:os');
  console.log(`Chromium ${version}, headless, software rendering, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)}.`);
  console.log(`Medians of ${runs} runs (model view and recolour: ${Math.min(runs, 12)}).`);
  console.log('Targets: matrix ≤ 16 ms, model view ≤ 150 ms, strip hover ≤ 16 ms.');
  const columns = Object.keys(rows[0]);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(columns));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(columns.map((c) => String(row[c]))));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
