/**
 * MiniMax Hailuo's camera commands, as its prompt guide documents them: one of fifteen moves in
 * square brackets (`[Pan left]`), up to three in one bracket moving together (`[Pan left,Pedestal
 * up]`), and brackets at different points of the prompt running one after another.
 */

export type CameraMove =
  | 'truck_left'
  | 'truck_right'
  | 'pan_left'
  | 'pan_right'
  | 'push_in'
  | 'pull_out'
  | 'pedestal_up'
  | 'pedestal_down'
  | 'tilt_up'
  | 'tilt_down'
  | 'zoom_in'
  | 'zoom_out'
  | 'shake'
  | 'tracking_shot'
  | 'static_shot';

/** Moves inside one bracket happen at the same time. */
export interface CameraSegment {
  moves: CameraMove[];
}

/** MiniMax honours at most three simultaneous moves; the rest of a bracket is ignored. */
export const MAX_MOVES_PER_SEGMENT = 3;

const MOVES: ReadonlyMap<string, CameraMove> = new Map([
  ['truck left', 'truck_left'],
  ['truck right', 'truck_right'],
  ['pan left', 'pan_left'],
  ['pan right', 'pan_right'],
  ['push in', 'push_in'],
  ['pull out', 'pull_out'],
  ['pedestal up', 'pedestal_up'],
  ['pedestal down', 'pedestal_down'],
  ['tilt up', 'tilt_up'],
  ['tilt down', 'tilt_down'],
  ['zoom in', 'zoom_in'],
  ['zoom out', 'zoom_out'],
  ['shake', 'shake'],
  ['tracking shot', 'tracking_shot'],
  ['static shot', 'static_shot'],
]);

/** `"  Pan   LEFT "` → `pan_left`; anything else → undefined. Underscores are accepted as spaces. */
function toMove(part: string): CameraMove | undefined {
  return MOVES.get(part.replace(/[\s_]+/g, ' ').trim().toLowerCase());
}

/**
 * The moves of one bracket's contents, or null when it names no move at all (then the bracket is
 * ordinary prompt text, e.g. `[sic]`). Unknown names beside known ones are dropped, like extras
 * past the third; repeats count once. Fullwidth commas (common in Chinese prompts) also separate.
 */
function parseBracket(inner: string): CameraMove[] | null {
  const moves: CameraMove[] = [];
  for (const part of inner.split(/[,，]/)) {
    const move = toMove(part);
    if (move && !moves.includes(move)) moves.push(move);
  }
  return moves.length === 0 ? null : moves.slice(0, MAX_MOVES_PER_SEGMENT);
}

/**
 * Splits a prompt into its camera segments (in prompt order) and the prompt text without them.
 * A bracket with no known move stays in the text. Whitespace in the text is collapsed.
 *
 * @example
 * parseCameraCommands('A fox [Pan left,Pedestal up] runs [Zoom in] [foo]');
 * // → { segments: [{ moves: ['pan_left', 'pedestal_up'] }, { moves: ['zoom_in'] }], text: 'A fox runs [foo]' }
 */
export function parseCameraCommands(prompt: string): { segments: CameraSegment[]; text: string } {
  const segments: CameraSegment[] = [];
  const text = prompt.replace(/\[([^[\]]*)\]/g, (whole: string, inner: string) => {
    const moves = parseBracket(inner);
    if (!moves) return whole;
    segments.push({ moves });
    return ' ';
  });
  return { segments, text: text.replace(/\s+/g, ' ').trim() };
}
