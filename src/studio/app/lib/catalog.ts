import type { CatalogModel } from './types.js';

export function resolutionsOf(m: CatalogModel): string[] {
  return [...new Set(m.combinations.map((c) => c.resolution))];
}

export function durationsOf(m: CatalogModel): number[] {
  return [...new Set(m.combinations.map((c) => c.durationSeconds))].sort((a, b) => a - b);
}

/** Whether the model renders `resolution` at `duration` (1080p is 6 s only). */
export function allows(m: CatalogModel, resolution: string, duration: number): boolean {
  return m.combinations.some((c) => c.resolution === resolution && c.durationSeconds === duration);
}

export function priceOf(m: CatalogModel, resolution: string, duration: number): number | null {
  return m.combinations.find((c) => c.resolution === resolution && c.durationSeconds === duration)?.credits ?? null;
}

/** Image-to-video-only models (Hailuo 2.3 Fast) cannot run without an image. */
export function needsImage(m: CatalogModel): boolean {
  return !m.modes.includes('text-to-video');
}

/** The nearest valid duration once the resolution changed. */
export function fitDuration(m: CatalogModel, resolution: string, duration: number): number {
  if (allows(m, resolution, duration)) return duration;
  return durationsOf(m).find((d) => allows(m, resolution, d)) ?? duration;
}
