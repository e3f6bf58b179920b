/** MiniMax's camera commands, in the order its docs list them; written into prompts as `[Pan left]`. */
export const CAMERA_COMMANDS = [
  'Truck left',
  'Truck right',
  'Pan left',
  'Pan right',
  'Push in',
  'Pull out',
  'Pedestal up',
  'Pedestal down',
  'Tilt up',
  'Tilt down',
  'Zoom in',
  'Zoom out',
  'Shake',
  'Tracking shot',
  'Static shot',
] as const;

/**
 * Inserts `[command]` into `text` at the selection, with a space before it when needed.
 *
 * @example
 * insertCommand('a castle', 8, 8, 'Push in') // { text: 'a castle [Push in]', caret: 18 }
 */
export function insertCommand(text: string, start: number, end: number, command: string): { text: string; caret: number } {
  const before = text.slice(0, start);
  const after = text.slice(end);
  const pad = before === '' || /\s$/.test(before) ? '' : ' ';
  const token = `${pad}[${command}]`;
  return { text: before + token + after, caret: before.length + token.length };
}

/** Characters as MiniMax counts them (code points, so an emoji is one). */
export function promptLength(text: string): number {
  return [...text].length;
}
