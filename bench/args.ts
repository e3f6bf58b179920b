/**
 * `npm run bench` arguments, parsed by `node:util` `parseArgs` in strict mode: a misspelt flag
 * stops the bench at once instead of running ten minutes of sections nobody asked for.
 */
import { parseArgs } from 'node:util';

export interface BenchArgs<S extends string> {
  only: Set<S>;
  quick: boolean;
}

/**
 * @example
 * parseBenchArgs(['--only', 'http,render', '--quick'], ['http', 'render'] as const); // { only: {http, render}, quick: true }
 */
export function parseBenchArgs<S extends string>(argv: string[], sections: readonly S[]): BenchArgs<S> {
  let values: { only?: string | undefined; quick?: boolean | undefined };
  try {
    ({ values } = parseArgs({ args: argv, options: { only: { type: 'string' }, quick: { type: 'boolean' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new Error(`${(err as Error).message}; usage: npm run bench -- [--only ${sections.join(',')}] [--quick] (see bench/run.ts)`);
  }
  const only = new Set<S>(values.only === undefined ? sections : []);
  for (const s of values.only?.split(',') ?? []) {
    if (!(sections as readonly string[]).includes(s)) throw new Error(`--only: unknown section "${s}" (${sections.join(', ')})`);
    only.add(s as S);
  }
  return { only, quick: values.quick === true };
}
