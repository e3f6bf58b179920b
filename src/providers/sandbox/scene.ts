/**
 * The procedural scene of a text-to-video preview: a sky, a far ridge and a near ground, each
 * painted once per render into an RGBA picture and then moved by the camera as its own layer (so
 * truck and dolly show parallax). Palette, kind of landscape, shapes and sun all come from the
 * seeded random stream: every prompt gets its own picture, and the same prompt always the same one.
 *
 * Why paint in JavaScript rather than with ffmpeg's `geq`: geq interprets its expression per pixel
 * and per plane; three 1080p-render layers took 4 s of CPU there and take 50–150 ms here (three
 * 900×500 canvases, 2 cores), because a ridge line is computed once per column, a gradient once per
 * row, and V8 compiles the rest.
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

/** Indexes into PALETTES, in its order. */
const PALETTE_INDEX = { dusk: 0, dawn: 1, noon: 2, night: 3, desert: 4, forest: 5, neon: 6, arctic: 7, autumn: 8, ocean: 9 } as const;

/**
 * Words that choose the palette or the landscape, first match wins. A preview that shows a night
 * sky for "a city at night" reads as the prompt's at a glance; without such a word, the seed decides.
 */
const PALETTE_WORDS: ReadonlyArray<[RegExp, keyof typeof PALETTE_INDEX]> = [
  [/\b(neon|cyberpunk|synthwave)/i, 'neon'],
  [/\b(night|midnight|moon|stars?|starry)\b/i, 'night'],
  [/\b(sunset|dusk|evening|twilight)\b/i, 'dusk'],
  [/\b(sunrise|dawn|morning)\b/i, 'dawn'],
  [/\b(snow\w*|ice|icy|arctic|winter|glacier|frozen)\b/i, 'arctic'],
  [/\b(desert|dunes?|sand\w*|sahara)\b/i, 'desert'],
  [/\b(autumn|fall leaves|foliage)\b/i, 'autumn'],
  [/\b(forest|jungle|woods?|meadow|grass\w*|garden)\b/i, 'forest'],
  [/\b(ocean|sea|underwater|coral)\b/i, 'ocean'],
  [/\b(noon|sunny|summer|midday)\b/i, 'noon'],
];
const FAMILY_WORDS: ReadonlyArray<[RegExp, SceneFamily]> = [
  [/\b(city|cities|street|town|urban|skyline|buildings?|downtown|metropolis|cyberpunk|neon)\b/i, 'city'],
  [/\b(sea|ocean|waves?|beach|harbou?r|lake|coast\w*|shore|boats?|ships?|island|surf\w*|river)\b/i, 'sea'],
  [/\b(mountains?|hills?|valley|desert|dunes?|forest|fields?|meadow|countryside)\b/i, 'hills'],
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
  paint(layer: LayerName, frame: CanvasFrame, width: number, height: number): Promise<Buffer>;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;
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
 * Draws a scene from the seeded stream; words in `text` (night, city, sea, desert …) steer the
 * palette and landscape. The stream is consumed the same way either way, so shapes stay seeded.
 *
 * @example
 * const scene = pickScene(seededRandom('scene', 'a red fox', 'job_1'), 'a red fox at night');
 * const sky = await scene.paint('sky', { originX: 10, originY: 10, unit: 256 }, 480, 280); // RGBA bytes
 */
export function pickScene(rand: () => number, text = ''): Scene {
  const range = (lo: number, hi: number): number => lo + (hi - lo) * rand();
  const jitter = (c: Rgb): Rgb => [0, 1, 2].map((i) => Math.min(255, Math.max(0, (c[i] ?? 0) + range(-14, 14)))) as unknown as Rgb;
  const seededPalette = Math.floor(rand() * PALETTES.length);
  const named = PALETTE_WORDS.find(([re]) => re.test(text))?.[1];
  const base = PALETTES[named === undefined ? seededPalette : PALETTE_INDEX[named]] ?? (PALETTES[0] as Palette);
  const pal: Palette = { top: jitter(base.top), horizon: jitter(base.horizon), sun: jitter(base.sun), far: jitter(base.far), near: jitter(base.near) };
  const families: readonly SceneFamily[] = ['hills', 'city', 'sea'];
  const seededFamily = families[Math.floor(rand() * families.length)] ?? 'hills';
  const family = FAMILY_WORDS.find(([re]) => re.test(text))?.[1] ?? seededFamily;
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

  // Painters write straight into a scratch pixel (r, g, b, alpha 0–1): no allocation per pixel.
  const px = new Float64Array(4);
  const set = (c: Rgb, alpha: number): void => {
    px[0] = c[0];
    px[1] = c[1];
    px[2] = c[2];
    px[3] = alpha;
  };
  /** Moves the scratch pixel's colour a fraction `t` towards `c`. */
  const toward = (c: Rgb, t: number): void => {
    px[0] = lerp(px[0] as number, c[0], t);
    px[1] = lerp(px[1] as number, c[1], t);
    px[2] = lerp(px[2] as number, c[2], t);
  };
  const glowSigma = sun.r * 3;
  const glowReach = glowSigma * 5; // exp(−12.5) beyond this: nothing to draw

  /** Per-row values of a layer (the sky gradient, the cloud warp) so the inner loop stays light. */
  interface Row {
    sy: number;
    gradient: number;
    warp: number;
  }
  const sky = (sx: number, row: Row, unit: number): void => {
    set(pal.top, 1);
    toward(pal.horizon, row.gradient);
    const dx = sx - sun.x;
    const dy = row.sy - sun.y;
    const d = Math.sqrt(dx * dx + dy * dy); // Math.hypot is several times slower in V8
    if (d < glowReach) toward(pal.sun, Math.min(1, 0.55 * Math.exp(-(d * d) / (2 * glowSigma * glowSigma)) + clamp01(((sun.r - d) * unit) / 1.5)));
    const swirl = Math.sin(sx * cloud.a + cloud.p1 + row.warp) * Math.sin(sx * cloud.c + row.sy * cloud.e + cloud.p3);
    toward(cloudColour, 0.45 * (1 - row.gradient) * clamp01(0.5 + 0.5 * swirl) ** 2);
  };

  const far = (sx: number, sy: number, unit: number, top: number): void => {
    set(pal.far, clamp01((sy - top) * unit));
    toward(pal.horizon, 0.3);
    toward(scaleRgb(pal.far, 0.7), clamp01((sy - top) / 0.3));
    if (family === 'city' && sy - top > 0.012 && hash(Math.floor(sx * 70) + Math.floor(sy * 55) * 131, 7.13) > 0.82) toward(pal.sun, 0.8);
  };

  const nearShadow = scaleRgb(pal.near, 0.55);
  /** For the sea, `column` carries the wave phase and the sun's glint strength at this x. */
  const near = (sy: number, unit: number, top: number, wavePhase: number, glintColumn: number): void => {
    if (family !== 'sea') {
      set(pal.near, clamp01((sy - top) * unit));
      toward(nearShadow, clamp01((sy - top) / 0.4));
      return;
    }
    const depth = clamp01((sy - top) / 0.35);
    const waves = 0.5 + 0.5 * Math.sin(sy * 95 + wavePhase);
    set(pal.horizon, clamp01((sy - top) * unit));
    toward(pal.near, 0.45 + 0.55 * depth);
    toward(pal.sun, glintColumn * waves * 0.6 * (1 - depth));
    toward(pal.horizon, 0.12 * waves * (1 - depth));
  };

  const paint = async (layer: LayerName, frame: CanvasFrame, width: number, height: number): Promise<Buffer> => {
    const out = Buffer.alloc(width * height * 4);
    const { originX, originY, unit } = frame;
    // Ridge lines, wave phases and glints depend on x only: one evaluation per column.
    const tops = new Float64Array(width);
    const wavePhase = new Float64Array(width);
    const glint = new Float64Array(width);
    for (let x = 0; x < width; x++) {
      const sx = (x + 0.5 - originX) / unit;
      if (layer === 'far') tops[x] = ridgeTop(sx, farRidge, horizon + 0.02);
      if (layer === 'near') {
        tops[x] = family === 'sea' ? horizon + 0.05 : ridgeTop(sx, nearRidge, horizon + (family === 'city' ? 0.17 : 0.14));
        wavePhase[x] = 3 * Math.sin(sx * nearRidge.freq2 + nearRidge.phase2);
        glint[x] = Math.exp(-(((sx - sun.x) * 7) ** 2));
      }
    }
    for (let y = 0; y < height; y++) {
      // Yield now and then: a large canvas is tens of milliseconds of work, and the server shares this thread.
      if (y % 64 === 63) await new Promise<void>((resolve) => setImmediate(resolve));
      const sy = (y + 0.5 - originY) / unit;
      const row: Row = { sy, gradient: Math.pow(clamp01(sy / horizon), 1.3), warp: 1.7 * Math.sin(sy * cloud.b + cloud.p2) };
      for (let x = 0; x < width; x++) {
        const sx = (x + 0.5 - originX) / unit;
        if (layer === 'sky') sky(sx, row, unit);
        else if (layer === 'far') far(sx, sy, unit, tops[x] as number);
        else near(sy, unit, tops[x] as number, wavePhase[x] as number, glint[x] as number);
        const i = 4 * (y * width + x);
        out[i] = Math.round(px[0] as number);
        out[i + 1] = Math.round(px[1] as number);
        out[i + 2] = Math.round(px[2] as number);
        out[i + 3] = Math.round(255 * (px[3] as number));
      }
    }
    return out;
  };

  return { family, driftDirection, paint };
}
