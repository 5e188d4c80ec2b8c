/**
 * gzip for `.nii.gz`, in browsers, workers and Node, through the platform's CompressionStream /
 * DecompressionStream (Node ≥ 18, all current browsers): no extra dependency, and decompression
 * is streamed so that a header can be checked before the voxels are inflated.
 */
import { TvunetError } from '../errors.js';

/** True when `bytes` start with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === total) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    const n = Math.min(c.length, total - at);
    out.set(n === c.length ? c : c.subarray(0, n), at);
    at += n;
    if (at === total) break;
  }
  return out;
}

function streamsAvailable(): void {
  if (typeof DecompressionStream === 'undefined' || typeof CompressionStream === 'undefined') {
    throw new TvunetError('DECODE', 'this environment has no CompressionStream/DecompressionStream (needed for .nii.gz); pass uncompressed .nii bytes');
  }
}

/** gzip-compresses `bytes` (one gzip member). New array, caller's. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  streamsAvailable();
  const stream = new CompressionStream('gzip');
  const writer = stream.writable.getWriter();
  const written = writer.write(bytes as Uint8Array<ArrayBuffer>).then(() => writer.close());
  written.catch(() => undefined); // surfaced by the reader below
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }
  await written;
  return concat(chunks, total);
}

/** Bytes inflated past the wanted length (to reach and check the gzip trailer's CRC) before giving up on the check. */
const MAX_TRAILING_BYTES = 64 * 1024 * 1024;

/**
 * Inflates gzip `bytes` as a stream. Once `headBytes` bytes are out (or the stream ended sooner),
 * `wanted(head)` is called: it validates the head (throwing to refuse, before anything big is
 * allocated) and returns how many bytes are needed in all. Only those are kept; the rest of the
 * stream is read to verify its checksum but discarded. Returns what was inflated, at most
 * `wanted` bytes: fewer when the stream ended early (the caller reports that as truncation).
 * A corrupt or truncated stream is TvunetError('DECODE') naming `name`.
 */
export async function gunzipBounded(
  bytes: Uint8Array, headBytes: number, wanted: (head: Uint8Array) => number, name: string,
): Promise<Uint8Array> {
  streamsAvailable();
  const stream = new DecompressionStream('gzip');
  const writer = stream.writable.getWriter();
  writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => undefined); // errors reach the reader too
  writer.close().catch(() => undefined);
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let have = 0, want = Number.POSITIVE_INFINITY, discarded = 0;
  let checked = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (have < want) {
        chunks.push(value);
        have += value.length;
      } else {
        discarded += value.length;
        if (discarded > MAX_TRAILING_BYTES) break;
      }
      if (!checked && have >= headBytes) {
        checked = true;
        want = wanted(concat(chunks, have).subarray(0, headBytes));
      }
    }
  } catch (e) {
    if (e instanceof TvunetError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new TvunetError('DECODE', `${name}: corrupt or truncated gzip data after ${have} inflated bytes (${why})`, { cause: e });
  } finally {
    reader.cancel().catch(() => undefined);
  }
  if (!checked) want = wanted(concat(chunks, have));
  return concat(chunks, Math.min(have, want));
}
