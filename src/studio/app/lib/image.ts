/** The image rules of MiniMax (and of Reelay's server-side check), applied in the browser first. */
export const IMAGE_RULES = {
  types: ['image/jpeg', 'image/png', 'image/webp'],
  maxBytes: 20 * 1024 * 1024,
  minShortSide: 300,
  minAspect: 2 / 5,
  maxAspect: 5 / 2,
} as const;

export interface PickedImage {
  name: string;
  type: string;
  bytes: number;
  width: number;
  height: number;
  /** What is sent: `data:image/…;base64,…`. */
  dataUri: string;
  /** A blob: URL for the preview; revoke it when the image is dropped. */
  previewUrl: string;
}

function typeOf(file: File): string {
  if (file.type) return file.type;
  const ext = file.name.toLowerCase().split('.').pop();
  return ext === 'jpg' || ext === 'jpeg' ? 'image/jpeg' : ext === 'png' ? 'image/png' : ext === 'webp' ? 'image/webp' : '';
}

function readDataUri(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(new Error('The file could not be read'));
    r.readAsDataURL(file);
  });
}

/** The problems with an image of this type, size and dimensions (empty when it passes). */
export function imageProblems(type: string, size: number, width: number, height: number): string[] {
  const out: string[] = [];
  if (!(IMAGE_RULES.types as readonly string[]).includes(type)) out.push('Use a JPG, PNG or WebP image.');
  if (size >= IMAGE_RULES.maxBytes) out.push(`The image is ${(size / 1048576).toFixed(1)} MB; it must be under 20 MB.`);
  if (width && height) {
    if (Math.min(width, height) < IMAGE_RULES.minShortSide) out.push(`The image is ${width}×${height}; its short side must be at least 300 px.`);
    const r = width / height;
    if (r < IMAGE_RULES.minAspect || r > IMAGE_RULES.maxAspect) out.push(`The image is ${width}×${height}; its aspect ratio must be between 2:5 and 5:2.`);
  }
  return out;
}

/**
 * Reads an image file's dimensions in the browser and checks every rule before anything is sent.
 *
 * @example
 * const r = await pickImage(file); if (r.ok) send(r.image.dataUri); else show(r.problems);
 */
export async function pickImage(file: File): Promise<{ ok: true; image: PickedImage } | { ok: false; problems: string[] }> {
  const type = typeOf(file);
  const early = imageProblems(type, file.size, 0, 0);
  if (early.length) return { ok: false, problems: early };
  let width = 0;
  let height = 0;
  try {
    const bmp = await createImageBitmap(file);
    width = bmp.width;
    height = bmp.height;
    bmp.close();
  } catch {
    return { ok: false, problems: ['This file could not be decoded as an image.'] };
  }
  const problems = imageProblems(type, file.size, width, height);
  if (problems.length) return { ok: false, problems };
  const dataUri = await readDataUri(file);
  return { ok: true, image: { name: file.name, type, bytes: file.size, width, height, dataUri, previewUrl: URL.createObjectURL(file) } };
}
