// Where to cut a graph between layers. Every tensor computed before a cut and used after it must
// leave one onnxruntime session and enter the next, so each cut is a minimum cut of the dataflow
// graph, counted in tensors: stage b's side must hold everything layer b's attention needs (and all
// earlier stages), the far side layer b+1's attention node (and so everything that follows it).
//
// Why a minimum cut rather than a rule: the two obvious rules both lose. Putting every node in the
// first stage that needs it leaves layer b's value projection, probabilities·V, output projection
// and MLP to stage b+1, which then reads the residual before layer b, layer b's normalised input and
// its probabilities. Putting every node as early as its inputs allow pulls later layers into stage 0.
// Counting what the stages read across cuts over one prompt: stories260k (T=38) 15 tensors, 74 kB
// here against 32 tensors, 296 kB for "first stage that needs it"; tinystories-656k (T=18) 3 / 15 kB
// against 8 / 32 kB; bert-tiny-random (T=30) 3 / 7.8 kB against 5 / 22 kB. What crosses is the
// residual stream after a layer's attention block, plus what all layers share (mask, rotary tables).
//
// Tensors are counted, not weighed: their sizes are unknown until a run. The [heads, T, T] scores
// and probabilities are never cut (they would be the largest); otherwise one residual stream beats
// any pair of tensors. Among cuts of equal size the one farthest from layer b's attention is taken:
// stage b then holds its whole layer, MLP included, and the part of a stage that computes its
// attention (what a recompute reruns) starts at the layer's input, with no MLP before it.

/** A tensor as the cut sees it: the node that makes it, the nodes that read it, and whether it may cross a cut. */
export interface CutTensor {
  producer: number;
  consumers: number[];
  /** Scores and probabilities are [heads, T, T]: never handed on, so they stay with their layer. */
  uncuttable?: boolean;
}

const INFINITE = 1 << 30;

/**
 * The stage of each of `nodeCount` nodes (topologically numbered) given the node that computes
 * each layer's attention (`pinned`, in layer order); undefined when a layer's attention depends on
 * a later layer's, so no cut between them exists.
 */
export function cutStages(nodeCount: number, tensors: CutTensor[], pinned: number[]): Int32Array | undefined {
  const stage = new Int32Array(nodeCount).fill(pinned.length - 1);
  const placed = new Uint8Array(nodeCount);
  for (let b = 0; b + 1 < pinned.length; b++) {
    const side = sourceSide(nodeCount, tensors, placed, pinned[b], pinned[b + 1]);
    if (!side) return undefined;
    for (let v = 0; v < nodeCount; v++) {
      if (side[v] && !placed[v]) {
        placed[v] = 1;
        stage[v] = b;
      }
    }
  }
  return stage;
}

// The largest minimum cut's source side: nodes already placed and `need` (with its ancestors) on
// it, `exclude` (with its descendants) off it. Each tensor is a node τ behind its producer: the edge
// producer→τ (capacity 1) is cut when τ is read across the cut, counting it once however many
// readers it has; reader→producer edges of infinite capacity keep the source side closed under
// ancestors, so it is a graph that can run on its own.
function sourceSide(nodeCount: number, tensors: CutTensor[], placed: Uint8Array, need: number, exclude: number): Uint8Array | undefined {
  const source = nodeCount + tensors.length;
  const sink = source + 1;
  const flow = new FlowGraph(sink + 1);
  for (let v = 0; v < nodeCount; v++) if (placed[v]) flow.add(source, v, INFINITE);
  flow.add(source, need, INFINITE);
  flow.add(exclude, sink, INFINITE);
  tensors.forEach((t, i) => {
    const tau = nodeCount + i;
    flow.add(t.producer, tau, t.uncuttable ? INFINITE : 1);
    for (const c of t.consumers) {
      flow.add(tau, c, INFINITE);
      flow.add(c, t.producer, INFINITE);
    }
  });
  if (flow.maxFlow(source, sink) >= INFINITE) return undefined;
  const far = flow.reaching(sink);
  return far.map((r) => 1 - r);
}

/** A flow network with integer capacities; augmenting paths by breadth-first search. */
class FlowGraph {
  private readonly head: Int32Array;
  private next: number[] = [];
  private to: number[] = [];
  private cap: number[] = [];

  constructor(size: number) {
    this.head = new Int32Array(size).fill(-1);
  }

  add(from: number, to: number, capacity: number): void {
    for (const [a, b, c] of [[from, to, capacity], [to, from, 0]]) {
      this.to.push(b);
      this.cap.push(c);
      this.next.push(this.head[a]);
      this.head[a] = this.to.length - 1;
    }
  }

  maxFlow(source: number, sink: number): number {
    let total = 0;
    for (;;) {
      const via = this.search(source);
      if (via[sink] === -1) return total;
      let push = INFINITE;
      for (let v = sink; v !== source; v = this.to[via[v] ^ 1]) push = Math.min(push, this.cap[via[v]]);
      for (let v = sink; v !== source; v = this.to[via[v] ^ 1]) {
        this.cap[via[v]] -= push;
        this.cap[via[v] ^ 1] += push;
      }
      total += push;
      if (total >= INFINITE) return total;
    }
  }

  /** Nodes that reach `sink` through edges with capacity left. */
  reaching(sink: number): Uint8Array {
    const seen = new Uint8Array(this.head.length);
    const queue = [sink];
    seen[sink] = 1;
    for (let i = 0; i < queue.length; i++) {
      // Each edge out of w is paired with the edge into w from the same neighbour.
      for (let e = this.head[queue[i]]; e !== -1; e = this.next[e]) {
        const u = this.to[e];
        if (this.cap[e ^ 1] > 0 && !seen[u]) {
          seen[u] = 1;
          queue.push(u);
        }
      }
    }
    return seen;
  }

  // Breadth-first search over edges with capacity left; per node, the edge it was reached by.
  private search(source: number): Int32Array {
    const via = new Int32Array(this.head.length).fill(-1);
    const queue = [source];
    via[source] = -2;
    for (let i = 0; i < queue.length; i++) {
      for (let e = this.head[queue[i]]; e !== -1; e = this.next[e]) {
        const w = this.to[e];
        if (this.cap[e] > 0 && via[w] === -1) {
          via[w] = e;
          queue.push(w);
        }
      }
    }
    via[source] = -1;
    return via;
  }
}
