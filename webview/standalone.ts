// The views in a page of their own (`attention-lens inspect --html`): the report is embedded in the
// page as JSON plus one base64 block of attention per layer, decoded here and kept in the page, where
// the same app the panel mounts asks for what it shows. Nothing is fetched.
import { decodeFloat16, dequantizeProbabilities } from '../src/attention/quantize';
import { unpackLowerTriangle } from '../src/report/causalTriangle';
import { EMBED, type EmbeddedReport } from '../src/report/htmlFormat';
import { mountAttentionApp } from './app';
import { showLocally } from './localInspection';

function bytesOf(base64: string): Uint8Array {
  const binary = atob(base64.trim());
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function decodeLayer(base64: string, precision: EmbeddedReport['attention']['precision']): Float32Array {
  const bytes = bytesOf(base64);
  // A fresh Uint8Array starts at offset 0 of its own buffer, so wider views of it are aligned.
  if (precision === 'float32') return new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
  if (precision === 'float16') return decodeFloat16(new Uint16Array(bytes.buffer, 0, bytes.byteLength / 2));
  return dequantizeProbabilities(bytes);
}

// The theme kind follows the reader's preference; the body class is what the views watch to redraw.
function followColourScheme(): void {
  const light = window.matchMedia('(prefers-color-scheme: light)');
  const apply = () => {
    document.body.classList.toggle('vscode-light', light.matches);
    document.body.classList.toggle('vscode-dark', !light.matches);
  };
  apply();
  light.addEventListener('change', apply);
}

async function start(): Promise<void> {
  const report = JSON.parse(document.getElementById(EMBED.report)!.textContent!) as EmbeddedReport;
  followColourScheme();
  const app = mountAttentionApp(document.getElementById(EMBED.root)!);
  const addLayer = showLocally(app, { model: report.model, tokens: report.tokens, text: report.text });
  const T = report.tokens.length;
  const blocks = Array.from(document.querySelectorAll<HTMLScriptElement>(`script.${EMBED.layerClass}`));
  for (const block of blocks) {
    const values = decodeLayer(block.textContent ?? '', report.attention.precision);
    addLayer(Number(block.dataset.layer), report.attention.layout === 'causal' ? unpackLowerTriangle(values, T) : values);
    // Let the first layers paint while the rest decode.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  app.done();
  document.body.dataset.loaded = String(blocks.length);
}

start().catch((error: unknown) => {
  console.error('attention-lens: could not show the embedded report', error);
  const message = document.createElement('p');
  message.textContent = `This report could not be shown: ${error instanceof Error ? error.message : String(error)}`;
  document.body.append(message);
});
