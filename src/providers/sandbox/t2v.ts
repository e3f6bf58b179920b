/**
 * The text-to-video filtergraph: three procedural layers (sky, far ridge, near ground) painted once
 * at a third of the output size, each moved by the camera with its own parallax, composited, scaled
 * up, then captioned at full resolution so the text stays sharp and still while the scene moves.
 *
 * Why a third: the layers are smooth gradients and soft ridges, which upscale without visible loss,
 * and the warp is the render's main cost, at ~16 ns of CPU per pixel per frame on the 2-core box:
 * ~4 ms for a 640×360 layer, 17 ms (wall, both cores) for one at 1920×1080.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileArg } from '../../media/index.js';
import { captionFilters } from './caption.js';
import type { Graph } from './i2v.js';
import { frame, mul, num } from './expr.js';
import { sceneView, type CameraPath, type LayerView } from './motion.js';
import type { LayerName, Scene } from './scene.js';
import { viewBounds, warpFilters } from './warp.js';

const even = (x: number): number => 2 * Math.ceil(x / 2);

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
  const viewW = even(width / 3);
  const viewH = even(height / 3);
  const drift = mul(frame, num((scene.driftDirection * SKY_DRIFT) / Math.max(frames - 1, 1)));
  // `detail`: the layer's resolution relative to the view. The sky is soft gradients and clouds, so
  // it is warped at half resolution and scaled up: a quarter of its warp cost, no visible change.
  const layers: Array<{ view: LayerView; name: LayerName; detail: number }> = [
    { view: sceneView(path, 0.1, drift), name: 'sky', detail: 0.5 },
    { view: sceneView(path, 0.4), name: 'far', detail: 1 },
    { view: sceneView(path, 1), name: 'near', detail: 1 },
  ];
  const hold = `loop=loop=-1:size=1,setpts=N/(${fps}*TB)`;
  const inputArgs: string[] = [];
  const parts: string[] = [];
  for (const [i, { view, name, detail }] of layers.entries()) {
    const w = even(viewW * detail);
    const h = even(viewH * detail);
    // Each layer's canvas is just big enough for everywhere its view goes.
    const b = viewBounds(view, w, h, frames);
    const left = Math.floor(Math.min(0, b.left)) - CANVAS_PAD;
    const top = Math.floor(Math.min(0, b.top)) - CANVAS_PAD;
    const canvasW = even(Math.max(w, b.right) + CANVAS_PAD - left);
    const canvasH = even(Math.max(h, b.bottom) + CANVAS_PAD - top);
    const file = join(dir, `layer-${name}.rgba`);
    await writeFile(file, await scene.paint(name, { originX: -left, originY: -top, unit: h }, canvasW, canvasH));
    inputArgs.push('-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${canvasW}x${canvasH}`, '-i', fileArg(file));
    const place = { canvasW, canvasH, originX: -left, originY: -top, viewW: w, viewH: h, outW: w, outH: h };
    const upscale = w === viewW && h === viewH ? '' : `,scale=${viewW}:${viewH}:flags=bilinear`;
    parts.push(
      // BT.709 conversion in our own scale, not an auto-inserted BT.601 one.
      `[${i}:v]scale=out_color_matrix=bt709:out_range=tv,format=${name === 'sky' ? 'yuv420p' : 'yuva420p'},` +
        `${hold},${warpFilters(view, place, frames)}${upscale}[l${i}]`,
    );
  }
  const text = await captionFilters(caption, width, height, dir);
  const graph =
    `${parts.join(';')};` +
    `[l0][l1]overlay=format=yuv420[l01];` +
    `[l01][l2]overlay=format=yuv420,scale=${width}:${height}:flags=bicubic,${text},format=yuv420p[v]`;
  return { inputArgs, graph };
}
