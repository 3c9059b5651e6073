// The surgered graph cut into one stage per layer, so each layer's attention can be delivered as
// soon as its stage has run. Only what some layer's attention needs is kept: the LM head, the final
// norm and the graph's own outputs are dropped. Weights are never duplicated: each initializer lives
// in the first stage that reads it, which hands it on as a tensor to later stages that read it too.
import { onnx } from 'onnx-proto';
import { cutStages, type CutTensor } from './stageCut';
import { PROB_OPS, SCORE_OPS, type ExposedGraph } from './surgery';

/** A tensor a part hands on to later parts: its name in the whole graph, and the part output that carries it. */
export interface HandedOn {
  tensor: string;
  output: string;
}

/** What one onnxruntime session of a stage runs. */
export interface StagePart {
  /** Its nodes, in an order that runs (small constants are copied into every part that reads them). */
  nodes: onnx.INodeProto[];
  /** The initializers it owns: no other part holds them. External data references are untouched. */
  initializers: onnx.ITensorProto[];
  /** Graph inputs it reads (input_ids, attention_mask, …). */
  graphInputs: string[];
  /** Tensors earlier parts computed (or own) that it reads, by their name in the whole graph. */
  carried: string[];
  /** Tensors later parts read, as outputs of this one. */
  handsOn: HandedOn[];
}

/** One layer's stage: the nodes that compute its attention and the rest of its layer. */
export interface Stage {
  layer: number;
  /** Its layer's attention output, computed by parts[0]. */
  attention: string;
  /**
   * parts[0] computes the attention from the layer's input, no more, so the layer can be delivered
   * (and later recomputed, from the same inputs through the same session, to the same bits) before
   * parts[1], when there is one, computes the rest of the layer: values, output projection, MLP.
   */
  parts: StagePart[];
}

/** How a graph is run: in per-layer stages, or whole, with the reason it cannot be cut. */
export type StagePlan =
  | { kind: 'staged'; stages: Stage[] }
  | { kind: 'whole'; reason: string };

// Constants no larger than this are copied into each stage that reads them rather than handed on.
const SMALL_CONSTANT_BYTES = 4096;

/** Cuts the exposed graph into one stage per layer, or says why it must run whole. */
export function planStages(graph: ExposedGraph): StagePlan {
  const g = graph.model.graph as onnx.GraphProto;
  if ((g.sparseInitializer ?? []).length > 0) return whole('it has sparse initializers, which are not split between stages');
  const producer = new Map<string, onnx.INodeProto>();
  for (const node of g.node) for (const out of node.output ?? []) if (out) producer.set(out, node);
  const initializers = new Map(g.initializer.map((t) => [t.name ?? '', t]));
  const graphInputs = new Set(graph.inputs.map((i) => i.name));

  // Small inline initializers (scale factors, shape vectors) are copied like small constants: as a
  // graph input a later stage could not fold them, and onnxruntime's fusions (a MatMul's scale)
  // would then differ from the uncut graph's.
  const small = new Set([...initializers.values()].filter(isSmallInitializer).map((t) => t.name ?? ''));
  const copied = (name: string): boolean => small.has(name) || isSmallConstant(producer.get(name));
  const needed = ancestors(graph.attentionOutputs, producer);
  const withSubgraph = g.node.find((n) => needed.has(n) && (n.attribute ?? []).some((a) => a.g || (a.graphs ?? []).length > 0));
  if (withSubgraph) {
    return whole(`it uses control flow (${withSubgraph.opType} node "${withSubgraph.name ?? ''}"), whose subgraphs are not split between stages`);
  }
  const order = topological(g.node.filter((n) => needed.has(n) && !isSmallConstant(n)), producer);
  if (!order) return whole('its nodes form a cycle');
  const index = new Map(order.map((n, i) => [n, i]));

  // Tensors between cut nodes, and initializers read by several: a virtual node per initializer
  // stands for "owned here", so handing one on costs what handing on a tensor costs.
  const tensors: CutTensor[] = [];
  const tensorNames: string[] = [];
  const readers = new Map<string, Set<number>>();
  order.forEach((node, i) => {
    for (const name of consumedBy(node, copied)) {
      if (graphInputs.has(name)) continue;
      let set = readers.get(name);
      if (!set) readers.set(name, (set = new Set()));
      set.add(i);
    }
  });
  const owner = new Map<string, number>();
  for (const [name, set] of readers) {
    const made = producer.get(name);
    let from: number;
    if (made && index.has(made)) from = index.get(made)!;
    else if (initializers.has(name)) owner.set(name, (from = order.length + owner.size));
    else continue; // a small constant, copied where it is read
    tensors.push({ producer: from, consumers: [...set] });
    tensorNames.push(name);
  }
  const square = scoreTensors(graph.attentionOutputs, producer, g.node);
  tensors.forEach((t, i) => { if (square.has(tensorNames[i])) t.uncuttable = true; });
  const pinned = graph.attentionOutputs.map((name) => index.get(producer.get(name)!)!);
  const stageOf = cutStages(order.length + owner.size, tensors, pinned);
  if (!stageOf) return whole('a layer\'s attention depends on a later layer\'s, so there is no cut between them');

  const partOf = splitAttention(order, stageOf, pinned, producer, index);
  const parts = assemble(order, partOf, 2 * pinned.length, readers, { producer, index, initializers, owner, small, copied },
    graph.inputs.map((i) => i.name));
  return {
    kind: 'staged',
    stages: graph.attentionOutputs.map((attention, layer) => ({
      layer, attention, parts: [parts[2 * layer], parts[2 * layer + 1]].filter((p) => p.nodes.length > 0),
    })),
  };
}

/** Per node, its part: 2 × stage for the ancestors of the stage's attention within it, 2 × stage + 1 for the rest. */
function splitAttention(order: onnx.INodeProto[], stageOf: Int32Array, pinned: number[], producer: Map<string, onnx.INodeProto>,
  index: Map<onnx.INodeProto, number>): Int32Array {
  const partOf = Int32Array.from(order, (_, i) => 2 * stageOf[i] + 1);
  pinned.forEach((start, stage) => {
    const stack = [start];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (partOf[i] === 2 * stage) continue;
      partOf[i] = 2 * stage;
      for (const name of order[i].input ?? []) {
        const from = name ? producer.get(name) : undefined;
        const j = from ? index.get(from) : undefined;
        if (j !== undefined && stageOf[j] === stage) stack.push(j);
      }
    }
  });
  return partOf;
}

interface GraphLookup {
  producer: Map<string, onnx.INodeProto>;
  index: Map<onnx.INodeProto, number>;
  initializers: Map<string, onnx.ITensorProto>;
  /** Initializers as nodes of the cut, by name. */
  owner: Map<string, number>;
  small: Set<string>;
  copied: (name: string) => boolean;
}

// The parts' nodes, weights, inputs and outputs, from each node's part. An initializer belongs to
// the first part that reads it, which hands it on to later readers.
function assemble(order: onnx.INodeProto[], partOf: Int32Array, count: number, readers: Map<string, Set<number>>, g: GraphLookup,
  inputs: string[]): StagePart[] {
  const parts: StagePart[] = Array.from({ length: count }, () => ({
    nodes: [], initializers: [], graphInputs: [], carried: [], handsOn: [],
  }));
  order.forEach((node, i) => parts[partOf[i]].nodes.push(node));
  for (const [name, set] of readers) {
    const made = g.producer.get(name);
    const readBy = [...new Set([...set].map((i) => partOf[i]))];
    const from = made && g.index.has(made) ? partOf[g.index.get(made)!] : g.owner.has(name) ? Math.min(...readBy) : undefined;
    if (from === undefined) continue;
    if (g.owner.has(name)) parts[from].initializers.push(g.initializers.get(name)!);
    const later = readBy.filter((p) => p !== from);
    if (later.length === 0) continue;
    // An initializer cannot itself be a graph output here, so an Identity puts it out.
    const output = g.owner.has(name) ? `${name}/attention_lens/handed_on` : name;
    if (output !== name) parts[from].nodes.push(identity(name, output));
    parts[from].handsOn.push({ tensor: name, output });
    for (const p of later) parts[p].carried.push(name);
  }
  for (const part of parts) {
    const reads = new Set(part.nodes.flatMap((n) => consumedBy(n, g.copied)));
    part.graphInputs = inputs.filter((name) => reads.has(name));
    part.nodes = withConstants(part.nodes, g.producer, g.initializers, g.small);
  }
  return parts;
}

// Each layer's [heads, T, T] tensors: from the query·key product through the scaling and masking
// ops to the Softmax, and on through casts to the product with the values.
function scoreTensors(attention: string[], producer: Map<string, onnx.INodeProto>, nodes: onnx.INodeProto[]): Set<string> {
  const square = new Set<string>();
  const readers = new Map<string, onnx.INodeProto[]>();
  for (const node of nodes) for (const name of node.input ?? []) if (name) readers.set(name, [...(readers.get(name) ?? []), node]);
  // Back from the Softmax's input, along the path that reaches the MatMul (not into the mask).
  const back = (tensor: string, depth: number): boolean => {
    const node = producer.get(tensor);
    if (!node || depth > 8) return false;
    const reaches = node.opType === 'MatMul' || (SCORE_OPS.has(node.opType ?? '') && (node.input ?? []).some((i) => back(i, depth + 1)));
    if (reaches) square.add(tensor);
    return reaches;
  };
  const forward = (tensor: string, depth: number): void => {
    square.add(tensor);
    for (const reader of readers.get(tensor) ?? []) {
      if (depth < 3 && PROB_OPS.has(reader.opType ?? '')) forward(reader.output?.[0] ?? '', depth + 1);
    }
  };
  for (const output of attention) {
    let softmax = producer.get(output);
    while (softmax && softmax.opType !== 'Softmax') softmax = producer.get(softmax.input?.[0] ?? '');
    if (!softmax) continue;
    back(softmax.input?.[0] ?? '', 0);
    forward(softmax.output?.[0] ?? '', 0);
  }
  return square;
}

function whole(reason: string): StagePlan {
  return { kind: 'whole', reason };
}

// The nodes `outputs` depend on, following producers back to graph inputs and initializers.
function ancestors(outputs: string[], producer: Map<string, onnx.INodeProto>): Set<onnx.INodeProto> {
  const seen = new Set<onnx.INodeProto>();
  const stack = outputs.map((o) => producer.get(o)).filter((n): n is onnx.INodeProto => n !== undefined);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    for (const name of node.input ?? []) {
      const from = name ? producer.get(name) : undefined;
      if (from && !seen.has(from)) stack.push(from);
    }
  }
  return seen;
}

// Kahn's order, keeping the file's order among nodes that are ready together (surgery appends its
// casts at the end, so the file's order alone does not run). Undefined for a cycle.
function topological(nodes: onnx.INodeProto[], producer: Map<string, onnx.INodeProto>): onnx.INodeProto[] | undefined {
  const members = new Set(nodes);
  const waiting = new Map<onnx.INodeProto, number>();
  const dependents = new Map<onnx.INodeProto, onnx.INodeProto[]>();
  for (const node of nodes) {
    const from = new Set((node.input ?? []).map((i) => producer.get(i)).filter((p): p is onnx.INodeProto => !!p && members.has(p)));
    waiting.set(node, from.size);
    for (const p of from) {
      const list = dependents.get(p);
      if (list) list.push(node);
      else dependents.set(p, [node]);
    }
  }
  const position = new Map(nodes.map((n, i) => [n, i]));
  const ready = nodes.filter((n) => waiting.get(n) === 0);
  const order: onnx.INodeProto[] = [];
  while (ready.length > 0) {
    const node = ready.shift()!;
    order.push(node);
    const freed = (dependents.get(node) ?? []).filter((d) => {
      const left = waiting.get(d)! - 1;
      waiting.set(d, left);
      return left === 0;
    });
    if (freed.length > 0) {
      ready.push(...freed);
      ready.sort((a, b) => position.get(a)! - position.get(b)!);
    }
  }
  return order.length === nodes.length ? order : undefined;
}

// The tensors a node reads that a stage cannot copy for itself (nodes with subgraphs, whose outer
// reads are not listed, make the graph run whole).
function consumedBy(node: onnx.INodeProto, copied: (name: string) => boolean): string[] {
  return (node.input ?? []).filter((name) => name && !copied(name));
}

function isSmallInitializer(t: onnx.ITensorProto): boolean {
  return t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL && (t.rawData?.length ?? 0) <= SMALL_CONSTANT_BYTES &&
    (t.rawData?.length ? true : (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1) * 8 <= SMALL_CONSTANT_BYTES);
}

function isSmallConstant(node: onnx.INodeProto | undefined): boolean {
  if (!node || node.opType !== 'Constant' || (node.domain && node.domain !== 'ai.onnx')) return false;
  const value = node.attribute?.find((a) => a.name === 'value')?.t;
  if (!value) return !node.attribute?.some((a) => a.name === 'sparse_value');
  if (value.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) return false;
  const count = (value.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
  return (value.rawData?.length ?? count * 8) <= SMALL_CONSTANT_BYTES;
}

// The stage's nodes preceded by a copy of each small constant and small initializer they read.
function withConstants(nodes: onnx.INodeProto[], producer: Map<string, onnx.INodeProto>,
  initializers: Map<string, onnx.ITensorProto>, small: Set<string>): onnx.INodeProto[] {
  const constants = new Set<onnx.INodeProto>();
  const values = new Set<string>();
  for (const node of nodes) {
    for (const name of node.input ?? []) {
      const from = name ? producer.get(name) : undefined;
      if (from && isSmallConstant(from)) constants.add(from);
      else if (small.has(name)) values.add(name);
    }
  }
  const copies = [...values].map((name): onnx.INodeProto => ({
    name: `${name}/attention_lens/Constant`, opType: 'Constant', domain: '', input: [], output: [name],
    attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: initializers.get(name) }],
  }));
  return [...copies, ...constants, ...nodes];
}

function identity(input: string, output: string): onnx.INodeProto {
  return { name: `${output}/Identity`, opType: 'Identity', domain: '', input: [input], output: [output], attribute: [] };
}
