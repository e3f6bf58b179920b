/**
 * The image-to-video filtergraph: the first-frame image, fitted to the output size, held as one
 * frame and moved along the camera path. Frame 0 is the fitted image itself (the path starts at
 * rest), which is MiniMax's contract for a first-frame image.
 */
import { open } from 'node:fs/promises';
import { fileArg } from '../../media/index.js';
import { labelFilter } from './caption.js';
import { flatView, type CameraPath } from './motion.js';
import { viewBounds, zoompanFilter } from './warp.js';

export interface Graph {
  /** ffmpeg input arguments (`-i …`), in the order the graph's `[n:v]` labels use. */
  inputArgs: string[];
  /** The filtergraph; its output pad is `[v]`. */
  graph: string;
}

/** EXIF orientation → the filters that show the image upright (ffmpeg 4.x ignores the tag). */
const UPRIGHT: Record<number, string> = {
  2: 'hflip,',
  3: 'hflip,vflip,',
  4: 'vflip,',
  5: 'transpose=0,',
  6: 'transpose=1,',
  7: 'transpose=3,',
  8: 'transpose=2,',
};

/**
 * The EXIF orientation (1–8) of a JPEG, 1 when absent or not a JPEG. The request side already
 * reports a rotated JPEG's displayed size, so the render must rotate it the same way.
 *
 * @example
 * await jpegOrientation('phone-photo.jpg'); // 6: stored landscape, displayed rotated 90° clockwise
 */
export async function jpegOrientation(file: string): Promise<number> {
  const handle = await open(file, 'r');
  const buf = Buffer.alloc(512 * 1024); // EXIF sits in the first segments; each is at most 64 KB
  let length: number;
  try {
    ({ bytesRead: length } = await handle.read(buf, 0, buf.length, 0));
  } finally {
    await handle.close();
  }
  if (length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return 1;
  let i = 2;
  while (i + 4 <= length && buf[i] === 0xff) {
    const marker = buf[i + 1] ?? 0;
    if (marker === 0xda || marker === 0xd9) break; // scan data: no more metadata
    const segLength = buf.readUInt16BE(i + 2);
    const seg = buf.subarray(i + 4, Math.min(length, i + 2 + segLength));
    if (marker === 0xe1 && seg.toString('latin1', 0, 6) === 'Exif\0\0') return exifOrientation(seg.subarray(6));
    i += 2 + segLength;
  }
  return 1;
}

function exifOrientation(tiff: Buffer): number {
  if (tiff.length < 8) return 1;
  const le = tiff.toString('latin1', 0, 2) === 'II';
  const u16 = (o: number): number => (o + 2 <= tiff.length ? (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o)) : 0);
  const ifd = le ? tiff.readUInt32LE(4) : tiff.readUInt32BE(4);
  const count = u16(ifd);
  for (let k = 0; k < count; k++) {
    const entry = ifd + 2 + 12 * k;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

const even = (x: number): number => 2 * Math.ceil(x / 2);

/**
 * Builds the graph for an image-to-video render, marked "Reelay sandbox preview" like text-to-video
 * (the mark's text file is written into `dir`).
 *
 * @example
 * const { inputArgs, graph } = await imageGraph('in.png', 1366, 768, 144, 24, path, tmpDir);
 */
export async function imageGraph(
  imagePath: string,
  width: number,
  height: number,
  frames: number,
  fps: number,
  path: CameraPath,
  dir: string,
): Promise<Graph> {
  const orientation = await jpegOrientation(imagePath);
  const view = flatView(path);
  const fit =
    `[0:v]${UPRIGHT[orientation] ?? ''}scale=${width}:${height}:force_original_aspect_ratio=increase:flags=bicubic` +
    // Converting to BT.709 here, in our own scale, rather than in an auto-inserted BT.601 one.
    `:out_color_matrix=bt709:out_range=tv,format=yuv420p,crop=${width}:${height},setsar=1`;

  // A move past the image's edge (a slide, a zoom-out below the first framing) shows more than the
  // image: pad it with a blurred, dimmed enlargement of itself instead of smearing its edge pixels.
  // The padding keeps the output's aspect ratio, as zoompan's window has the canvas's.
  const b = viewBounds(view, width, height, frames);
  const slack = 0.01;
  const beyond = Math.max(0, -b.left, b.right - width, -b.top, b.bottom - height) > slack;
  const reach = beyond ? Math.max((Math.max(-b.left, b.right - width) + 2) / width, (Math.max(-b.top, b.bottom - height) + 2) / height) : 0;
  const padX = beyond ? even(reach * width) : 0;
  const padY = beyond ? even(reach * height) : 0;
  const canvasW = width + 2 * padX;
  const canvasH = height + 2 * padY;
  const hold = `loop=loop=-1:size=1,setpts=N/(${fps}*TB)`;
  const place = { canvasW, canvasH, originX: padX, originY: padY, viewW: width, viewH: height, outW: width, outH: height };
  // One zoompan per plane (see zoompanFilter): luma in 1-pixel steps, chroma in its own pixels.
  const zoom = (shrink: 1 | 2): string => zoompanFilter(view, place, fps, shrink);
  const mark = await labelFilter(width, height, dir);
  const warp =
    `${hold},extractplanes=y+u+v[py][pu][pv];` +
    `[py]${zoom(1)}[zy];[pu]${zoom(2)}[zu];[pv]${zoom(2)}[zv];` +
    `[zy][zu][zv]mergeplanes=0x001020:yuv420p,${mark},format=yuv420p[v]`;

  let graph: string;
  if (!beyond) {
    graph = `${fit},${warp}`;
  } else {
    const radius = Math.max(2, Math.round(Math.min(canvasW, canvasH) / 25));
    const blur = `boxblur=luma_radius=${radius}:luma_power=2:chroma_radius=${radius}:chroma_power=2`;
    graph =
      `${fit},split[fg][bgsrc];` +
      `[bgsrc]scale=${canvasW}:${canvasH},${blur},lutyuv=y=val*0.8[bg];` +
      `[bg][fg]overlay=x=${padX}:y=${padY}:format=yuv420,${warp}`;
  }
  return { inputArgs: ['-i', fileArg(imagePath)], graph };
}
