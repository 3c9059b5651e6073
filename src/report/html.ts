// `attention-lens inspect --html`: one self-contained page with the panel's four views. The bundled
// views script, the theme and the report are all inline, so the file opens from disk or an e-mail
// attachment with no network; its content security policy allows only those inline blocks (by hash).
import { createHash } from 'node:crypto';
import { encodeFloat16, quantizeProbabilities } from '../attention/quantize';
import type { ModelInfo, Token } from '../protocol';
import { packLowerTriangle, upperTriangleIsZero } from './causalTriangle';
import { EMBED, HTML_MAX_ERROR, type EmbeddedReport, type HtmlPrecision } from './htmlFormat';

export { HTML_MAX_ERROR, HTML_PRECISIONS, type HtmlPrecision } from './htmlFormat';

// Past these many stored values, float32 (then float16) makes the page needlessly large: 2^21 values
// are 11 MB of base64 as float32, 2^24 are 45 MB as float16.
const FLOAT32_LIMIT = 2 ** 21;
const FLOAT16_LIMIT = 2 ** 24;

export interface HtmlInput {
  model: ModelInfo & { provider?: string };
  text: string;
  tokens: Token[];
  /** Per layer, Float32 [heads][T][T]. */
  layers: Float32Array[];
  warnings?: string[];
}

export interface HtmlPage {
  html: string;
  precision: HtmlPrecision;
  layout: 'full' | 'causal';
  maxError: number;
}

/** Builds the page around `bundle` (the standalone views script); `precision` defaults to by size. */
export function reportHtml(input: HtmlInput, bundle: string, precision?: HtmlPrecision): HtmlPage {
  const T = input.tokens.length;
  const causal = input.model.causal && input.layers.every((layer) => upperTriangleIsZero(layer, T));
  const stored = input.layers.map((layer) => (causal ? packLowerTriangle(layer, T) : layer));
  const count = stored.reduce((sum, layer) => sum + layer.length, 0);
  const chosen = precision ?? (count <= FLOAT32_LIMIT ? 'float32' : count <= FLOAT16_LIMIT ? 'float16' : 'uint8');
  const layout = causal ? 'causal' : 'full';
  const maxError = HTML_MAX_ERROR[chosen];

  const embedded: EmbeddedReport = {
    format: 'attention-lens/v1',
    model: input.model,
    text: input.text,
    tokens: input.tokens,
    warnings: input.warnings ?? [],
    attention: { precision: chosen, layout, maxError },
  };
  const layerBlocks = stored
    .map((values, l) => `<script type="application/octet-stream" class="${EMBED.layerClass}" data-layer="${l}">${encodeLayer(values, chosen)}</script>`)
    .join('\n');
  const script = inlineScript(bundle);
  const style = THEME_CSS;
  const csp = [
    "default-src 'none'",
    `script-src '${sha256(script)}'`,
    `style-src '${sha256(style)}'`,
    'img-src data:',
    'font-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const { model } = input;
  const shape = `${T} tokens · ${model.layers} layers × ${model.heads} heads · ${model.causal ? 'causal' : 'bidirectional'}`;
  const stored_ = chosen === 'float32' ? 'attention stored as float32 (exact)' : `attention stored as ${chosen} (error ≤ ${maxError.toPrecision(2)})`;
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="attention-lens">
<title>Attention Lens · ${escapeHtml(model.id)}</title>
<style>${style}</style>
</head>
<body>
<header class="al-page-header">
<h1>${escapeHtml(model.id)}</h1>
<p>${escapeHtml(shape)} · ${escapeHtml(stored_)}</p>
${embedded.warnings.map((w) => `<p class="al-page-warning">${escapeHtml(w)}</p>`).join('\n')}
</header>
<main id="${EMBED.root}"></main>
<script type="application/json" id="${EMBED.report}">${jsonForScript(embedded)}</script>
${layerBlocks}
<script>${script}</script>
</body>
</html>
`;
  return { html, precision: chosen, layout, maxError };
}

function encodeLayer(values: Float32Array, precision: HtmlPrecision): string {
  const bytes =
    precision === 'float32' ? values : precision === 'float16' ? encodeFloat16(values) : quantizeProbabilities(values);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

// Inside <script>, only "</script" and "<!--" change how HTML parses the text.
function inlineScript(bundle: string): string {
  const body = bundle.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n');
  if (/<\/script|<!--/i.test(body)) throw new Error('the views bundle contains "</script" or "<!--" and cannot be inlined');
  return body;
}

function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// The --vscode-* variables VS Code would define, with Dark Modern and Light Modern values; the page
// follows the reader's light or dark preference.
const DARK = `
  --vscode-editor-background: #1f1f1f; --vscode-editor-foreground: #cccccc; --vscode-foreground: #cccccc;
  --vscode-descriptionForeground: #9d9d9d; --vscode-charts-blue: #3794ff; --vscode-focusBorder: #0078d4;
  --vscode-panel-border: #2b2b2b; --vscode-widget-border: #313131;
  --vscode-editorHoverWidget-background: #202020; --vscode-editorHoverWidget-foreground: #cccccc;
  --vscode-editorHoverWidget-border: #454545; --vscode-widget-shadow: rgba(0, 0, 0, 0.36);
  --vscode-settings-dropdownBackground: #313131; --vscode-settings-dropdownForeground: #cccccc;
  --vscode-settings-dropdownBorder: #3c3c3c; --vscode-settings-dropdownListBorder: #454545;
  --vscode-settings-checkboxBackground: #313131; --vscode-settings-checkboxForeground: #cccccc;
  --vscode-settings-checkboxBorder: #3c3c3c; --vscode-checkbox-background: #313131;
  --vscode-checkbox-border: #3c3c3c; --vscode-checkbox-foreground: #cccccc;
  --vscode-list-activeSelectionBackground: #04395e; --vscode-list-activeSelectionForeground: #ffffff;
  --vscode-list-hoverBackground: #2a2d2e; --vscode-list-focusOutline: #0078d4;
  --vscode-progressBar-background: #0078d4; --vscode-icon-foreground: #cccccc;`;
const LIGHT = `
  --vscode-editor-background: #ffffff; --vscode-editor-foreground: #3b3b3b; --vscode-foreground: #3b3b3b;
  --vscode-descriptionForeground: #717171; --vscode-charts-blue: #1a85ff; --vscode-focusBorder: #005fb8;
  --vscode-panel-border: #e5e5e5; --vscode-widget-border: #e5e5e5;
  --vscode-editorHoverWidget-background: #f8f8f8; --vscode-editorHoverWidget-foreground: #3b3b3b;
  --vscode-editorHoverWidget-border: #c8c8c8; --vscode-widget-shadow: rgba(0, 0, 0, 0.16);
  --vscode-settings-dropdownBackground: #ffffff; --vscode-settings-dropdownForeground: #3b3b3b;
  --vscode-settings-dropdownBorder: #cecece; --vscode-settings-dropdownListBorder: #c8c8c8;
  --vscode-settings-checkboxBackground: #f8f8f8; --vscode-settings-checkboxForeground: #3b3b3b;
  --vscode-settings-checkboxBorder: #cecece; --vscode-checkbox-background: #f8f8f8;
  --vscode-checkbox-border: #cecece; --vscode-checkbox-foreground: #3b3b3b;
  --vscode-list-activeSelectionBackground: #e8e8e8; --vscode-list-activeSelectionForeground: #000000;
  --vscode-list-hoverBackground: #f2f2f2; --vscode-list-focusOutline: #005fb8;
  --vscode-progressBar-background: #005fb8; --vscode-icon-foreground: #3b3b3b;`;

const THEME_CSS = `
:root {
  --vscode-font-family: system-ui, -apple-system, 'Segoe UI', Ubuntu, sans-serif;
  --vscode-font-size: 13px;
  --vscode-font-weight: normal;
  --vscode-editor-font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace;
  --vscode-editor-font-size: 13px;${DARK}
}
@media (prefers-color-scheme: light) {
  :root {${LIGHT}
  }
}
body {
  margin: 0;
  padding: 12px 16px;
  background: var(--vscode-editor-background);
  color: var(--vscode-foreground);
  font-family: var(--vscode-font-family);
  font-size: var(--vscode-font-size);
}
.al-page-header h1 { font-size: 16px; font-weight: 600; margin: 0 0 2px; }
.al-page-header p { margin: 0 0 4px; color: var(--vscode-descriptionForeground); }
.al-page-header .al-page-warning { color: var(--vscode-foreground); }
.al-page-header { margin-bottom: 12px; }
`;
