/**
 * Just enough TrueType reading to lay out a caption before ffmpeg draws it: which code points the
 * font has a glyph for (`cmap` format 12) and how wide each glyph is (`hmtx`). With real advance
 * widths the wrapper knows where a line ends, instead of guessing from a character count.
 */
import { readFileSync } from 'node:fs';

export interface FontMetrics {
  /** Advance width of a code point in em, or undefined when the font has no glyph for it. */
  advance(codePoint: number): number | undefined;
}

interface Table {
  offset: number;
  length: number;
}

function tables(buf: Buffer): Map<string, Table> {
  const out = new Map<string, Table>();
  const count = buf.readUInt16BE(4);
  for (let i = 0; i < count; i++) {
    const rec = 12 + 16 * i;
    out.set(buf.toString('latin1', rec, rec + 4), { offset: buf.readUInt32BE(rec + 8), length: buf.readUInt32BE(rec + 12) });
  }
  return out;
}

/** Groups of (first code point, last code point, first glyph id) from the (3,10) format-12 subtable. */
function cmapGroups(buf: Buffer, cmap: Table): Array<[number, number, number]> {
  const subtables = buf.readUInt16BE(cmap.offset + 2);
  for (let i = 0; i < subtables; i++) {
    const rec = cmap.offset + 4 + 8 * i;
    const platform = buf.readUInt16BE(rec);
    const encoding = buf.readUInt16BE(rec + 2);
    const sub = cmap.offset + buf.readUInt32BE(rec + 4);
    if (platform !== 3 || encoding !== 10 || buf.readUInt16BE(sub) !== 12) continue;
    const groups: Array<[number, number, number]> = [];
    const n = buf.readUInt32BE(sub + 12);
    for (let g = 0; g < n; g++) {
      const at = sub + 16 + 12 * g;
      groups.push([buf.readUInt32BE(at), buf.readUInt32BE(at + 4), buf.readUInt32BE(at + 8)]);
    }
    return groups;
  }
  throw new Error('font has no Unicode full-repertoire (format 12) cmap');
}

function parse(buf: Buffer): FontMetrics {
  const t = tables(buf);
  const head = t.get('head');
  const hhea = t.get('hhea');
  const hmtx = t.get('hmtx');
  const cmap = t.get('cmap');
  if (!head || !hhea || !hmtx || !cmap) throw new Error('font lacks head/hhea/hmtx/cmap');
  const unitsPerEm = buf.readUInt16BE(head.offset + 18);
  const longMetrics = buf.readUInt16BE(hhea.offset + 34);
  const groups = cmapGroups(buf, cmap);

  const glyphOf = (cp: number): number => {
    let lo = 0;
    let hi = groups.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [first, last, glyph] = groups[mid] as [number, number, number];
      if (cp < first) hi = mid - 1;
      else if (cp > last) lo = mid + 1;
      else return glyph + (cp - first);
    }
    return 0;
  };
  // Glyphs past the last long metric share its advance width (the monospaced tail of the table).
  const widthOf = (glyph: number): number => buf.readUInt16BE(hmtx.offset + 4 * Math.min(glyph, longMetrics - 1));

  return {
    advance(codePoint: number): number | undefined {
      const glyph = glyphOf(codePoint);
      return glyph === 0 ? undefined : widthOf(glyph) / unitsPerEm;
    },
  };
}

const cache = new Map<string, FontMetrics>();

/**
 * Reads (once per path) the metrics of a TrueType font.
 *
 * @example
 * const m = fontMetrics(fontPath());
 * m.advance(0x41); // ≈ 0.684 (em) for 'A' in DejaVu Sans
 * m.advance(0x4e2d); // undefined: no CJK glyphs
 */
export function fontMetrics(file: string): FontMetrics {
  let metrics = cache.get(file);
  if (!metrics) {
    metrics = parse(readFileSync(file));
    cache.set(file, metrics);
  }
  return metrics;
}
