/**
 * Errors across the worker boundary. The worker throws a plain {@link WireError} object (which
 * Comlink clones as is); the client turns it back into a `TvunetError` with the same code and
 * message, or an `Error` with the same name and message.
 */
import { TvunetError, isTvunetError } from '../src/errors.js';
import type { WireError } from './protocol.js';

export function toWireError(e: unknown): WireError {
  if (isTvunetError(e)) return { __tvunetWireError: 1, name: e.name, message: e.message, code: e.code, stack: e.stack };
  if (e instanceof Error) return { __tvunetWireError: 1, name: e.name, message: e.message, stack: e.stack };
  return { __tvunetWireError: 1, name: 'Error', message: String(e) };
}

export function isWireError(x: unknown): x is WireError {
  return typeof x === 'object' && x !== null && (x as WireError).__tvunetWireError === 1;
}

/** The error to throw on this side for a value thrown on the other side. */
export function fromWireError(x: unknown): unknown {
  if (!isWireError(x)) return x;
  const e = x.code !== undefined ? new TvunetError(x.code, x.message) : Object.assign(new Error(x.message), { name: x.name });
  if (x.stack) e.stack = `${e.name}: ${e.message}\n    [in tvunet worker]\n${x.stack.split('\n').slice(1).join('\n')}`;
  return e;
}

/** Runs `fn` and rethrows anything it throws as a WireError (worker side). */
export async function wireErrors<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toWireError(e);
  }
}
