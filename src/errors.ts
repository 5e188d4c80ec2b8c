/** Machine-readable reason for a {@link TvunetError}. */
export type TvunetErrorCode =
  | 'INVALID_INPUT' // wrong shape, length, type, empty or non-finite pixels
  | 'INVALID_OPTIONS' // an option out of range or of the wrong kind
  | 'INVALID_MANIFEST' // manifest JSON malformed, wrong format/version, shapes that do not fit the architecture
  | 'INTEGRITY' // a shard's sha256 or length differs from the manifest, or it decodes to non-finite weights
  | 'MISSING_SHARD' // a shard could not be fetched or read
  | 'NETWORK' // a download failed
  | 'BACKEND_UNAVAILABLE' // a forced backend could not be initialised
  | 'CLOSED' // the segmenter was used after close()
  | 'WORKER' // the worker died or was terminated mid-call
  | 'DECODE' // an image or volume file could not be decoded
  | 'WRITE' // an output file or folder could not be written (disk full, no permission, a file in the way)
  | 'CANCELLED'; // the caller cancelled the operation

/**
 * The one error type the library throws on purpose. `code` is stable and meant for programs;
 * `message` names the problem for people. It survives the worker boundary (see worker/).
 */
export class TvunetError extends Error {
  readonly code: TvunetErrorCode;
  constructor(code: TvunetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TvunetError';
    this.code = code;
  }
}

export function isTvunetError(e: unknown): e is TvunetError {
  return e instanceof Error && e.name === 'TvunetError' && typeof (e as TvunetError).code === 'string';
}
