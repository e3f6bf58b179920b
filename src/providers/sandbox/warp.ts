/**
 * Turns a layer's per-frame view into ffmpeg filters, two ways:
 *
 * - `warpFilters` (text-to-video's small layers): a `crop` window that follows the view in whole
 *   (even) pixels, then a `perspective` warp with `eval=frame` that does the sub-pixel rest. It
 *   resamples bilinearly from fractional corners, so a slow move glides even on a layer at a quarter
 *   of the output size, where one layer pixel is four output pixels. It is expensive per pixel
 *   (scalar C), hence small layers, a window rather than the whole canvas, and bands.
 * - `zoompanFilter` (image-to-video, at full size): a whole-pixel window resampled by swscale,
 *   several times cheaper; at full size a 1-pixel step is fine enough.
 */
import { add, clip, div, type Expr, floor, mul, num, sub } from './expr.js';
import type { LayerView } from './motion.js';

export interface Placement {
  /** Size of the picture being warped. */
  canvasW: number;
  canvasH: number;
  /** Canvas pixel of the first frame's top-left corner. */
  originX: number;
  originY: number;
  /** Size of the first frame's view, in canvas pixels. */
  viewW: number;
  viewH: number;
  /** Size of what the chain outputs (the view is scaled to this). */
  outW: number;
  outH: number;
  /**
   * Output rows [top, bottom) to render, when only a band of the view can show anything (a ridge
   * layer is transparent above its crest and hidden below by a nearer layer); default all. The
   * chain then outputs outW×(bottom − top), to be overlaid at row `top`. Warp cost is per output
   * pixel, so a band a third of the height costs a third.
   */
  band?: { top: number; bottom: number };
}

interface SourceRect {
  x0: Expr;
  y0: Expr;
  w: Expr;
  h: Expr;
}

function sourceRect(view: LayerView, p: Pick<Placement, 'originX' | 'originY' | 'viewW' | 'viewH'>): SourceRect {
  const w = div(num(p.viewW), view.z);
  const h = div(num(p.viewH), view.z);
  const cx = add(num(p.originX + p.viewW / 2), mul(view.dx, num(p.viewW)));
  const cy = add(num(p.originY + p.viewH / 2), mul(view.dy, num(p.viewH)));
  return { x0: sub(cx, div(w, num(2))), y0: sub(cy, div(h, num(2))), w, h };
}

export interface Bounds {
  left: number;
  top: number;
  right: number;
  bottom: number;
  maxW: number;
  maxH: number;
}

/**
 * The smallest rectangle (relative to the first frame's top-left, in view pixels) that the view
 * covers over the whole clip, and its largest width and height: what a canvas must contain.
 *
 * @example
 * viewBounds(flatView(path), 1366, 768, 144); // { left: 0, top: 0, right: 1366, bottom: 768, … } for a push-in
 */
export function viewBounds(view: LayerView, viewW: number, viewH: number, frames: number): Bounds {
  return rectBounds(sourceRect(view, { originX: 0, originY: 0, viewW, viewH }), frames);
}

function rectBounds(r: SourceRect, frames: number): Bounds {
  const b: Bounds = { left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity, maxW: 0, maxH: 0 };
  for (let n = 0; n < frames; n++) {
    const x0 = r.x0.at(n);
    const y0 = r.y0.at(n);
    const w = r.w.at(n);
    const h = r.h.at(n);
    b.left = Math.min(b.left, x0);
    b.top = Math.min(b.top, y0);
    b.right = Math.max(b.right, x0 + w);
    b.bottom = Math.max(b.bottom, y0 + h);
    b.maxW = Math.max(b.maxW, w);
    b.maxH = Math.max(b.maxH, h);
  }
  return b;
}

/**
 * The highest and lowest output row (of `p.outH`) that canvas row `canvasRow` reaches over the
 * clip: where a layer's first opaque row can appear, or how far down its solid part always reaches.
 *
 * @example
 * outputRowRange(view, place, 120, 144); // { min: 37.5, max: 52.1 }
 */
export function outputRowRange(view: LayerView, p: Placement, canvasRow: number, frames: number): { min: number; max: number } {
  const r = sourceRect(view, p);
  let min = Infinity;
  let max = -Infinity;
  for (let n = 0; n < frames; n++) {
    const row = ((canvasRow - r.y0.at(n)) / r.h.at(n)) * p.outH;
    min = Math.min(min, row);
    max = Math.max(max, row);
  }
  return { min, max };
}

const even = (x: number): number => 2 * Math.ceil(x / 2);

/**
 * The filter chain (comma-joined, no pad labels) that shows `view` of a canvas placed as `p`,
 * scaled to `p.outW`×`p.outH`.
 *
 * @example
 * const chain = warpFilters(flatView(path), { canvasW: 1366, canvasH: 768, originX: 0, originY: 0,
 *   viewW: 1366, viewH: 768, outW: 1366, outH: 768 }, 144);
 * // "perspective=x0='…':…:eval=frame"
 */
export function warpFilters(view: LayerView, p: Placement, frames: number): string {
  const full = sourceRect(view, p);
  const top = p.band?.top ?? 0;
  const outH = (p.band?.bottom ?? p.outH) - top;
  if (!(outH > 0)) throw new RangeError(`empty band ${top}…${p.band?.bottom ?? p.outH}`);
  // The band's rows of the view, in canvas pixels.
  const rect: SourceRect =
    outH === p.outH ? full : { x0: full.x0, w: full.w, y0: add(full.y0, mul(full.h, num(top / p.outH))), h: mul(full.h, num(outH / p.outH)) };
  const bounds = rectBounds(rect, frames);
  // Window: the largest view plus slack for the even-pixel rounding and the bilinear neighbour.
  let winW = Math.min(p.canvasW, even(Math.max(p.outW, Math.ceil(bounds.maxW) + 4)));
  let winH = Math.min(p.canvasH, even(Math.max(outH, Math.ceil(bounds.maxH) + 4)));
  if (p.canvasW - winW < 2) winW = p.canvasW;
  if (p.canvasH - winH < 2) winH = p.canvasH;
  const windowed = winW < p.canvasW || winH < p.canvasH;

  // Window origin on whole even pixels (4:2:0 chroma), clamped inside the canvas.
  const snap = (x0: Expr, room: number): Expr => clip(mul(num(2), floor(div(sub(x0, num(1)), num(2)))), 0, Math.max(room, 0));
  const winX = windowed ? snap(rect.x0, p.canvasW - winW) : num(0);
  const winY = windowed ? snap(rect.y0, p.canvasH - winH) : num(0);

  // perspective maps the quad to its whole output (winW×winH); the view must land on the top-left
  // outW×outH (band: outW×its height) of it, so the quad extends past the view by the same scale.
  const qx0 = sub(rect.x0, winX);
  const qy0 = sub(rect.y0, winY);
  const qx1 = add(qx0, mul(rect.w, num(winW / p.outW)));
  const qy2 = add(qy0, mul(rect.h, num(winH / outH)));
  const q = (e: Expr): string => `'${e.ff('(on-1)')}'`;
  const filters: string[] = [];
  if (windowed) filters.push(`crop=w=${winW}:h=${winH}:x='${winX.ff('n')}':y='${winY.ff('n')}'`);
  filters.push(
    `perspective=x0=${q(qx0)}:y0=${q(qy0)}:x1=${q(qx1)}:y1=${q(qy0)}:x2=${q(qx0)}:y2=${q(qy2)}:x3=${q(qx1)}:y3=${q(qy2)}` +
      ':interpolation=linear:eval=frame',
  );
  if (winW !== p.outW || winH !== outH) filters.push(`crop=${p.outW}:${outH}:0:0`);
  return filters.join(',');
}

/**
 * A `zoompan` filter that shows `view` of one plane of a canvas placed as `p`, scaled to
 * `p.outW`×`p.outH`: the cheap warp, for a picture at full output size (image-to-video). `shrink`
 * is the plane's subsampling (2 for the chroma planes of 4:2:0): every size and position is divided
 * by it.
 *
 * Why not `perspective` here: at 1920×1080 it costs ~13 ms of CPU per frame (scalar C, bilinear,
 * its lookup table rebuilt every frame) and made image-to-video 2× a bare encode; `zoompan` crops a
 * whole-pixel window and resamples it with swscale's SIMD bicubic. The window moves in whole pixels
 * of the plane it is given, so the renderer runs one zoompan per plane, each on a grey plane: the
 * luma then moves in 1-pixel steps (zoompan on 4:2:0 snaps to even pixels: 2-pixel steps) and the
 * chroma, half as sharp anyway, in 2. A 1-pixel step at full size is the finest a viewer could see;
 * a whole-frame 4:4:4 zoompan did the same for 0.4 s more CPU per 6 s at 1080p. The canvas must have
 * the output's aspect ratio: zoompan's window always has the canvas's.
 *
 * @example
 * zoompanFilter(flatView(path), { canvasW: 1406, canvasH: 790, originX: 20, originY: 11,
 *   viewW: 1366, viewH: 768, outW: 1366, outH: 768 }, 24, 1);
 * // "zoompan=z='…':x='…':y='…':d=1:s=1366x768:fps=24"
 */
export function zoompanFilter(view: LayerView, p: Placement, fps: number, shrink: 1 | 2): string {
  const rect = sourceRect(view, p);
  // zoompan's window is in_w/zoom wide: the zoom that makes it the view's width.
  const zoom = div(num(p.canvasW), rect.w);
  // It truncates x and y to whole pixels: +0.5 makes that a rounding.
  const x = add(div(rect.x0, num(shrink)), num(0.5));
  const y = add(div(rect.y0, num(shrink)), num(0.5));
  return `zoompan=z='${zoom.ff('on')}':x='${x.ff('on')}':y='${y.ff('on')}':d=1:s=${p.outW / shrink}x${p.outH / shrink}:fps=${fps}`;
}
