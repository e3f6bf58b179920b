/**
 * The prompt as a caption: laid out here (font size, wrapping into at most three lines that fit the
 * frame), then drawn by ffmpeg's `drawtext`. The text reaches ffmpeg only through `textfile=` with
 * `expansion=none`, so quotes, colons, backslashes, `%{…}` and brackets in a prompt are just text;
 * nothing the user types is ever part of the filtergraph.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { filterValue, fontPath } from '../../media/index.js';
import { fontMetrics, type FontMetrics } from './font.js';

export const MAX_CAPTION_LINES = 3;
const LABEL = 'Reelay sandbox preview';
const ELLIPSIS = '…';

export interface CaptionLayout {
  fontSize: number;
  lines: string[];
}

/**
 * Drops what would draw as nothing or as a box: control and format characters (emoji joiners,
 * variation selectors, bidi marks) and any character DejaVu Sans has no glyph for (CJK, most Indic
 * scripts). Whitespace is collapsed.
 *
 * @example
 * drawableText('Fox 🦊\u200d 中文  run', fontMetrics(fontPath())); // 'Fox run' (no fox glyph, no CJK)
 */
export function drawableText(text: string, metrics: FontMetrics): string {
  let out = '';
  for (const ch of text.replace(/\s+/g, ' ')) {
    if (/[\p{Cc}\p{Cf}]/u.test(ch)) continue;
    if (ch === ' ' || metrics.advance(ch.codePointAt(0) ?? 0) !== undefined) out += ch;
  }
  return out.replace(/ +/g, ' ').trim();
}

function widthEm(text: string, metrics: FontMetrics): number {
  let w = 0;
  for (const ch of text) w += metrics.advance(ch.codePointAt(0) ?? 0) ?? 0;
  return w;
}

/** Greedy wrap by words; a word wider than a line (a URL, an unspaced script) is cut by characters. */
function wrap(text: string, maxEm: number, metrics: FontMetrics): string[] {
  const lines: string[] = [];
  let line = '';
  const push = (word: string): void => {
    const candidate = line ? `${line} ${word}` : word;
    if (widthEm(candidate, metrics) <= maxEm) {
      line = candidate;
      return;
    }
    if (line) lines.push(line);
    line = '';
    if (widthEm(word, metrics) <= maxEm) {
      line = word;
      return;
    }
    for (const ch of word) {
      if (widthEm(line + ch, metrics) > maxEm && line) {
        lines.push(line);
        line = '';
      }
      line += ch;
    }
  };
  for (const word of text.split(' ').filter(Boolean)) push(word);
  if (line) lines.push(line);
  return lines;
}

/**
 * Chooses a font size and line breaks for `text` on a `width`×`height` frame: the caption spans at
 * most 86% of the width in at most three lines, shrinking the font to 76% before cutting the third
 * line short with an ellipsis.
 *
 * @example
 * layoutCaption('A red fox runs through snow', 1366, 768, fontMetrics(fontPath()));
 * // → { fontSize: 32, lines: ['A red fox runs through snow'] }
 */
export function layoutCaption(text: string, width: number, height: number, metrics: FontMetrics): CaptionLayout {
  const clean = drawableText(text, metrics);
  const base = Math.max(12, Math.round(height * 0.042));
  const maxPx = width * 0.86;
  if (!clean) return { fontSize: base, lines: [] };
  let fontSize = base;
  let lines: string[] = [];
  for (const scale of [1, 0.88, 0.76]) {
    fontSize = Math.max(10, Math.round(base * scale));
    lines = wrap(clean, maxPx / fontSize, metrics);
    if (lines.length <= MAX_CAPTION_LINES) return { fontSize, lines };
  }
  let last = `${lines[MAX_CAPTION_LINES - 1] ?? ''} ${lines[MAX_CAPTION_LINES] ?? ''}`;
  while (last && widthEm(`${last}${ELLIPSIS}`, metrics) > maxPx / fontSize) last = Array.from(last).slice(0, -1).join('');
  return { fontSize, lines: [...lines.slice(0, MAX_CAPTION_LINES - 1), `${last.trimEnd()}${ELLIPSIS}`] };
}

export interface CaptionFilters {
  /**
   * Top row (of the full-size frame) of the translucent band behind the caption, or null without a
   * caption. The caller darkens it, where it is cheapest: on the small composite before the
   * upscale, a sixteenth of the pixels (a full-size `drawbox` blend was a fifth of the filter cost).
   */
  bandTop: number | null;
  /** The filter chain (no labels) that draws the caption lines and the "Reelay sandbox preview" mark. */
  text: string;
}

/**
 * Writes the caption's text files into `dir` and returns where its band goes and the filter chain
 * that draws the caption lines, centred, and the "Reelay sandbox preview" label.
 *
 * @example
 * const { bandTop, text } = await captionFilters('A red fox [sic]', 1366, 768, tmpDir);
 * // bandTop: 654; text: 'drawtext=fontfile=…:textfile=…/caption-0.txt:expansion=none:…,drawtext=…'
 */
export async function captionFilters(text: string, width: number, height: number, dir: string): Promise<CaptionFilters> {
  const font = fontPath();
  const { fontSize, lines } = layoutCaption(text, width, height, fontMetrics(font));
  const fontfile = `fontfile=${filterValue(font)}`;
  const filters: string[] = [];
  const pitch = Math.round(fontSize * 1.3);
  const lastBaseline = Math.round(height * 0.93);
  const firstBaseline = lastBaseline - pitch * (lines.length - 1);
  const bandTop = lines.length > 0 ? Math.max(0, firstBaseline - Math.round(fontSize * 1.45)) : null;
  for (const [i, line] of lines.entries()) {
    const file = join(dir, `caption-${i}.txt`);
    await writeFile(file, line, 'utf8');
    const baseline = firstBaseline + i * pitch;
    filters.push(
      `drawtext=${fontfile}:textfile=${filterValue(file)}:expansion=none:fontsize=${fontSize}:fontcolor=white` +
        `:shadowcolor=black@0.7:shadowx=2:shadowy=2:x=(w-text_w)/2:y=${baseline}-ascent`,
    );
  }
  filters.push(await labelFilter(width, height, dir));
  return { bandTop, text: filters.join(',') };
}

/**
 * The "Reelay sandbox preview" mark in the top-left corner, drawn on every sandbox video (text- and
 * image-to-video alike) so a preview is never mistaken for a model's output. Writes its text file
 * into `dir`.
 *
 * @example
 * const mark = await labelFilter(1366, 768, tmpDir); // 'drawtext=fontfile=…:textfile=…/label.txt:…:x=23:y=23'
 */
export async function labelFilter(width: number, height: number, dir: string): Promise<string> {
  const labelFile = join(dir, 'label.txt');
  await writeFile(labelFile, LABEL, 'utf8');
  // Sized by the short side, so a portrait image-to-video gets the same mark as a landscape one.
  const short = Math.min(width, height);
  const labelSize = Math.max(12, Math.round(short * 0.024));
  const margin = Math.round(short * 0.03);
  return (
    `drawtext=fontfile=${filterValue(fontPath())}:textfile=${filterValue(labelFile)}:expansion=none:fontsize=${labelSize}:fontcolor=white@0.85` +
    `:shadowcolor=black@0.6:shadowx=1:shadowy=1:x=${margin}:y=${margin}`
  );
}
