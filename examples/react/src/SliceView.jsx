import { useEffect, useMemo, useRef, useState } from 'react';
import { extractSlice } from 'tvunet/volume';

/** The model's own grey window: −1250…250 HU, or 0…255 for PNG slices. */
const windowOf = (volume) => (volume.kind === 'hu' ? [-1250, 250] : [0, 255]);
const ALPHA = 0.5;

/**
 * One slice of the CT volume on a canvas, with the labelled voxels in red (50 % over the grey).
 * Slices are cut as segmentVolume cut them (result.layout: radiological, patient's right on the
 * left, anterior up), so the mask lines up with the image whatever the file's orientation.
 * Opens on the most infected slice.
 */
export function SliceView({ volume, result, showOverlay }) {
  const { layout } = result;
  const mostInfected = useMemo(
    () => result.burden.perSlice.reduce((a, b) => (b.infectedAreaMm2 > a.infectedAreaMm2 ? b : a)).index,
    [result],
  );
  const [slice, setSlice] = useState(mostInfected); // give each result its own `key` to start over
  const canvas = useRef(null);

  useEffect(() => {
    const grey = extractSlice(volume.data, layout, slice);
    const labels = extractSlice(result.labels, layout, slice);
    const [lo, hi] = windowOf(volume);
    const ctx = canvas.current.getContext('2d');
    const image = ctx.createImageData(layout.width, layout.height);
    for (let i = 0; i < grey.length; i++) {
      const g = Math.round(255 * Math.min(1, Math.max(0, (grey[i] - lo) / (hi - lo))));
      const overlay = showOverlay && labels[i] !== 0;
      image.data[4 * i] = overlay ? Math.round((1 - ALPHA) * g + ALPHA * 255) : g;
      image.data[4 * i + 1] = overlay ? Math.round((1 - ALPHA) * g) : g;
      image.data[4 * i + 2] = overlay ? Math.round((1 - ALPHA) * g) : g;
      image.data[4 * i + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
  }, [volume, result, layout, slice, showOverlay]);

  return (
    <figure className="slice-view">
      <canvas ref={canvas} width={layout.width} height={layout.height} data-slice={slice} aria-label={`slice ${slice + 1} of ${layout.depth}`} />
      <figcaption>
        <input type="range" min={0} max={layout.depth - 1} value={slice} onChange={(e) => setSlice(Number(e.target.value))} aria-label="slice" />
        <span>slice {slice + 1} / {layout.depth}</span>
      </figcaption>
    </figure>
  );
}
