import type { CatalogModel } from '../../lib/types.js';
import type { PickedImage } from '../../lib/image.js';
import { needsImage } from '../../lib/catalog.js';
import { promptLength } from '../../lib/camera.js';
import type { ImageSource } from './ImageInput.js';

/** Everything the Generate form holds. */
export interface Draft {
  model: string;
  prompt: string;
  imageSource: ImageSource;
  image: PickedImage | null;
  imageUrl: string;
  resolution: string;
  duration: number;
  optimizer: boolean;
  webhookUrl: string;
}

export function imageOf(d: Draft): string | null {
  if (d.imageSource === 'upload') return d.image?.dataUri ?? null;
  return d.imageUrl.trim() || null;
}

/** Problems the form knows about without asking the API, keyed by the API's JSON paths. */
export function localProblems(d: Draft, m: CatalogModel, maxPrompt: number): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const image = imageOf(d);
  if (needsImage(m) && !image) out['hailuoParams.image'] = [`${m.label} is image-to-video only: add an image.`];
  if (!image && !d.prompt.trim() && !needsImage(m)) out.prompt = ['Write a prompt, or add an image for image-to-video.'];
  if (promptLength(d.prompt) > maxPrompt) out.prompt = [`The prompt is over the ${maxPrompt}-character limit.`];
  if (d.imageSource === 'url' && image && !/^https?:\/\/\S+$/i.test(image)) out['hailuoParams.image'] = ['Enter a full https:// URL.'];
  if (d.webhookUrl.trim() && !/^https?:\/\/\S+$/i.test(d.webhookUrl.trim())) out.webhookUrl = ['Enter a full https:// URL.'];
  return out;
}

/** The `POST /v2/videos/generate` body. */
export function bodyOf(d: Draft): Record<string, unknown> {
  const image = imageOf(d);
  return {
    model: d.model,
    ...(d.prompt.trim() ? { prompt: d.prompt } : {}),
    hailuoParams: { duration: d.duration, resolution: d.resolution, prompt_optimizer: d.optimizer, ...(image ? { image } : {}) },
    ...(d.webhookUrl.trim() ? { webhookUrl: d.webhookUrl.trim() } : {}),
  };
}
