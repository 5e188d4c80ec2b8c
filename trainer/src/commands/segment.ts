/** `tvunet segment`: masks, probability maps, overlays and a report for CT slices. */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { TvunetError } from '../../../src/errors.js';
import { connectedComponents2D } from '../../../src/postprocess/index.js';
import { NODE_BACKENDS } from '../backends/node-backend.js';
import { numberOption, parseCommandArgs } from '../cli/args.js';
import { createProgress } from '../cli/progress.js';
import { encodePng, grayToRgba, readImageFile } from '../io/image-files.js';
import { renderOverlay, type OverlayMask } from '../report/overlay.js';
import { collectImages, createNodeSegmenter } from './common.js';

export const SEGMENT_HELP = `tvunet segment <image or folder>... --out DIR [options]

For each PNG/JPG slice writes <name>.mask.png (0/255), <name>.prob.png (probability × 255),
<name>.overlay.png (infection in red, lungs outlined in blue when the model has them) and one
report.json (per image: infected fraction, regions, lung involvement, threshold, timings).

Options:
  --out DIR            output folder (created)
  --model DIR          model folder or model.json (default: the shipped model)
  --backend K          ${NODE_BACKENDS.join(' | ')} (auto)
  --threshold T        probability threshold in (0,1) (default: the model's)
  --class NAME         class written to .mask/.prob (default: the model's first, infection)
  --min-region N       drop connected regions smaller than N pixels (default 0)
  --fill-holes         fill holes inside regions`;

const COLORS: Record<string, [number, number, number]> = {
  infection: [230, 40, 40], 'ground-glass': [250, 170, 30], consolidation: [200, 30, 200], lungs: [40, 120, 255],
};

export async function segmentCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    out: { type: 'string' }, model: { type: 'string' }, backend: { type: 'string' }, threshold: { type: 'string' },
    class: { type: 'string' }, 'min-region': { type: 'string' }, 'fill-holes': { type: 'boolean' },
  }, true);
  if (values.help) { console.log(SEGMENT_HELP); return; }
  if (!values.out) throw new TvunetError('INVALID_OPTIONS', 'segment needs --out DIR');
  const images = await collectImages(positionals);
  const threshold = values.threshold === undefined ? undefined : numberOption('threshold', values.threshold, 0.5, (t) => t > 0 && t < 1);
  const minRegion = numberOption('min-region', values['min-region'], 0, (n) => Number.isInteger(n) && n >= 0);
  const { segmenter, backend, modelDir } = await createNodeSegmenter(values.model, values.backend);
  try {
    const classNames = segmenter.manifest.classes.map((c) => c.name);
    const primary = values.class ?? classNames[0]!;
    if (!classNames.includes(primary)) throw new TvunetError('INVALID_OPTIONS', `--class ${primary}: the model has ${classNames.join(', ')}`);
    await mkdir(values.out, { recursive: true });
    const progress = createProgress('segment', images.length);
    const reports = [];
    for (const [i, path] of images.entries()) {
      const img = await readImageFile(path);
      const result = await segmenter.segment(
        { data: img.gray, width: img.width, height: img.height, kind: 'display' },
        { ...(threshold !== undefined ? { threshold } : {}), postprocess: { minRegionPixels: minRegion, fillHoles: values['fill-holes'] ?? false } },
      );
      const byName = new Map(result.classes.map((c) => [c.name, c]));
      const main = byName.get(primary)!;
      const stem = basename(path, extname(path));
      const n = img.width * img.height;
      const mask255 = Uint8Array.from(main.mask, (v) => v * 255);
      const overlays: OverlayMask[] = [{ mask: main.mask, color: COLORS[primary] ?? [230, 40, 40] }];
      const lungs = byName.get('lungs');
      if (lungs && primary !== 'lungs') overlays.push({ mask: lungs.mask, color: COLORS.lungs!, fillAlpha: 0, contour: true });
      await writeFile(join(values.out, `${stem}.mask.png`), encodePng(img.width, img.height, grayToRgba(mask255)));
      await writeFile(join(values.out, `${stem}.prob.png`), encodePng(img.width, img.height, grayToRgba(Float32Array.from(main.probabilities, (p) => p * 255))));
      const overlay = renderOverlay(img.gray, img.width, img.height, overlays);
      await writeFile(join(values.out, `${stem}.overlay.png`), encodePng(overlay.width, overlay.height, overlay.data));
      const infected = main.mask.reduce((a, b) => a + b, 0);
      const regions = connectedComponents2D(main.mask, img.width, img.height, { connectivity: 8 });
      const lungPixels = lungs ? lungs.mask.reduce((a, b) => a + b, 0) : null;
      const infectedInLungs = lungs ? main.mask.reduce((a, v, k) => a + (v & lungs.mask[k]!), 0) : null;
      reports.push({
        image: path, width: img.width, height: img.height, class: primary, threshold: main.threshold,
        infectedPixels: infected, infectedFraction: infected / n, regions: regions.count,
        regionSizes: regions.components.map((c) => c.size).sort((a, b) => b - a),
        lungPixels, lungInvolvementPercent: lungPixels ? (100 * infectedInLungs!) / lungPixels : null,
        otherClasses: Object.fromEntries(result.classes.filter((c) => c.name !== primary).map((c) => [c.name, { threshold: c.threshold, fraction: c.mask.reduce((a, b) => a + b, 0) / n }])),
        timingsMs: result.timings,
      });
      progress.update(i + 1, { label: '', info: stem });
    }
    progress.stop();
    await writeFile(join(values.out, 'report.json'), JSON.stringify({ model: modelDir, modelName: segmenter.manifest.name, backend: { ...segmenter.backend, reason: backend.reason }, images: reports }, null, 2));
    const mean = reports.reduce((a, r) => a + r.infectedFraction, 0) / reports.length;
    console.log(`segmented ${reports.length} image(s) on ${segmenter.backend.backend}: mean infected fraction ${(100 * mean).toFixed(2)} %, outputs in ${values.out}`);
  } finally {
    segmenter.close();
  }
}
