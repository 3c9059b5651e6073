// Reports written by the engine from its attention store, so that the extension host never holds an
// inspection's T×T attention: each layer is read (decoded, or recomputed) when the writer reaches it.
import { ChannelError } from '../channel';
import type { ReportRequest } from '../protocol';
import { writeReportJson } from '../report/json';
import type { LayeredReportInput } from '../report/report';
import { writeReportSafetensors } from '../report/safetensors';
import type { AttentionStore } from './attentionStore';

/** Writes `request.inspection`'s report to `request.file`; returns the bytes written. */
export async function writeStoredReport(
  store: AttentionStore, request: ReportRequest, progress: (fraction: number) => void, signal: AbortSignal,
): Promise<number> {
  const id = request.inspection;
  const { facts, shape } = store.about(id);
  if (!facts) throw new ChannelError('attention-incomplete', 'The inspection has not finished yet: export it once it has.');
  const input: LayeredReportInput = {
    ...facts,
    layerCount: shape.layers,
    heads: shape.heads,
    layer: async (l) => (await store.layers(id, [l], signal)).get(l)!,
  };
  if (request.format === 'safetensors') {
    const bytes = await writeReportSafetensors(request.file, input);
    progress(1);
    return bytes;
  }
  return writeReportJson(request.file, input, { progress, cancelled: () => signal.aborted });
}
