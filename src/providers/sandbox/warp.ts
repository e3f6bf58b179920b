/**
 * Turns a layer's per-frame view into ffmpeg filters: a `crop` window that follows the view in
 * whole (even) pixels, then a `perspective` warp with `eval=frame` that does the sub-pixel rest.
 *
 * Why `perspective`: it resamples with bilinear interpolation from fractional corner positions, so a
 * slow pan or zoom glides; `zoompan` snaps its window to whole source pixels and visibly judders at
 * these speeds. Why the window first: `perspective` outputs as many pixels as it is given, and warping
 * a canvas twice the view's size costs four times as much (measured: 17 ms/frame at 1920×1080).
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
  const r = sourceRect(view, { originX: 0, originY: 0, viewW, viewH });
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
  const rect = sourceRect(view, p);
  const bounds = viewBounds(view, p.viewW, p.viewH, frames);
  // Window: the largest view plus slack for the even-pixel rounding and the bilinear neighbour.
  let winW = Math.min(p.canvasW, even(Math.max(p.outW, Math.ceil(bounds.maxW) + 4)));
  let winH = Math.min(p.canvasH, even(Math.max(p.outH, Math.ceil(bounds.maxH) + 4)));
  if (p.canvasW - winW < 2) winW = p.canvasW;
  if (p.canvasH - winH < 2) winH = p.canvasH;
  const windowed = winW < p.canvasW || winH < p.canvasH;

  // Window origin on whole even pixels (4:2:0 chroma), clamped inside the canvas.
  const snap = (x0: Expr, room: number): Expr => clip(mul(num(2), floor(div(sub(x0, num(1)), num(2)))), 0, Math.max(room, 0));
  const winX = windowed ? snap(rect.x0, p.canvasW - winW) : num(0);
  const winY = windowed ? snap(rect.y0, p.canvasH - winH) : num(0);

  // perspective maps the quad to its whole output (winW×winH); the view must land on the top-left
  // outW×outH of it, so the quad extends past the view by the same scale.
  const qx0 = sub(rect.x0, winX);
  const qy0 = sub(rect.y0, winY);
  const qx1 = add(qx0, mul(rect.w, num(winW / p.outW)));
  const qy2 = add(qy0, mul(rect.h, num(winH / p.outH)));
  const q = (e: Expr): string => `'${e.ff('(on-1)')}'`;
  const filters: string[] = [];
  if (windowed) filters.push(`crop=w=${winW}:h=${winH}:x='${winX.ff('n')}':y='${winY.ff('n')}'`);
  filters.push(
    `perspective=x0=${q(qx0)}:y0=${q(qy0)}:x1=${q(qx1)}:y1=${q(qy0)}:x2=${q(qx0)}:y2=${q(qy2)}:x3=${q(qx1)}:y3=${q(qy2)}` +
      ':interpolation=linear:eval=frame',
  );
  if (winW !== p.outW || winH !== p.outH) filters.push(`crop=${p.outW}:${p.outH}:0:0`);
  return filters.join(',');
}
