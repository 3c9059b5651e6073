// Writes the Python helper's page template (python/attention_lens/page_template.html): the CLI's
// `--html` page, made by the CLI's own reportHtml around the freshly built dist/standalone.js, with
// markers where each report's parts go. The helper fills them in, so a notebook's text/html output
// is the same page (same script, styles and content security policy) without Node at run time and
// without a second copy of the page in Python.
import { readFileSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';

export const TEMPLATE = 'python/attention_lens/page_template.html';

// Markers the helper replaces (python/attention_lens/_page.py); none can occur in the views bundle.
const MODEL = '@@ATTENTION_LENS_MODEL@@';
const WARNING = '@@ATTENTION_LENS_WARNING@@';

export async function writePythonPageTemplate(outdir) {
  const built = await esbuild.build({
    entryPoints: ['src/report/html.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'error',
  });
  const { reportHtml } = await import(`data:text/javascript;base64,${Buffer.from(built.outputFiles[0].text).toString('base64')}`);
  const bundle = readFileSync(`${outdir}/standalone.js`, 'utf8');
  const input = { model: { id: MODEL, layers: 0, heads: 0, causal: false }, text: '', tokens: [], layers: [], warnings: [WARNING] };
  let page = reportHtml(input, bundle, 'float32').html;
  const swap = (pattern, marker) => {
    const next = page.replace(pattern, marker);
    if (next === page) throw new Error(`python page template: ${pattern} not found in the --html page`);
    page = next;
  };
  swap(/<p>[^<]*<\/p>/, '<p>@@ATTENTION_LENS_SHAPE@@</p>');
  swap(`<p class="al-page-warning">${WARNING}</p>`, '@@ATTENTION_LENS_WARNINGS@@');
  swap(/<script type="application\/json" id="attention-lens-report">[^<]*<\/script>\n/, '@@ATTENTION_LENS_REPORT@@\n@@ATTENTION_LENS_LAYERS@@');
  if (!page.includes(MODEL)) throw new Error('python page template: the model id is not in the --html page');
  writeFileSync(TEMPLATE, page);
}
