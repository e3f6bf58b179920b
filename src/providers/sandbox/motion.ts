/**
 * From camera segments to a continuous camera path, and from the path to what each picture layer
 * shows per frame.
 *
 * The camera is a handful of numbers (lens zoom, dolly distance, rotation, translation). Each
 * segment moves them from where the previous segment left them to a new rest, eased in and out, so
 * the path is continuous in position and at rest at every boundary. The clip is shared evenly among
 * segments. Rotation (pan/tilt) moves every layer alike; translation and dolly (truck, pedestal,
 * push, tracking) move near layers more than far ones, which is what tells them apart on screen.
 */
import type { CameraMove, CameraSegment } from './camera.js';
import { add, clip, div, type Expr, frame, mul, num, sin, smoothstep, sub } from './expr.js';

export interface CameraState {
  /** Lens zoom factor (1 = as framed at the start). */
  zoom: number;
  /** Dolly factor: how much bigger the nearest layer looks than at the start. */
  dolly: number;
  /** Rotation, in "move units" (one `[Pan left]` of average length is −1). */
  panX: number;
  panY: number;
  /** Translation, in the same units. */
  truckX: number;
  truckY: number;
}

const REST: CameraState = { zoom: 1, dolly: 1, panX: 0, panY: 0, truckX: 0, truckY: 0 };

/** Where the camera is on each frame; shake is already enveloped (zero at segment boundaries). */
export interface CameraPath {
  zoom: Expr;
  dolly: Expr;
  panX: Expr;
  panY: Expr;
  truckX: Expr;
  truckY: Expr;
  shakeX: Expr;
  shakeY: Expr;
  /** How strongly the shake is on (0–1): its fade in and out, without the wobble. */
  shake: Expr;
}

/** Keeps repeated moves (`[Zoom in] … [Zoom in] … [Zoom in]`) from running away. */
const LIMITS = { scaleMin: 0.7, scaleMax: 2, offset: 1.5 } as const;

const clamp = (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi);

/**
 * Applies one bracket's moves to a state. `strength` scales the move with its segment's length
 * (√(seconds/3), within 0.6–1.3): a 6 s pan travels further than a 1.5 s one, but not four times.
 */
function applyMoves(from: CameraState, moves: readonly CameraMove[], strength: number): CameraState {
  const s = { ...from };
  for (const move of moves) {
    switch (move) {
      case 'pan_left': s.panX -= strength; break;
      case 'pan_right': s.panX += strength; break;
      case 'tilt_up': s.panY -= 0.8 * strength; break;
      case 'tilt_down': s.panY += 0.8 * strength; break;
      case 'truck_left': s.truckX -= strength; break;
      case 'truck_right': s.truckX += strength; break;
      case 'pedestal_up': s.truckY -= 0.8 * strength; break;
      case 'pedestal_down': s.truckY += 0.8 * strength; break;
      case 'push_in': s.dolly *= 1 + 0.25 * strength; break;
      case 'pull_out': s.dolly /= 1 + 0.25 * strength; break;
      case 'zoom_in': s.zoom *= 1 + 0.3 * strength; break;
      case 'zoom_out': s.zoom /= 1 + 0.3 * strength; break;
      // A slow push with a lateral drift, as if following a subject walking across.
      case 'tracking_shot': s.dolly *= 1 + 0.1 * strength; s.truckX += 0.7 * strength; break;
      case 'shake': break; // an envelope on top of the path, see planCamera
      case 'static_shot': break; // holds; beside other moves it changes nothing
    }
  }
  s.zoom = clamp(s.zoom, LIMITS.scaleMin, LIMITS.scaleMax);
  s.dolly = clamp(s.dolly, LIMITS.scaleMin / s.zoom, LIMITS.scaleMax / s.zoom);
  for (const k of ['panX', 'panY', 'truckX', 'truckY'] as const) s[k] = clamp(s[k], -LIMITS.offset, LIMITS.offset);
  return s;
}

/** Handheld shake: three incommensurate sines (2–7 Hz), so it never visibly repeats. */
function wobble(t: Expr, phases: readonly number[]): Expr {
  const [a = 0, b = 0, c = 0] = phases;
  const tone = (hz: number, phase: number, amp: number): Expr => mul(num(amp), sin(add(mul(num(2 * Math.PI * hz), t), num(phase))));
  return add(tone(2.3, a, 0.55), tone(4.1, b, 0.3), tone(6.7, c, 0.15));
}

/**
 * Plans the camera over `frames` frames, sharing them evenly among the segments (at most two per
 * second of clip). With no segments the camera makes a gentle push-in, so a still image still comes
 * alive. `rand` (seeded) only chooses the shake's phases.
 *
 * @example
 * const path = planCamera([{ moves: ['pan_left'] }], 144, 24, rand);
 * path.panX.at(0);   // 0
 * path.panX.at(143); // -1.3 (a full-length pan)
 */
export function planCamera(segments: readonly CameraSegment[], frames: number, fps: number, rand: () => number): CameraPath {
  const gentle = segments.length === 0;
  // A move shorter than half a second reads as a cut, and each segment lengthens every per-frame
  // expression: brackets past two per second of clip are ignored.
  const maxSegments = Math.max(1, Math.floor((2 * frames) / fps));
  const plan: readonly CameraSegment[] = gentle ? [{ moves: ['push_in'] }] : segments.slice(0, maxSegments);
  const span = Math.max(frames - 1, 1) / plan.length; // frames per segment; the last ends on the last frame
  const seconds = (span + 1) / fps;
  const strength = gentle ? 0.45 : clamp(Math.sqrt(seconds / 3), 0.6, 1.3);

  const keys: CameraState[] = [REST];
  for (const seg of plan) keys.push(applyMoves(keys[keys.length - 1] ?? REST, seg.moves, strength));

  // Progress through segment i, 0 before it and 1 after it.
  const progress = plan.map((_, i) => clip(div(sub(frame, num(i * span)), num(span)), 0, 1));
  const component = (k: keyof CameraState): Expr =>
    add(
      num(REST[k]),
      ...progress.map((u, i) => mul(num((keys[i + 1] as CameraState)[k] - (keys[i] as CameraState)[k]), smoothstep(u))),
    );
  // sin(πu) is 0 at both ends of its segment: a shake fades in and out instead of cutting.
  const envelope = add(...progress.map((u, i) => (plan[i]?.moves.includes('shake') ? sin(mul(num(Math.PI), u)) : num(0))));
  const t = mul(frame, num(1 / fps));
  const phases = Array.from({ length: 6 }, () => rand() * 2 * Math.PI);
  return {
    zoom: component('zoom'),
    dolly: component('dolly'),
    panX: component('panX'),
    panY: component('panY'),
    truckX: component('truckX'),
    truckY: component('truckY'),
    shakeX: mul(envelope, wobble(t, phases.slice(0, 3))),
    shakeY: mul(envelope, wobble(t, phases.slice(3))),
    shake: envelope,
  };
}

/**
 * What one layer shows on a frame: its view's centre displaced by (`dx`·width, `dy`·height) from
 * where it started, and magnified `z` times.
 */
export interface LayerView {
  dx: Expr;
  dy: Expr;
  z: Expr;
}

/** Fraction of the frame a flat image moves per move unit (a full-length pan: 9% of the width). */
const FLAT_TRAVEL = 0.07;
const FLAT_SHAKE = 0.3;
/** The wobble's largest excursion, in move units (the sum of its three amplitudes). */
const WOBBLE_PEAK = 1;

/**
 * The view of a single flat picture (image-to-video). A photo has no parallax, so pan and truck
 * (and tilt and pedestal) look alike on it: the window slides across the image at constant
 * magnification, which is what a pan promises (content moving sideways, nothing growing). What
 * slides into view past the image's edge is the padded canvas the renderer builds (a blurred,
 * dimmed enlargement of the image), as for a zoom-out below the first framing.
 *
 * Coupling a zoom to the slide to keep the edges out (what this did before) turned `[Pan left]`
 * into a ×1.21 zoom anchored on the left edge. Only the shake still zooms, by just enough to keep
 * its jitter off the edges, faded in and out with it, so a shake ends where it began.
 *
 * @example
 * const v = flatView(planCamera([], 144, 24, rand));
 * v.z.at(0); // 1: the first frame is the image itself
 */
export function flatView(path: CameraPath): LayerView {
  const offX = clip(add(path.panX, path.truckX, mul(num(FLAT_SHAKE), path.shakeX)), -2.2, 2.2);
  const offY = clip(add(path.panY, path.truckY, mul(num(FLAT_SHAKE), path.shakeY)), -2.2, 2.2);
  const shakeZoom = div(num(1), sub(num(1), mul(num(2 * FLAT_TRAVEL * FLAT_SHAKE * WOBBLE_PEAK), path.shake)));
  return { dx: mul(offX, num(FLAT_TRAVEL)), dy: mul(offY, num(FLAT_TRAVEL)), z: mul(path.zoom, path.dolly, shakeZoom) };
}

/** Fraction of the frame a scene layer at parallax 1 moves per move unit. */
const SCENE_TRAVEL = 0.16;
const SCENE_SHAKE = 0.2;

/**
 * The view of one layer of a procedural scene. `parallax` is 1 for the nearest layer and smaller
 * for farther ones: translation and dolly scale with it, rotation and lens zoom do not. `drift` adds
 * the scene's own motion (clouds), in move units.
 *
 * @example
 * const sky = sceneView(path, 0.15, mul(frame, num(0.002)));
 */
export function sceneView(path: CameraPath, parallax: number, drift: Expr = num(0)): LayerView {
  const p = num(parallax);
  const offX = add(path.panX, mul(p, path.truckX), mul(num(SCENE_SHAKE), path.shakeX), drift);
  const offY = add(path.panY, mul(p, path.truckY), mul(num(SCENE_SHAKE), path.shakeY));
  const z = mul(path.zoom, add(num(1), mul(p, sub(path.dolly, num(1)))));
  return { dx: mul(offX, num(SCENE_TRAVEL)), dy: mul(offY, num(SCENE_TRAVEL)), z };
}
