// Checks shared by the stage tests: a staged run against the uncut graph, layer by layer, and the
// stages' weights against the original's.
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import type * as ort from 'onnxruntime-node';
import { openSession } from '../../src/engine/providers';
import type { Stage } from '../../src/engine/stages';
import type { ExposedGraph } from '../../src/engine/surgery';

/** Staged results of float32 graphs are the uncut graph's, bit for bit. */
export const STAGED_TOLERANCE = 0;
/**
 * Half-precision graphs: onnxruntime casts around half ops differently once a cut separates them,
 * and a stage's probabilities can keep float32 bits the uncut graph rounds to half. Measured on the
 * fp16 style: up to 3.8e-3 from the uncut graph, and closer to the float64 golden.json than it is.
 */
export const HALF_STAGED_TOLERANCE = 5e-3;

/** Largest absolute difference between two layers' probabilities. */
export function layerDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

/** Whether two layers hold the same bits. */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Each layer's attention from one session over the whole surgered graph, opened as the engine opens it. */
export async function uncutLayers(graph: ExposedGraph, dataDir: string, feeds: Record<string, ort.Tensor>): Promise<Float32Array[]> {
  const { session } = await openSession(graph.bytes, 'cpu', dataDir);
  try {
    const out = await session.run(feeds, graph.attentionOutputs);
    return graph.attentionOutputs.map((name) => out[name].data as Float32Array);
  } finally {
    await session.release();
  }
}

const ELEMENT_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2, 21: 1, 22: 1 };

/** The bytes an initializer's values take, wherever they are kept. */
export function initializerBytes(t: onnx.ITensorProto): number {
  const external = t.externalData?.find((e) => e.key === 'length')?.value;
  if (external) return Number(external);
  if (t.rawData?.length) return t.rawData.length;
  const count = (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
  const bytes = ELEMENT_BYTES[t.dataType ?? 0];
  // 4-bit types pack two values a byte.
  return t.dataType === 21 || t.dataType === 22 ? Math.ceil(count / 2) : count * (bytes ?? 0);
}

/**
 * Every initializer is in at most one stage, untouched (the same message, so the same external
 * file, offset and length); those in none are read by no stage, or are small and copied as
 * constants; the stages' bytes plus theirs are the original's. Returns the bytes the stages hold.
 */
export function assertWeightsOnce(graph: ExposedGraph, stages: Stage[]): number {
  const original = graph.model.graph!.initializer as onnx.TensorProto[];
  const parts = stages.flatMap((s) => s.parts);
  const owner = new Map<string, number>();
  parts.forEach((part, p) => {
    for (const t of part.initializers) {
      assert.ok(!owner.has(t.name!), `${t.name} is in parts ${owner.get(t.name!)} and ${p}`);
      owner.set(t.name!, p);
      assert.ok(original.includes(t as onnx.TensorProto), `${t.name} is not the graph's own initializer message`);
    }
  });
  const read = new Set(parts.flatMap((s) => s.nodes.flatMap((n) => n.input ?? [])));
  const copied = new Set(parts.flatMap((s) => s.nodes.filter((n) => n.opType === 'Constant').flatMap((n) => n.output ?? [])));
  const dropped = original.filter((t) => !owner.has(t.name!));
  for (const t of dropped) {
    // Only scalars and shape vectors are copied, as constants, into the stages that read them.
    if (read.has(t.name!)) assert.ok(copied.has(t.name!) && initializerBytes(t) <= 4096, `${t.name} is read but in no stage`);
  }
  const held = parts.reduce((sum, s) => sum + s.initializers.reduce((a, t) => a + initializerBytes(t), 0), 0);
  const total = original.reduce((a, t) => a + initializerBytes(t), 0);
  assert.equal(held + dropped.reduce((a, t) => a + initializerBytes(t), 0), total);
  return held;
}
