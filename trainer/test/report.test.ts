/**
 * The report rasteriser, font, charts and overlays: pixels that must change do, pixels that must
 * not don't. Sample pictures go to os.tmpdir()/tvunet-report-samples for a look by eye.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { encodePng } from '../src/io/image-files.js';
import { DEFAULT_PALETTE, formatTick, niceTicks, renderLineChart } from '../src/report/chart.js';
import { drawText, drawTextVertical, textHeight, textWidth } from '../src/report/font.js';
import { renderOverlay, renderProbability } from '../src/report/overlay.js';
import { blendPixel, createImage, drawLine, drawMarker, drawPolyline, fillRect, type Rgb, type Rgba } from '../src/report/raster.js';
import { Rng } from '../src/data/rng.js';

const WHITE: Rgb = [255, 255, 255];
const RED: Rgb = [255, 0, 0];
const SAMPLE_DIR = join(tmpdir(), 'tvunet-report-samples');

function pixel(img: Rgba, x: number, y: number): [number, number, number, number] {
  const i = (y * img.width + x) * 4;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!, img.data[i + 3]!];
}

function isColor(img: Rgba, x: number, y: number, color: Rgb): boolean {
  const [r, g, b] = pixel(img, x, y);
  return r === color[0] && g === color[1] && b === color[2];
}

/** Coordinates of every pixel that is not `background`. */
function inkedPixels(img: Rgba, background: Rgb = WHITE): Array<[number, number]> {
  const inked: Array<[number, number]> = [];
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) if (!isColor(img, x, y, background)) inked.push([x, y]);
  return inked;
}

function countColor(img: Rgba, color: Rgb, region = { x: 0, y: 0, width: img.width, height: img.height }): number {
  let count = 0;
  for (let y = region.y; y < region.y + region.height; y++) {
    for (let x = region.x; x < region.x + region.width; x++) if (isColor(img, x, y, color)) count++;
  }
  return count;
}

function saveSample(name: string, img: Rgba): string {
  mkdirSync(SAMPLE_DIR, { recursive: true });
  const path = join(SAMPLE_DIR, name);
  writeFileSync(path, encodePng(img.width, img.height, img.data));
  return path;
}

describe('raster', () => {
  test('createImage fills the background, opaque', () => {
    const img = createImage(3, 2, [10, 20, 30]);
    assert.equal(img.data.length, 3 * 2 * 4);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) assert.deepEqual(pixel(img, x, y), [10, 20, 30, 255]);
  });

  test('a line colours pixels along it and none far from it', () => {
    const img = createImage(50, 50);
    drawLine(img, 5, 5, 44, 30, RED);
    const inked = inkedPixels(img);
    assert.equal(inked.length, 40, 'one pixel per column of the major axis');
    for (const [x, y] of inked) {
      const onLine = 5 + ((x - 5) * 25) / 39;
      assert.ok(Math.abs(y - onLine) <= 0.5 + 1e-9, `pixel ${x},${y} strays from the line`);
    }
    assert.ok(isColor(img, 5, 5, RED) && isColor(img, 44, 30, RED), 'both ends drawn');
  });

  test('thickness widens a horizontal line to that many rows', () => {
    for (const thickness of [1, 2, 3]) {
      const img = createImage(20, 20);
      drawLine(img, 2, 10, 17, 10, RED, { thickness });
      const rows = new Set(inkedPixels(img).map(([, y]) => y));
      assert.equal(rows.size, thickness);
      assert.ok(rows.has(10));
    }
  });

  test('dashes leave gaps that run on across polyline vertices', () => {
    const img = createImage(60, 5);
    drawPolyline(img, [0, 29, 59], [2, 2, 2], RED, { dash: [4, 4] });
    const row = Array.from({ length: 60 }, (_, x) => (isColor(img, x, 2, RED) ? 1 : 0));
    assert.equal(row.join(''), Array.from({ length: 60 }, (_, x) => (x % 8 < 4 ? 1 : 0)).join(''));
  });

  test('clip and far-off end points: only pixels inside the clip, quickly', () => {
    const img = createImage(40, 40);
    const clip = { x: 10, y: 10, width: 20, height: 20 };
    drawLine(img, -1e9, 20, 1e9, 20, RED, { clip, thickness: 3 });
    const inked = inkedPixels(img);
    assert.equal(inked.length, 20 * 3);
    for (const [x, y] of inked) assert.ok(x >= 10 && x < 30 && y >= 19 && y <= 21);
  });

  test('a NaN point breaks a polyline into two pieces', () => {
    const img = createImage(30, 10);
    drawPolyline(img, [0, 10, 12, 20, 29], [5, 5, NaN, 5, 5], RED);
    for (let x = 0; x < 30; x++) assert.equal(isColor(img, x, 5, RED), x <= 10 || x >= 20, `x=${x}`);
  });

  test('blendPixel blends each channel by alpha exactly', () => {
    const img = createImage(1, 1, [100, 200, 50]);
    blendPixel(img, 0, 0, [0, 100, 250], 0.25);
    assert.deepEqual(pixel(img, 0, 0), [Math.round(0.75 * 100), Math.round(0.25 * 100 + 0.75 * 200), Math.round(0.25 * 250 + 0.75 * 50), 255]);
  });

  test('fillRect clips to the image; markers are centred', () => {
    const img = createImage(10, 10);
    fillRect(img, -5, -5, 8, 8, RED);
    assert.equal(countColor(img, RED), 3 * 3);
    const marked = createImage(11, 11);
    drawMarker(marked, 5, 5, RED, 'circle', 5);
    const inked = inkedPixels(marked);
    assert.equal(inked.length, 21, '5×5 disc without its corners');
    assert.ok(inked.every(([x, y]) => Math.abs(x - 5) <= 2 && Math.abs(y - 5) <= 2));
  });
});

describe('font', () => {
  test('text inks pixels only inside its textWidth × textHeight box', () => {
    for (const scale of [1, 3]) {
      const text = 'Loss (val) gjpqy 0.125';
      const img = createImage(200 * scale, 20 * scale);
      drawText(img, 4, 3, text, RED, scale);
      const inked = inkedPixels(img);
      assert.ok(inked.length > 100 * scale * scale);
      const xs = inked.map(([x]) => x), ys = inked.map(([, y]) => y);
      assert.equal(Math.min(...xs), 4);
      assert.equal(Math.max(...xs), 4 + textWidth(text, scale) - 1, 'the last glyph reaches the box edge');
      assert.equal(Math.min(...ys), 3);
      assert.equal(Math.max(...ys), 3 + textHeight(scale) - 1, 'descenders reach the cell bottom');
    }
  });

  test('every printable ASCII character has a glyph, unknown ones draw as "?"', () => {
    for (let code = 33; code <= 126; code++) {
      const img = createImage(8, 10);
      drawText(img, 1, 0, String.fromCharCode(code), RED);
      assert.ok(inkedPixels(img).length > 0, `glyph for ${JSON.stringify(String.fromCharCode(code))}`);
    }
    const unknown = createImage(8, 10), question = createImage(8, 10);
    drawText(unknown, 1, 0, 'µ', RED);
    drawText(question, 1, 0, '?', RED);
    assert.deepEqual(unknown.data, question.data);
    assert.equal(textWidth(''), 0);
    assert.equal(textWidth('ab', 2), 22);
  });

  test('vertical text is the horizontal text turned 90° anticlockwise', () => {
    const text = 'Precision';
    const w = textWidth(text), h = textHeight();
    const flat = createImage(w, h), upright = createImage(h, w);
    drawText(flat, 0, 0, text, RED);
    drawTextVertical(upright, 0, 0, text, RED);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) assert.equal(isColor(upright, y, w - 1 - x, RED), isColor(flat, x, y, RED), `${x},${y}`);
    }
  });
});

describe('chart', () => {
  test('niceTicks: 1/2/5 × 10^k steps whose ticks cover the data', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 300; trial++) {
      const scale = 10 ** rng.uniform(-6, 6);
      const a = rng.uniform(-1, 1) * scale, b = rng.uniform(-1, 1) * scale;
      const [min, max] = [Math.min(a, b), Math.max(a, b)];
      const target = 2 + rng.int(9);
      const ticks = niceTicks(min, max, target, { expand: true });
      const mantissa = ticks.step / 10 ** Math.floor(Math.log10(ticks.step) + 1e-9);
      assert.ok([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9), `step ${ticks.step}`);
      const first = ticks.values[0]!, last = ticks.values[ticks.values.length - 1]!;
      assert.ok(first <= min && last >= max, `ticks ${first}…${last} cover ${min}…${max}`);
      assert.ok(ticks.values.length >= 2 && ticks.values.length <= 2 * target + 2, `${ticks.values.length} ticks for target ${target}`);
      for (const v of ticks.values) assert.ok(Math.abs(v / ticks.step - Math.round(v / ticks.step)) < 1e-6, `${v} is a multiple of ${ticks.step}`);
    }
    assert.deepEqual(niceTicks(0, 1, 5).values, [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(1, 3, 8, { expand: true, integer: true }).values, [1, 2, 3]);
    assert.deepEqual(niceTicks(0.35, 0.35, 4, { expand: true }).values, [0.3, 0.32, 0.34, 0.36, 0.38, 0.4]);
  });

  test('formatTick shows the decimals the step needs', () => {
    assert.equal(formatTick(0.6000000000000001, 0.2), '0.6');
    assert.equal(formatTick(25, 5), '25');
    assert.equal(formatTick(-0.05, 0.05), '-0.05');
    assert.equal(formatTick(0, 0.1), '0');
    assert.equal(formatTick(3e-6, 1e-6), '3e-6');
  });

  const epochs = Array.from({ length: 30 }, (_, i) => i + 1);
  const trainLoss = epochs.map((e) => 0.9 * Math.exp(-e / 8) + 0.08);
  const validationLoss = epochs.map((e) => (e === 12 ? NaN : 0.95 * Math.exp(-e / 9) + 0.12 + 0.01 * Math.sin(e)));

  test('training curves: both series drawn in their colours, legend and labels', () => {
    const img = renderLineChart({
      title: 'TV-UNet training loss',
      xLabel: 'Epoch',
      yLabel: 'Loss',
      series: [
        { name: 'train', x: epochs, y: trainLoss, color: DEFAULT_PALETTE[0] },
        { name: 'validation', x: epochs, y: validationLoss, color: DEFAULT_PALETTE[0], dashed: true },
        { name: 'train recall', x: epochs, y: trainLoss.map((l) => 1 - l) },
      ],
      yRange: [0, 1],
    });
    assert.equal(img.width, 800);
    assert.equal(img.height, 500);
    assert.ok(countColor(img, DEFAULT_PALETTE[0]!) > 1500);
    assert.ok(countColor(img, DEFAULT_PALETTE[2]!) > 500, 'an uncoloured series takes its palette colour');
    saveSample('training-loss.png', img);
  });

  test('precision–recall curve of 100k points renders', () => {
    // Scores of 100k pixels, about a third infected, swept over every threshold as the PR code does.
    const rng = new Rng(3);
    const n = 100_000;
    const labels = Array.from({ length: n }, (): number => (rng.next() < 0.3 ? 1 : 0));
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    const scores = labels.map((label) => gaussian() + (label ? 2.2 : 0));
    const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
    const positives = labels.reduce((sum, label) => sum + label, 0);
    const recall = new Float64Array(n), precision = new Float64Array(n);
    let truePositives = 0;
    order.forEach((index, rank) => {
      truePositives += labels[index]!;
      recall[rank] = truePositives / positives;
      precision[rank] = truePositives / (rank + 1);
    });
    const img = renderLineChart({
      title: 'Precision-recall (test set)',
      xLabel: 'Recall',
      yLabel: 'Precision',
      series: [
        { name: 'TV-UNet', x: recall, y: precision },
        { name: 'chance', x: [0, 1], y: [positives / n, positives / n], dashed: true, color: [150, 150, 150] },
      ],
      xRange: [0, 1],
      yRange: [0, 1],
    });
    assert.ok(countColor(img, DEFAULT_PALETTE[0]!) > 1000);
    saveSample('precision-recall.png', img);
  });

  test('no data: axes and a message, but no series colour', () => {
    const img = renderLineChart({ title: 'empty', series: [{ name: 'nothing', x: [1, 2], y: [NaN, NaN] }], width: 400, height: 300 });
    assert.ok(countColor(img, DEFAULT_PALETTE[0]!) > 0, 'the legend sample');
    const plain = renderLineChart({ series: [], width: 400, height: 300 });
    const inked = inkedPixels(plain);
    assert.ok(inked.length > 1000, 'frame, grid, tick labels and "no data"');
    for (const color of DEFAULT_PALETTE) assert.equal(countColor(plain, color), 0);
    saveSample('no-data.png', plain);
  });

  test('a single point and a constant series are visible', () => {
    const single = renderLineChart({ series: [{ name: 'one', x: [3], y: [0.5] }], width: 400, height: 300, legend: false });
    assert.ok(countColor(single, DEFAULT_PALETTE[0]!) >= 9, 'a marker');
    const constant = renderLineChart({ series: [{ name: 'flat', x: [1, 2, 3, 4], y: [2, 2, 2, 2] }], width: 400, height: 300, legend: false });
    assert.ok(countColor(constant, DEFAULT_PALETTE[0]!) > 200);
    saveSample('single-point.png', single);
  });

  test('a NaN gap leaves an unpainted stretch between its neighbours', () => {
    const options = { series: [{ name: 'y', x: [0, 1, 2, 3, 4], y: [1, 1, NaN, 1, 1], markers: false }], width: 400, height: 300, legend: false, xRange: [0, 4] as const, yRange: [0, 2] as const };
    const gapped = renderLineChart(options);
    const whole = renderLineChart({ ...options, series: [{ ...options.series[0]!, y: [1, 1, 1, 1, 1] }] });
    const color = DEFAULT_PALETTE[0]!;
    assert.ok(countColor(gapped, color) < countColor(whole, color) * 0.6, 'the two segments around the gap are missing');
    assert.ok(countColor(gapped, color) > countColor(whole, color) * 0.4);
  });

  test('bad ranges are refused', () => {
    assert.throws(() => renderLineChart({ series: [], xRange: [1, 1] }), { name: 'TvunetError', code: 'INVALID_OPTIONS' });
    assert.throws(() => renderLineChart({ series: [], width: 30, height: 30 }), { code: 'INVALID_OPTIONS' });
  });
});

describe('overlay', () => {
  const width = 16, height = 12;
  const gray = new Float32Array(width * height).map((_, i) => (i * 7) % 256);
  const mask = new Uint8Array(width * height);
  for (let y = 3; y < 9; y++) for (let x = 4; x < 12; x++) mask[y * width + x] = 255;
  const green: Rgb = [0, 200, 0];

  test('contour pixels take the mask colour, the inside blends by alpha, the rest stays grey', () => {
    const img = renderOverlay(gray, width, height, [{ mask, color: green, fillAlpha: 0.4 }]);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const g = gray[y * width + x]!;
        const inside = y >= 3 && y < 9 && x >= 4 && x < 12;
        const edge = inside && (y === 3 || y === 8 || x === 4 || x === 11);
        const expected = edge ? [...green] : inside ? green.map((c) => Math.round(0.4 * c + 0.6 * g)) : [g, g, g];
        assert.deepEqual(pixel(img, x, y), [...expected, 255], `${x},${y}`);
      }
    }
  });

  test('0/1 masks, no contour, later masks over earlier ones, upscaled contour 1 px thin', () => {
    const binary = mask.map((v) => (v ? 1 : 0));
    const plain = renderOverlay(gray, width, height, [{ mask: binary, color: RED, fillAlpha: 1, contour: false }, { mask: binary, color: green, fillAlpha: 0.5, contour: false }]);
    assert.deepEqual(pixel(plain, 5, 5), [Math.round(0.5 * 255), Math.round(0.5 * 200), 0, 255]);

    const big = renderOverlay(gray, width, height, [{ mask, color: green }], { scale: 4 });
    assert.equal(big.width, 64);
    assert.ok(isColor(big, 16, 20, green) && !isColor(big, 17, 20, green), 'contour one output pixel wide');
    assert.deepEqual(pixel(big, 3, 2), pixel(big, 0, 0), 'nearest-neighbour upscaling');
  });

  test('mismatched sizes are refused', () => {
    assert.throws(() => renderOverlay(gray, width + 1, height, []), { code: 'INVALID_INPUT' });
    assert.throws(() => renderOverlay(gray, width, height, [{ mask: new Uint8Array(3), color: RED }]), { code: 'INVALID_INPUT' });
    assert.throws(() => renderProbability(new Float32Array(4), 2, 2, { scale: 0 }), { code: 'INVALID_OPTIONS' });
  });

  test('probability map: viridis ends, monotone brightness, NaN black', () => {
    const prob = Float32Array.from([0, 0.5, 1, NaN, -3, 7]);
    const img = renderProbability(prob, 6, 1);
    assert.deepEqual(pixel(img, 0, 0), [68, 1, 84, 255]);
    assert.deepEqual(pixel(img, 2, 0), [253, 231, 37, 255]);
    assert.deepEqual(pixel(img, 3, 0), [0, 0, 0, 255]);
    assert.deepEqual(pixel(img, 4, 0), pixel(img, 0, 0));
    assert.deepEqual(pixel(img, 5, 0), pixel(img, 2, 0));
    const ramp = renderProbability(Float32Array.from({ length: 256 }, (_, i) => i / 255), 256, 1);
    let previous = -1;
    for (let x = 0; x < 256; x++) {
      const [r, g, b] = pixel(ramp, x, 0);
      const luma = 0.299 * r + 0.587 * g + 0.114 * b;
      assert.ok(luma > previous - 0.5, `brightness rises at ${x}`);
      previous = luma;
    }
  });

  test('sample overlay picture', () => {
    const size = 128;
    const slice = new Float32Array(size * size), truth = new Uint8Array(size * size), predicted = new Uint8Array(size * size);
    const prob = new Float32Array(size * size);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = y * size + x;
        const body = ((x - 64) / 58) ** 2 + ((y - 64) / 46) ** 2 < 1;
        const lung = ((Math.abs(x - 64) - 26) / 18) ** 2 + ((y - 62) / 32) ** 2 < 1;
        slice[i] = body ? (lung ? 40 : 170) + 20 * Math.sin(x / 3) * Math.cos(y / 5) : 0;
        truth[i] = (x - 40) ** 2 + (y - 70) ** 2 < 150 ? 1 : 0;
        predicted[i] = (x - 43) ** 2 + (y - 68) ** 2 < 170 ? 1 : 0;
        prob[i] = Math.exp(-((x - 42) ** 2 + (y - 69) ** 2) / 300);
      }
    }
    const img = renderOverlay(slice, size, size, [{ mask: truth, color: [0, 200, 0] }, { mask: predicted, color: [230, 30, 30], fillAlpha: 0.3 }], { scale: 3 });
    saveSample('overlay.png', img);
    saveSample('probability.png', renderProbability(prob, size, size, { scale: 2 }));
    assert.equal(img.width, size * 3);
  });
});
