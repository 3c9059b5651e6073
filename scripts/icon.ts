// `node --import tsx scripts/icon.ts`: draws images/icon.png, the Marketplace icon: a causal
// attention matrix (lower triangle, bright diagonal and first column, as small language models show)
// under a lens. Drawn here rather than in an image editor so that it is reproducible and reviewable;
// the PNG is committed, so nothing runs this at build time.
import { writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';

const SIZE = 256;
const SUPERSAMPLE = 4;

type Rgba = [number, number, number, number];

const BACKGROUND_TOP: Rgba = [0x23, 0x27, 0x4d, 1];
const BACKGROUND_BOTTOM: Rgba = [0x12, 0x14, 0x2b, 1];
const CELL_LOW: Rgba = [0x1f, 0x5f, 0x8b, 1];
const CELL_MID: Rgba = [0xc2, 0x45, 0x6e, 1];
const CELL_HIGH: Rgba = [0xff, 0xc2, 0x4b, 1];
const EMPTY_CELL: Rgba = [0xff, 0xff, 0xff, 0.06];
const LENS: Rgba = [0xf4, 0xf1, 0xea, 1];

// Attention of a 6-token causal model, rows summing to one: a sink on the first token, a strong
// previous-token diagonal and some spread in between.
const N = 6;
const WEIGHTS: number[][] = [
  [1],
  [0.55, 0.45],
  [0.4, 0.15, 0.45],
  [0.35, 0.05, 0.2, 0.4],
  [0.3, 0.05, 0.1, 0.15, 0.4],
  [0.25, 0.05, 0.05, 0.1, 0.15, 0.4],
];

const GRID = { left: 40, top: 40, size: 176 };
const CELL = GRID.size / N;
const GAP = 5;
const LENS_CENTRE = { x: 150, y: 150 };
const LENS_RADIUS = 50;
const LENS_RING = 9;

/** Colour of the scene at (x, y) in icon pixels, before antialiasing. */
function scene(x: number, y: number): Rgba {
  if (!insideRoundedSquare(x, y, 0, 0, SIZE, 52)) return [0, 0, 0, 0];
  let colour = mix(BACKGROUND_TOP, BACKGROUND_BOTTOM, y / SIZE);

  // Inside the lens the matrix is magnified slightly, as through glass.
  const dx = x - LENS_CENTRE.x;
  const dy = y - LENS_CENTRE.y;
  const distance = Math.hypot(dx, dy);
  const inLens = distance < LENS_RADIUS - LENS_RING / 2;
  const mx = inLens ? LENS_CENTRE.x + dx / 1.18 : x;
  const my = inLens ? LENS_CENTRE.y + dy / 1.18 : y;

  const col = Math.floor((mx - GRID.left) / CELL);
  const row = Math.floor((my - GRID.top) / CELL);
  if (col >= 0 && col < N && row >= 0 && row < N) {
    const cx = GRID.left + col * CELL + GAP / 2;
    const cy = GRID.top + row * CELL + GAP / 2;
    if (insideRoundedSquare(mx, my, cx, cy, CELL - GAP, 5)) {
      const weight = col <= row ? WEIGHTS[row][col] : undefined;
      const cell = weight === undefined ? EMPTY_CELL : heat(Math.min(1, weight / 0.45) ** 0.8);
      colour = over(colour, cell);
    }
  }
  if (inLens) colour = over(colour, [0xff, 0xff, 0xff, 0.04]);

  // The ring and its handle, pointing to the lower right corner.
  if (Math.abs(distance - LENS_RADIUS) < LENS_RING / 2) colour = over(colour, LENS);
  const along = (dx + dy) / Math.SQRT2;
  const across = (dx - dy) / Math.SQRT2;
  if (along > LENS_RADIUS && along < LENS_RADIUS + 46 && Math.abs(across) < 8) colour = over(colour, LENS);
  return colour;
}

function insideRoundedSquare(x: number, y: number, left: number, top: number, size: number, radius: number): boolean {
  const qx = Math.max(left + radius - x, 0, x - (left + size - radius));
  const qy = Math.max(top + radius - y, 0, y - (top + size - radius));
  return x >= left && x <= left + size && y >= top && y <= top + size && qx * qx + qy * qy <= radius * radius;
}

/** A sequential palette: blue through rose to amber, so that weight reads as warmth. */
function heat(t: number): Rgba {
  return t < 0.5 ? mix(CELL_LOW, CELL_MID, t * 2) : mix(CELL_MID, CELL_HIGH, t * 2 - 1);
}

function mix(a: Rgba, b: Rgba, t: number): Rgba {
  return [0, 1, 2, 3].map((i) => a[i] + (b[i] - a[i]) * t) as Rgba;
}

/** `top` composited over `bottom` (straight alpha). */
function over(bottom: Rgba, top: Rgba): Rgba {
  const alpha = top[3] + bottom[3] * (1 - top[3]);
  if (alpha === 0) return [0, 0, 0, 0];
  const channel = (i: number): number => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / alpha;
  return [channel(0), channel(1), channel(2), alpha];
}

/** RGBA pixels, each the average of SUPERSAMPLE² samples (premultiplied, so edges do not darken). */
function render(): Buffer {
  const pixels = Buffer.alloc(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const [r, g, b, a] = scene(x + (sx + 0.5) / SUPERSAMPLE, y + (sy + 0.5) / SUPERSAMPLE);
          sum[0] += r * a;
          sum[1] += g * a;
          sum[2] += b * a;
          sum[3] += a;
        }
      }
      const o = (y * SIZE + x) * 4;
      const alpha = sum[3] / SUPERSAMPLE ** 2;
      for (let i = 0; i < 3; i++) pixels[o + i] = alpha > 0 ? Math.round(sum[i] / sum[3]) : 0;
      pixels[o + 3] = Math.round(alpha * 255);
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** An 8-bit RGBA PNG of `pixels`, every scanline unfiltered. */
function encodePng(pixels: Buffer, width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const rows = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) pixels.copy(rows, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const out = path.resolve(__dirname, '..', 'images', 'icon.png');
mkdirSync(path.dirname(out), { recursive: true });
const png = encodePng(render(), SIZE, SIZE);
writeFileSync(out, png);
console.log(`${path.relative(process.cwd(), out)}: ${SIZE}×${SIZE}, ${png.length} bytes`);
