/** Which buffers to hand over instead of copying, for inputs (client) and results (worker). */
import type { SegmentationResult } from '../src/segmenter/result.js';
import type { WorkerSegmentInput } from './protocol.js';

function addBuffer(list: Transferable[], seen: Set<unknown>, view: ArrayBufferView): void {
  const buf = view.buffer;
  // A SharedArrayBuffer cannot be transferred (it is shared anyway); never list one twice.
  if (!(buf instanceof ArrayBuffer) || seen.has(buf) || buf.byteLength === 0) return;
  seen.add(buf);
  list.push(buf);
}

/** The result's typed-array buffers (every one is freshly allocated by `Segmenter.segment`). */
export function resultTransferables(result: SegmentationResult): Transferable[] {
  const list: Transferable[] = [];
  const seen = new Set<unknown>();
  for (const c of result.classes) {
    addBuffer(list, seen, c.probabilities);
    addBuffer(list, seen, c.mask);
  }
  return list;
}

/**
 * The input's transferable parts: the pixel buffer of a RawSlice or ImageData (this detaches the
 * whole ArrayBuffer behind the caller's view), or the ImageBitmap itself (it is then closed here).
 */
export function inputTransferables(input: WorkerSegmentInput): Transferable[] {
  if (typeof ImageBitmap !== 'undefined' && input instanceof ImageBitmap) return [input];
  const data = (input as { data?: unknown }).data;
  const list: Transferable[] = [];
  if (ArrayBuffer.isView(data)) addBuffer(list, new Set(), data);
  return list;
}
