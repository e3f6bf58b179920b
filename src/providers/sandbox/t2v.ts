/**
 * The text-to-video filtergraph: three procedural layers (sky, far ridge, near ground) painted once
 * at a quarter of the output size, each moved by the camera with its own parallax, composited,
 * scaled up, then captioned at full resolution so the text stays sharp and still while the scene
 * moves.
 *
 * Why so small, and why bands: the layers are smooth gradients and soft ridges, which upscale
 * without visible loss, and the `perspective` warp is the render's main cost (~7 ns of CPU per
 * sample per frame on the 2-core box, scalar C, no SIMD). So the ridge layers are warped only over
 * the band of rows where they can be seen.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileArg } from '../../media/index.js';
import { captionFilters } from './caption.js';
import type { Graph } from './i2v.js';
import { frame, mul, num } from './expr.js';
import { sceneView, type CameraPath, type LayerView } from './motion.js';
import type { LayerName, Scene } from './scene.js';
import { outputRowRange, viewBounds, warpFilters, type Placement } from './warp.js';

const even = (x: number): number => 2 * Math.ceil(x / 2);

/**
 * The layers are painted and warped at a quarter of the output size (a third before: 1.8× the
 * pixels for no difference a viewer sees on soft ridges and gradients after the bicubic upscale).
 */
const LAYER_DIVISOR = 4;

/** Canvas edge beyond the furthest the view reaches: room for the bilinear neighbour and rounding. */
const CANVAS_PAD = 6;

/** How far the sky drifts over a clip, in move units: visible life even under `[Static shot]`. */
const SKY_DRIFT = 0.35;

/**
 * Builds the graph for a text-to-video render of `scene`, captioned with `caption`. The layer
 * pictures and caption text files are written into `dir`.
 *
 * @example
 * const { graph } = await sceneGraph(pickScene(rand), 'A red fox', 1366, 768, 144, 24, path, tmpDir);
 */
export async function sceneGraph(
  scene: Scene,
  caption: string,
  width: number,
  height: number,
  frames: number,
  fps: number,
  path: CameraPath,
  dir: string,
): Promise<Graph> {
  const viewW = even(width / LAYER_DIVISOR);
  const viewH = even(height / LAYER_DIVISOR);
  const drift = mul(frame, num((scene.driftDirection * SKY_DRIFT) / Math.max(frames - 1, 1)));
  // `detail`: the layer's resolution relative to the view. The sky is soft gradients and clouds, so
  // it is warped at half resolution and scaled up: a quarter of its warp cost, no visible change.
  const layers: Array<{ view: LayerView; name: LayerName; detail: number }> = [
    { view: sceneView(path, 0.1, drift), name: 'sky', detail: 0.5 },
    { view: sceneView(path, 0.4), name: 'far', detail: 1 },
    { view: sceneView(path, 1), name: 'near', detail: 1 },
  ];
  const inputArgs: string[] = [];
  const placed: Array<{ place: Placement; rows: OpaqueRows }> = [];
  for (const { view, name, detail } of layers) {
    const w = even(viewW * detail);
    const h = even(viewH * detail);
    // Each layer's canvas is just big enough for everywhere its view goes.
    const b = viewBounds(view, w, h, frames);
    const left = Math.floor(Math.min(0, b.left)) - CANVAS_PAD;
    const top = Math.floor(Math.min(0, b.top)) - CANVAS_PAD;
    const canvasW = even(Math.max(w, b.right) + CANVAS_PAD - left);
    const canvasH = even(Math.max(h, b.bottom) + CANVAS_PAD - top);
    const file = join(dir, `layer-${name}.rgba`);
    const rgba = await scene.paint(name, { originX: -left, originY: -top, unit: h }, canvasW, canvasH);
    await writeFile(file, rgba);
    inputArgs.push('-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${canvasW}x${canvasH}`, '-i', fileArg(file));
    placed.push({ place: { canvasW, canvasH, originX: -left, originY: -top, viewW: w, viewH: h, outW: w, outH: h }, rows: opaqueRows(rgba, canvasW, canvasH) });
  }

  // The ridge layers only ever show a band of the view: nothing above their crest, and (the far
  // one) nothing below where the near ground always covers it. Warping only that band is most of
  // this engine's speed (docs/performance.md).
  const [, far, near] = placed as [(typeof placed)[0], (typeof placed)[0], (typeof placed)[0]];
  const [, farView, nearView] = layers.map((l) => l.view) as [LayerView, LayerView, LayerView];
  const evenDown = (x: number): number => 2 * Math.floor(x / 2);
  const rowsFrom = (view: LayerView, l: (typeof placed)[0], row: number, end: 'min' | 'max'): number =>
    outputRowRange(view, l.place, row, frames)[end];
  const nearTop = Math.min(Math.max(0, evenDown(rowsFrom(nearView, near, near.rows.firstAny, 'min') - 2)), viewH - 2);
  const farTop = Math.min(Math.max(0, evenDown(rowsFrom(farView, far, far.rows.firstAny, 'min') - 2)), viewH - 2);
  // Below the near ground's solid part the far layer never shows (+2 rows for the bilinear edge).
  const farBottom = Math.min(viewH, Math.max(farTop + 2, even(rowsFrom(nearView, near, near.rows.firstSolid, 'max') + 2)));
  far.place.band = { top: farTop, bottom: farBottom };
  near.place.band = { top: nearTop, bottom: viewH };

  const hold = `loop=loop=-1:size=1,setpts=N/(${fps}*TB)`;
  const parts = layers.map(({ view, name }, i) => {
    const { place } = placed[i] as (typeof placed)[0];
    const upscale = place.outW === viewW && place.outH === viewH ? '' : `,scale=${viewW}:${viewH}:flags=bilinear`;
    // BT.709 conversion in our own scale, not an auto-inserted BT.601 one.
    return (
      `[${i}:v]scale=out_color_matrix=bt709:out_range=tv,format=${name === 'sky' ? 'yuv420p' : 'yuva420p'},` +
      `${hold},${warpFilters(view, place, frames)}${upscale}[l${i}]`
    );
  });
  const { bandTop, text } = await captionFilters(caption, width, height, dir);
  // The caption's band, darkened on the small composite: its edge softens over the upscale, unseen.
  const band = bandTop === null ? '' : `,drawbox=x=0:y=${Math.floor((bandTop * viewH) / height)}:w=iw:h=ih:color=black@0.38:t=fill`;
  const graph =
    `${parts.join(';')};` +
    `[l0][l1]overlay=y=${farTop}:format=yuv420[l01];` +
    `[l01][l2]overlay=y=${nearTop}:format=yuv420${band},scale=${width}:${height}:flags=bicubic,${text},format=yuv420p[v]`;
  return { inputArgs, graph };
}

interface OpaqueRows {
  /** First canvas row with any visible pixel. */
  firstAny: number;
  /** First canvas row from which every pixel down to the bottom is fully opaque. */
  firstSolid: number;
}

/** Where a painted RGBA layer starts to show, and from where on it hides everything behind it. */
function opaqueRows(rgba: Buffer, width: number, height: number): OpaqueRows {
  const rowAlpha = (y: number, test: (a: number) => boolean): boolean => {
    for (let x = 0, i = y * width * 4 + 3; x < width; x++, i += 4) if (test(rgba[i] as number)) return true;
    return false;
  };
  let firstAny = 0;
  while (firstAny < height && !rowAlpha(firstAny, (a) => a > 0)) firstAny++;
  let firstSolid = height;
  while (firstSolid > 0 && !rowAlpha(firstSolid - 1, (a) => a < 255)) firstSolid--;
  return { firstAny: Math.min(firstAny, height - 1), firstSolid };
}
