/**
 * The procedural scene of a text-to-video preview: a sky, a far ridge and a near ground, each
 * painted once per render into an RGBA picture and then moved by the camera as its own layer (so
 * truck and dolly show parallax). Palette, kind of landscape, shapes and sun all come from the
 * seeded random stream: every prompt gets its own picture, and the same prompt always the same one.
 *
 * Why paint in JavaScript rather than with ffmpeg's `geq`: geq interprets its expression per pixel
 * and per plane; the same three layers took 4 s of CPU there and take ~60 ms here, because a
 * ridge line is computed once per column and a gradient once per row.
 */

export type SceneFamily = 'hills' | 'city' | 'sea';
export type LayerName = 'sky' | 'far' | 'near';
type Rgb = readonly [number, number, number];

interface Palette {
  top: Rgb;
  horizon: Rgb;
  sun: Rgb;
  far: Rgb;
  near: Rgb;
}

const PALETTES: readonly Palette[] = [
  { top: [40, 30, 90], horizon: [250, 140, 90], sun: [255, 220, 150], far: [110, 60, 110], near: [40, 25, 60] }, // dusk
  { top: [120, 160, 220], horizon: [255, 200, 170], sun: [255, 245, 210], far: [140, 150, 190], near: [60, 70, 110] }, // dawn
  { top: [60, 140, 230], horizon: [190, 225, 250], sun: [255, 255, 235], far: [90, 150, 120], near: [40, 90, 60] }, // noon
  { top: [8, 12, 40], horizon: [40, 60, 120], sun: [235, 235, 255], far: [30, 40, 80], near: [10, 15, 35] }, // night
  { top: [110, 170, 230], horizon: [250, 220, 170], sun: [255, 250, 220], far: [200, 140, 90], near: [150, 90, 50] }, // desert
  { top: [100, 160, 200], horizon: [210, 230, 210], sun: [255, 250, 220], far: [60, 110, 80], near: [25, 60, 35] }, // forest
  { top: [30, 0, 60], horizon: [220, 40, 140], sun: [255, 200, 80], far: [80, 20, 120], near: [20, 5, 40] }, // neon
  { top: [150, 190, 230], horizon: [235, 245, 255], sun: [255, 255, 255], far: [170, 190, 215], near: [110, 130, 160] }, // arctic
  { top: [90, 120, 170], horizon: [250, 190, 120], sun: [255, 230, 170], far: [170, 80, 40], near: [90, 40, 20] }, // autumn
  { top: [20, 60, 120], horizon: [120, 200, 220], sun: [255, 250, 230], far: [40, 100, 130], near: [10, 50, 80] }, // ocean
];

/** Where a layer's canvas sits: scene point (0,0) — the first frame's top-left — is canvas pixel (originX, originY). */
export interface CanvasFrame {
  originX: number;
  originY: number;
  /** Canvas pixels per scene unit (the first frame is one unit high). */
  unit: number;
}

export interface Scene {
  family: SceneFamily;
  /** Which way the clouds and sun drift (−1 left, 1 right). */
  driftDirection: number;
  /** Paints one layer as width×height RGBA (straight alpha); the sky is opaque. */
  paint(layer: LayerName, frame: CanvasFrame, width: number, height: number): Buffer;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;
const mixRgb = (a: Rgb, b: Rgb, t: number): Rgb => [lerp(a[0], b[0], t), lerp(a[1], b[1], t), lerp(a[2], b[2], t)];
const scaleRgb = (a: Rgb, k: number): Rgb => [a[0] * k, a[1] * k, a[2] * k];
/** Fractional part of a big sine: the usual cheap hash of a cell number, in [0, 1). */
const hash = (cell: number, k: number): number => {
  const v = Math.sin(cell * k) * 43758.5453;
  return v - Math.floor(v);
};

interface Ridge {
  amp: number;
  freq: number;
  phase: number;
  amp2: number;
  freq2: number;
  phase2: number;
  /** Buildings per scene unit (city skylines). */
  blocks: number;
}

/**
 * Draws a scene from the seeded stream.
 *
 * @example
 * const scene = pickScene(seededRandom('scene', 'a red fox', 'job_1'));
 * const sky = scene.paint('sky', { originX: 10, originY: 10, unit: 256 }, 480, 280); // RGBA bytes
 */
export function pickScene(rand: () => number): Scene {
  const range = (lo: number, hi: number): number => lo + (hi - lo) * rand();
  const jitter = (c: Rgb): Rgb => [0, 1, 2].map((i) => Math.min(255, Math.max(0, (c[i] ?? 0) + range(-14, 14)))) as unknown as Rgb;
  const base = PALETTES[Math.floor(rand() * PALETTES.length)] ?? (PALETTES[0] as Palette);
  const pal: Palette = { top: jitter(base.top), horizon: jitter(base.horizon), sun: jitter(base.sun), far: jitter(base.far), near: jitter(base.near) };
  const families: readonly SceneFamily[] = ['hills', 'city', 'sea'];
  const family = families[Math.floor(rand() * families.length)] ?? 'hills';
  const horizon = range(0.58, 0.7);
  const sun = { x: range(0.25, 1.5), y: range(0.15, horizon - 0.12), r: range(0.035, 0.07) };
  const cloud = { a: range(2, 5), b: range(4, 9), c: range(5, 11), e: range(1, 4), p1: range(0, 6.28), p2: range(0, 6.28), p3: range(0, 6.28) };
  const cloudColour = jitter([240, 240, 245]);
  const farRidge: Ridge = { amp: range(0.06, 0.16), freq: range(1.5, 3.5), phase: range(0, 6.28), amp2: range(0.02, 0.05), freq2: range(6, 11), phase2: range(0, 6.28), blocks: range(7, 13) };
  const nearRidge: Ridge = { amp: range(0.06, 0.14), freq: range(2.5, 5), phase: range(0, 6.28), amp2: range(0.02, 0.04), freq2: range(4, 8), phase2: range(0, 6.28), blocks: range(3.5, 6) };
  const driftDirection = rand() < 0.5 ? -1 : 1;

  /** Height (scene y, down from the top) of a ridge or skyline at scene x. */
  const ridgeTop = (sx: number, r: Ridge, level: number): number => {
    if (family === 'city') return level - 0.04 - r.amp - r.amp * 1.6 * hash(Math.floor(sx * r.blocks + r.phase), 12.9898);
    return level - r.amp * (0.5 + 0.5 * Math.sin(sx * r.freq + r.phase)) - r.amp2 * (0.5 + 0.5 * Math.sin(sx * r.freq2 + r.phase2));
  };

  const sky = (sx: number, sy: number, unit: number): [Rgb, number] => {
    const g = Math.pow(clamp01(sy / horizon), 1.3);
    const d = Math.hypot(sx - sun.x, sy - sun.y);
    const glow = Math.min(1, 0.55 * Math.exp(-(d * d) / (2 * (sun.r * 3) ** 2)) + clamp01(((sun.r - d) * unit) / 1.5));
    const swirl = Math.sin(sx * cloud.a + cloud.p1 + 1.7 * Math.sin(sy * cloud.b + cloud.p2)) * Math.sin(sx * cloud.c + sy * cloud.e + cloud.p3);
    const clouds = 0.45 * (1 - g) * clamp01(0.5 + 0.5 * swirl) ** 2;
    return [mixRgb(mixRgb(mixRgb(pal.top, pal.horizon, g), pal.sun, glow), cloudColour, clouds), 1];
  };

  const far = (sx: number, sy: number, unit: number, top: number): [Rgb, number] => {
    const alpha = clamp01((sy - top) * unit);
    let col = mixRgb(mixRgb(pal.far, pal.horizon, 0.3), scaleRgb(pal.far, 0.7), clamp01((sy - top) / 0.3));
    if (family === 'city' && sy - top > 0.012 && hash(Math.floor(sx * 70) + Math.floor(sy * 55) * 131, 7.13) > 0.82) {
      col = mixRgb(col, pal.sun, 0.8);
    }
    return [col, alpha];
  };

  const near = (sx: number, sy: number, unit: number, top: number): [Rgb, number] => {
    if (family !== 'sea') {
      return [mixRgb(pal.near, scaleRgb(pal.near, 0.55), clamp01((sy - top) / 0.4)), clamp01((sy - top) * unit)];
    }
    const depth = clamp01((sy - top) / 0.35);
    const waves = 0.5 + 0.5 * Math.sin(sy * 95 + 3 * Math.sin(sx * nearRidge.freq2 + nearRidge.phase2));
    const glint = Math.exp(-(((sx - sun.x) * 7) ** 2)) * waves * 0.6 * (1 - depth);
    const body = mixRgb(mixRgb(pal.horizon, pal.near, 0.45 + 0.55 * depth), pal.sun, glint);
    return [mixRgb(body, pal.horizon, 0.12 * waves * (1 - depth)), clamp01((sy - top) * unit)];
  };

  const paint = (layer: LayerName, frame: CanvasFrame, width: number, height: number): Buffer => {
    const out = Buffer.alloc(width * height * 4);
    const { originX, originY, unit } = frame;
    // Ridge lines depend on x only: one evaluation per column.
    const tops = new Float64Array(width);
    for (let x = 0; x < width; x++) {
      const sx = (x + 0.5 - originX) / unit;
      if (layer === 'far') tops[x] = ridgeTop(sx, farRidge, horizon + 0.02);
      else if (layer === 'near') tops[x] = family === 'sea' ? horizon + 0.05 : ridgeTop(sx, nearRidge, horizon + (family === 'city' ? 0.17 : 0.14));
    }
    for (let y = 0; y < height; y++) {
      const sy = (y + 0.5 - originY) / unit;
      for (let x = 0; x < width; x++) {
        const sx = (x + 0.5 - originX) / unit;
        const top = tops[x] ?? 0;
        const [rgb, alpha] = layer === 'sky' ? sky(sx, sy, unit) : layer === 'far' ? far(sx, sy, unit, top) : near(sx, sy, unit, top);
        const i = 4 * (y * width + x);
        out[i] = Math.round(rgb[0]);
        out[i + 1] = Math.round(rgb[1]);
        out[i + 2] = Math.round(rgb[2]);
        out[i + 3] = Math.round(255 * alpha);
      }
    }
    return out;
  };

  return { family, driftDirection, paint };
}
