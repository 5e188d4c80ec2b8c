/**
 * Line charts for training curves (loss, recall, precision per epoch) and precision–recall
 * curves, rendered to an RGBA image with the pure-TypeScript rasteriser.
 */
import { TvunetError } from '../../../src/errors.js';
import { drawText, drawTextVertical, textHeight, textWidth } from './font.js';
import {
  createImage,
  drawLine,
  drawMarker,
  drawPolyline,
  fillRect,
  strokeRect,
  type MarkerShape,
  type Rect,
  type Rgb,
  type Rgba,
  type StrokeStyle,
} from './raster.js';

/** One line of a chart. Points pair x[i] with y[i]; a non-finite coordinate leaves a gap. */
export interface ChartSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Line colour; by default the next colour of {@link DEFAULT_PALETTE}. */
  color?: Rgb;
  dashed?: boolean;
  /** Marks every point (circles on solid lines, squares on dashed ones); default: at most 60 points. */
  markers?: boolean;
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: readonly ChartSeries[];
  /** Image width in pixels; default 800. */
  width?: number;
  /** Image height in pixels; default 500. */
  height?: number;
  /** Fixed x axis range [min, max]; by default the data range widened to whole tick steps. */
  xRange?: readonly [number, number];
  /** Fixed y axis range [min, max]; by default the data range widened to whole tick steps. */
  yRange?: readonly [number, number];
  /** Draws a legend in the plot corner the lines cover least; default true. */
  legend?: boolean;
}

/** Axis ticks: the axis runs from `min` to `max`; `values` are the multiples of `step` within it. */
export interface Ticks {
  min: number;
  max: number;
  step: number;
  values: number[];
}

/** Series colours in order (matplotlib's "tab10" first six): distinct for most colour vision. */
export const DEFAULT_PALETTE: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
];

const TEXT_COLOR: Rgb = [40, 40, 40];
const FRAME_COLOR: Rgb = [70, 70, 70];
const GRID_COLOR: Rgb = [225, 225, 225];
const NO_DATA_COLOR: Rgb = [150, 150, 150];
const LEGEND_BORDER: Rgb = [170, 170, 170];
const WHITE: Rgb = [255, 255, 255];
/** Below this many points a series gets markers by default, so epochs can be counted. */
const MARKER_POINT_LIMIT = 60;

/**
 * Ticks at 1, 2 or 5 × 10^k spacing, about `targetCount` intervals over [min, max]. With `expand`
 * the axis is widened outward to whole steps, so the ticks cover the data; with `integer` the step
 * is at least 1 (for epochs). An empty span is widened around its value first.
 */
export function niceTicks(min: number, max: number, targetCount: number, options: { expand?: boolean; integer?: boolean } = {}): Ticks {
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  let step = niceStep((max - min) / Math.max(1, targetCount));
  if (options.integer && step < 1) step = 1;
  // The small tolerance keeps ticks that sit on a bound despite floating-point error.
  const tolerance = 1e-9;
  if (options.expand) {
    min = roundToStep(Math.floor(min / step + tolerance), step);
    max = roundToStep(Math.ceil(max / step - tolerance), step);
  }
  const values: number[] = [];
  for (let k = Math.ceil(min / step - tolerance); k <= Math.floor(max / step + tolerance); k++) values.push(roundToStep(k, step));
  return { min, max, step, values };
}

/** The smallest 1, 2 or 5 × 10^k that is at least `rough`. */
function niceStep(rough: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  // The slack keeps binary noise (1.0000000000000002) from doubling the step.
  const mantissa = rough / magnitude - 1e-9;
  return (mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10) * magnitude;
}

/** k × step without binary noise (0.30000000000000004 → 0.3). */
function roundToStep(k: number, step: number): number {
  return Number((k * step).toPrecision(12));
}

/** A tick label with just the decimals its step needs; exponent notation for very large or small steps. */
export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  const stepExponent = Math.floor(Math.log10(step) + 1e-9);
  if (stepExponent < -4 || Math.abs(value) >= 1e6) {
    const digits = Math.max(0, Math.floor(Math.log10(Math.abs(value))) - stepExponent);
    return value.toExponential(Math.min(digits, 6));
  }
  return value.toFixed(Math.max(0, -stepExponent));
}

/**
 * Renders a line chart: framed plot with grid, "nice" ticks and labels, title, axis labels and a
 * legend. Long series are decimated per pixel column, so 100k-point curves stay fast. With no
 * finite point at all the axes are drawn around "no data".
 */
export function renderLineChart(options: LineChartOptions): Rgba {
  const width = options.width ?? 800, height = options.height ?? 500;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new TvunetError('INVALID_OPTIONS', `chart size must be positive integers (got ${width}×${height})`);
  }
  const img = createImage(width, height, WHITE);
  // Text and strokes grow with the picture so large charts stay legible.
  const scale = Math.max(1, Math.floor(Math.min(width / 800, height / 500)));
  const pad = 10 * scale, gap = 5 * scale, tickLength = 4 * scale;
  const lineHeight = textHeight(scale);

  const xData = extent(options.series.map((s) => s.x));
  const yData = extent(options.series.map((s) => s.y));

  const top = pad + (options.title ? textHeight(2 * scale) + pad : lineHeight / 2);
  const bottom = pad + (options.xLabel ? lineHeight + gap : 0) + lineHeight + gap + tickLength;
  const plotHeight = height - top - bottom;
  const yTicks = axisTicks(yData, options.yRange, plotHeight / (45 * scale), 'yRange');
  const yLabels = yTicks.values.map((v) => formatTick(v, yTicks.step));
  const left = pad + (options.yLabel ? lineHeight + gap : 0) + Math.max(0, ...yLabels.map((l) => textWidth(l, scale))) + gap + tickLength;
  const xTicks = axisTicks(xData, options.xRange, (width - left - 3 * pad) / (70 * scale), 'xRange');
  const xLabels = xTicks.values.map((v) => formatTick(v, xTicks.step));
  const right = Math.max(2 * pad, textWidth(xLabels[xLabels.length - 1] ?? '', scale) / 2 + gap);
  const plot: Rect = { x: left, y: top, width: width - left - right, height: plotHeight };
  if (plot.width < 20 || plot.height < 20) {
    throw new TvunetError('INVALID_OPTIONS', `chart ${width}×${height} leaves no room for the plot`);
  }
  const toPixelX = (v: number) => plot.x + ((v - xTicks.min) / (xTicks.max - xTicks.min)) * (plot.width - 1);
  const toPixelY = (v: number) => plot.y + plot.height - 1 - ((v - yTicks.min) / (yTicks.max - yTicks.min)) * (plot.height - 1);

  drawAxes(img, plot, xTicks, xLabels, yTicks, yLabels, toPixelX, toPixelY, scale);
  if (options.title) {
    drawText(img, centered(plot.x, plot.width, textWidth(options.title, 2 * scale)), pad, options.title, TEXT_COLOR, 2 * scale);
  }
  if (options.xLabel) {
    drawText(img, centered(plot.x, plot.width, textWidth(options.xLabel, scale)), height - pad - lineHeight, options.xLabel, TEXT_COLOR, scale);
  }
  if (options.yLabel) {
    drawTextVertical(img, pad, centered(plot.y, plot.height, textWidth(options.yLabel, scale)), options.yLabel, TEXT_COLOR, scale);
  }
  if (!xData || !yData) {
    const text = 'no data';
    const x = centered(plot.x, plot.width, textWidth(text, 2 * scale)), y = centered(plot.y, plot.height, textHeight(2 * scale));
    drawText(img, x, y, text, NO_DATA_COLOR, 2 * scale);
  }

  const showLegend = options.legend !== false && options.series.length > 0;
  // The legend goes where the series changed fewest pixels, so keep the picture from before them.
  const beforeSeries = showLegend ? img.data.slice() : img.data;
  const styles = options.series.map((series, index) => {
    const style = seriesStyle(series, index, scale, plot);
    drawSeries(img, series, style, plot, toPixelX, toPixelY);
    return style;
  });
  if (showLegend) {
    drawLegend(img, beforeSeries, options.series, styles, plot, scale);
  }
  return img;
}

interface SeriesStyle {
  color: Rgb;
  stroke: StrokeStyle;
  /** Marker shape when every point is marked, else null (isolated points are marked regardless). */
  marker: MarkerShape | null;
  markerSize: number;
}

function seriesStyle(series: ChartSeries, index: number, scale: number, plot: Rect): SeriesStyle {
  const color = series.color ?? DEFAULT_PALETTE[index % DEFAULT_PALETTE.length]!;
  const stroke: StrokeStyle = { thickness: 2 * scale, clip: plot, ...(series.dashed ? { dash: [8 * scale, 5 * scale] as const } : {}) };
  const markers = series.markers ?? finiteCount(series) <= MARKER_POINT_LIMIT;
  const shape: MarkerShape = series.dashed ? 'square' : 'circle';
  // A 7 px disc looks about as heavy as a 5 px square.
  return { color, stroke, marker: markers ? shape : null, markerSize: (series.dashed ? 5 : 7) * scale };
}

function finiteCount(series: ChartSeries): number {
  let count = 0;
  const n = Math.min(series.x.length, series.y.length);
  for (let i = 0; i < n; i++) if (Number.isFinite(series.x[i]!) && Number.isFinite(series.y[i]!)) count++;
  return count;
}

/** Range of the finite values over all arrays and whether all are whole numbers; null when there are none. */
function extent(arrays: ReadonlyArray<ArrayLike<number>>): { min: number; max: number; integer: boolean } | null {
  let min = Infinity, max = -Infinity, integer = true;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      if (!Number.isInteger(v)) integer = false;
    }
  }
  return min <= max ? { min, max, integer } : null;
}

function axisTicks(
  data: { min: number; max: number; integer: boolean } | null,
  range: readonly [number, number] | undefined,
  targetCount: number,
  rangeName: string,
): Ticks {
  const target = Math.max(2, Math.round(targetCount));
  if (range) {
    const [min, max] = range;
    if (!Number.isFinite(min) || !Number.isFinite(max) || !(min < max)) {
      throw new TvunetError('INVALID_OPTIONS', `${rangeName} must be two finite numbers, min < max (got [${min}, ${max}])`);
    }
    return niceTicks(min, max, target);
  }
  if (!data) return niceTicks(0, 1, target, { expand: true });
  return niceTicks(data.min, data.max, target, { expand: true, integer: data.integer });
}

function centered(start: number, span: number, size: number): number {
  return Math.round(start + (span - size) / 2);
}

function drawAxes(
  img: Rgba,
  plot: Rect,
  xTicks: Ticks,
  xLabels: string[],
  yTicks: Ticks,
  yLabels: string[],
  toPixelX: (v: number) => number,
  toPixelY: (v: number) => number,
  scale: number,
): void {
  const bottom = plot.y + plot.height - 1, right = plot.x + plot.width - 1;
  const tickLength = 4 * scale, gap = 5 * scale;
  xTicks.values.forEach((value, i) => {
    const x = Math.round(toPixelX(value));
    drawLine(img, x, plot.y, x, bottom, GRID_COLOR);
    fillRect(img, x - Math.floor(scale / 2), bottom + 1, scale, tickLength, FRAME_COLOR);
    const label = xLabels[i]!;
    drawText(img, Math.round(x - textWidth(label, scale) / 2), bottom + tickLength + gap, label, TEXT_COLOR, scale);
  });
  yTicks.values.forEach((value, i) => {
    const y = Math.round(toPixelY(value));
    drawLine(img, plot.x, y, right, y, GRID_COLOR);
    fillRect(img, plot.x - tickLength, y - Math.floor(scale / 2), tickLength, scale, FRAME_COLOR);
    const label = yLabels[i]!;
    // Centre the cap height (7 of the 9 font rows) on the tick.
    drawText(img, plot.x - tickLength - gap - textWidth(label, scale), y - Math.round(3.5 * scale), label, TEXT_COLOR, scale);
  });
  strokeRect(img, plot.x, plot.y, plot.width, plot.height, FRAME_COLOR, scale);
}

function drawSeries(
  img: Rgba,
  series: ChartSeries,
  style: SeriesStyle,
  plot: Rect,
  toPixelX: (v: number) => number,
  toPixelY: (v: number) => number,
): void {
  const n = Math.min(series.x.length, series.y.length);
  const xs = new Float64Array(n), ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = series.x[i]!, y = series.y[i]!;
    const finite = Number.isFinite(x) && Number.isFinite(y);
    xs[i] = finite ? toPixelX(x) : NaN;
    ys[i] = finite ? toPixelY(y) : NaN;
  }
  const decimated = decimateByColumn(xs, ys);
  drawPolyline(img, decimated.xs, decimated.ys, style.color, style.stroke);

  const inPlot = (x: number, y: number) => x >= plot.x && x < plot.x + plot.width && y >= plot.y && y < plot.y + plot.height;
  for (let i = 0; i < n; i++) {
    const x = xs[i]!, y = ys[i]!;
    if (!Number.isFinite(x) || !inPlot(x, y)) continue;
    // A point without a finite neighbour has no line through it: mark it or it would vanish.
    const isolated = !Number.isFinite(xs[i - 1] ?? NaN) && !Number.isFinite(xs[i + 1] ?? NaN);
    if (style.marker || isolated) drawMarker(img, x, y, style.color, style.marker ?? 'circle', style.markerSize);
  }
}

/**
 * Keeps, of each run of consecutive points that round to the same pixel column, only the first,
 * lowest, highest and last (M4 decimation): the drawn line covers the same pixels to within one,
 * and x-monotonic curves (epochs, precision–recall) shrink to about four points per column.
 * Non-finite points are kept, once per gap, as line breaks.
 */
function decimateByColumn(xs: Float64Array, ys: Float64Array): { xs: number[]; ys: number[] } {
  const outX: number[] = [], outY: number[] = [];
  const n = xs.length;
  let start = 0;
  while (start < n) {
    if (!Number.isFinite(xs[start]!)) {
      if (outX.length > 0 && Number.isFinite(outX[outX.length - 1]!)) {
        outX.push(NaN);
        outY.push(NaN);
      }
      start++;
      continue;
    }
    const column = Math.round(xs[start]!);
    let end = start, lowest = start, highest = start;
    while (end + 1 < n && Number.isFinite(xs[end + 1]!) && Math.round(xs[end + 1]!) === column) {
      end++;
      if (ys[end]! < ys[lowest]!) lowest = end;
      if (ys[end]! > ys[highest]!) highest = end;
    }
    for (const i of [...new Set([start, lowest, highest, end])].sort((a, b) => a - b)) {
      outX.push(xs[i]!);
      outY.push(ys[i]!);
    }
    start = end + 1;
  }
  return { xs: outX, ys: outY };
}

/** Draws the legend in whichever plot corner the series changed fewest pixels of. */
function drawLegend(
  img: Rgba,
  beforeSeries: Uint8Array,
  series: readonly ChartSeries[],
  styles: SeriesStyle[],
  plot: Rect,
  scale: number,
): void {
  const padding = 6 * scale, sampleLength = 28 * scale, gap = 6 * scale, rowHeight = textHeight(scale) + 4 * scale;
  const boxWidth = 2 * padding + sampleLength + gap + Math.max(...series.map((s) => textWidth(s.name, scale)));
  const boxHeight = 2 * padding + series.length * rowHeight - 4 * scale;
  const inset = 8 * scale;
  const lefts = [plot.x + plot.width - inset - boxWidth, plot.x + inset];
  const tops = [plot.y + inset, plot.y + plot.height - inset - boxHeight];
  // Preference order on ties: top right, top left, bottom right, bottom left.
  const corners: Rect[] = tops.flatMap((y) => lefts.map((x) => ({ x, y, width: boxWidth, height: boxHeight })));
  const box = corners.reduce((best, candidate) =>
    changedPixels(img, beforeSeries, candidate) < changedPixels(img, beforeSeries, best) ? candidate : best,
  );

  fillRect(img, box.x, box.y, box.width, box.height, WHITE, 0.85);
  strokeRect(img, box.x, box.y, box.width, box.height, LEGEND_BORDER, 1);
  series.forEach((s, i) => {
    const style = styles[i]!;
    const rowTop = box.y + padding + i * rowHeight;
    const lineY = rowTop + Math.round(3.5 * scale);
    const sampleLeft = box.x + padding;
    drawLine(img, sampleLeft, lineY, sampleLeft + sampleLength - 1, lineY, style.color, { ...style.stroke, clip: box });
    if (style.marker) drawMarker(img, sampleLeft + sampleLength / 2, lineY, style.color, style.marker, style.markerSize);
    drawText(img, sampleLeft + sampleLength + gap, rowTop, s.name, TEXT_COLOR, scale);
  });
}

function changedPixels(img: Rgba, before: Uint8Array, rect: Rect): number {
  let count = 0;
  for (let y = Math.max(0, rect.y); y < Math.min(img.height, rect.y + rect.height); y++) {
    for (let x = Math.max(0, rect.x); x < Math.min(img.width, rect.x + rect.width); x++) {
      const i = (y * img.width + x) * 4;
      if (img.data[i] !== before[i] || img.data[i + 1] !== before[i + 1] || img.data[i + 2] !== before[i + 2]) count++;
    }
  }
  return count;
}
