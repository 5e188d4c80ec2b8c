/** Option parsing shared by the commands: node:util parseArgs with typed conversions and one-line errors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TvunetError } from '../../../src/errors.js';

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals: boolean) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (e) {
    throw new TvunetError('INVALID_OPTIONS', (e as Error).message.split('\n')[0]!.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

export function numberOption(name: string, value: string | undefined, fallback: number, check: (n: number) => boolean = Number.isFinite): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new TvunetError('INVALID_OPTIONS', `--${name}: invalid value "${value}"`);
  return n;
}

export function choiceOption<C extends string>(name: string, value: string | undefined, choices: readonly C[], fallback: C): C {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new TvunetError('INVALID_OPTIONS', `--${name}: "${value}" is not one of ${choices.join(', ')}`);
  return value as C;
}
