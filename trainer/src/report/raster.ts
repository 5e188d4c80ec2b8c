/**
 * Minimal software rasteriser for the CLI's pictures: opaque RGBA images, lines, rectangles,
 * polylines and markers, in pure TypeScript so reports need no canvas or native modules.
 * Coordinates are pixel centres; fractional coordinates are rounded to the nearest pixel.
 */

/** An RGB colour, each channel 0…255. */
export type Rgb = readonly [number, number, number];

/** An RGBA image, row-major, 4 bytes a pixel; the renderers here always leave alpha at 255. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** An axis-aligned pixel rectangle: columns x…x+width-1, rows y…y+height-1. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How lines are stroked. */
export interface StrokeStyle {
  /** Brush size in pixels (a square brush); default 1. */
  thickness?: number;
  /** Dash pattern [on, off] in pixels along the line; solid when absent. */
  dash?: readonly [number, number];
  /** Only pixels inside this rectangle (and the image) are drawn. */
  clip?: Rect;
}

/** Marker shapes for data points. */
export type MarkerShape = 'square' | 'circle';

/** An opaque `width`×`height` image filled with `background` (white by default). */
export function createImage(width: number, height: number, background: Rgb = [255, 255, 255]): Rgba {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = background[0];
    data[i + 1] = background[1];
    data[i + 2] = background[2];
    data[i + 3] = 255;
  }
  return { width, height, data };
}

/** Sets one pixel to `color`; coordinates outside the image are ignored. */
export function setPixel(img: Rgba, x: number, y: number, color: Rgb): void {
  blendPixel(img, x, y, color, 1);
}

/**
 * Blends `color` over one pixel: each channel becomes round(alpha·color + (1 − alpha)·old).
 * Coordinates outside the image are ignored; alpha is clamped to [0, 1].
 */
export function blendPixel(img: Rgba, x: number, y: number, color: Rgb, alpha: number): void {
  const px = Math.round(x), py = Math.round(y);
  if (px < 0 || py < 0 || px >= img.width || py >= img.height) return;
  const a = Math.min(1, Math.max(0, alpha));
  const i = (py * img.width + px) * 4;
  const d = img.data;
  d[i] = Math.round(a * color[0] + (1 - a) * d[i]!);
  d[i + 1] = Math.round(a * color[1] + (1 - a) * d[i + 1]!);
  d[i + 2] = Math.round(a * color[2] + (1 - a) * d[i + 2]!);
  d[i + 3] = 255;
}

/** Fills (or with `alpha` < 1, tints) the rectangle at (x, y) of size w×h, clipped to the image. */
export function fillRect(img: Rgba, x: number, y: number, w: number, h: number, color: Rgb, alpha = 1): void {
  const x0 = Math.max(0, Math.round(x)), y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(img.width, Math.round(x) + Math.round(w)), y1 = Math.min(img.height, Math.round(y) + Math.round(h));
  for (let py = y0; py < y1; py++) for (let px = x0; px < x1; px++) blendPixel(img, px, py, color, alpha);
}

/** Outlines the rectangle at (x, y) of size w×h with lines `thickness` pixels wide, drawn inward. */
export function strokeRect(img: Rgba, x: number, y: number, w: number, h: number, color: Rgb, thickness = 1): void {
  fillRect(img, x, y, w, thickness, color);
  fillRect(img, x, y + h - thickness, w, thickness, color);
  fillRect(img, x, y, thickness, h, color);
  fillRect(img, x + w - thickness, y, thickness, h, color);
}

/** Draws a line from (x0, y0) to (x1, y1) (Bresenham, square brush); non-finite ends draw nothing. */
export function drawLine(img: Rgba, x0: number, y0: number, x1: number, y1: number, color: Rgb, style: StrokeStyle = {}): void {
  if (![x0, y0, x1, y1].every(Number.isFinite)) return;
  new Stroker(img, color, style).segment(x0, y0, x1, y1);
}

/**
 * Draws the connected line through points (xs[i], ys[i]). A non-finite coordinate is a gap: the
 * line stops there and resumes at the next finite point. Dashes run on across vertices.
 */
export function drawPolyline(img: Rgba, xs: ArrayLike<number>, ys: ArrayLike<number>, color: Rgb, style: StrokeStyle = {}): void {
  const stroker = new Stroker(img, color, style);
  const n = Math.min(xs.length, ys.length);
  let hasPrevious = false, previousX = 0, previousY = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i]!, y = ys[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      hasPrevious = false;
      continue;
    }
    if (hasPrevious) stroker.segment(previousX, previousY, x, y);
    hasPrevious = true;
    previousX = x;
    previousY = y;
  }
}

/** Draws a filled marker of diameter `size` pixels centred on (x, y). */
export function drawMarker(img: Rgba, x: number, y: number, color: Rgb, shape: MarkerShape = 'square', size = 5): void {
  const cx = Math.round(x), cy = Math.round(y);
  const radius = size / 2;
  const lo = -Math.floor((size - 1) / 2), hi = Math.ceil((size - 1) / 2);
  for (let dy = lo; dy <= hi; dy++) {
    for (let dx = lo; dx <= hi; dx++) {
      if (shape === 'circle' && dx * dx + dy * dy > radius * radius) continue;
      setPixel(img, cx + dx, cy + dy, color);
    }
  }
}

/**
 * Parametric range [t0, t1] ⊆ [0, 1] of the segment inside the box (Liang–Barsky), or null when
 * it misses; lets far-off points (outside a chart's range) be drawn without walking every pixel.
 */
function clipSegment(
  x0: number, y0: number, x1: number, y1: number,
  minX: number, minY: number, maxX: number, maxY: number,
): [number, number] | null {
  const dx = x1 - x0, dy = y1 - y0;
  let t0 = 0, t1 = 1;
  const edges: Array<[number, number]> = [[-dx, x0 - minX], [dx, maxX - x0], [-dy, y0 - minY], [dy, maxY - y0]];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return null;
      continue;
    }
    const r = q / p;
    if (p < 0) {
      if (r > t1) return null;
      if (r > t0) t0 = r;
    } else {
      if (r < t0) return null;
      if (r < t1) t1 = r;
    }
  }
  return [t0, t1];
}

/** Strokes successive segments with one brush, clip box and running dash phase. */
class Stroker {
  private readonly thickness: number;
  private readonly brushOffset: number;
  private readonly minX: number;
  private readonly minY: number;
  private readonly maxX: number;
  private readonly maxY: number;
  /** Distance drawn so far, in pixels, which decides where in the dash pattern the next pixel is. */
  private dashPhase = 0;

  constructor(private readonly img: Rgba, private readonly color: Rgb, private readonly style: StrokeStyle) {
    this.thickness = Math.max(1, Math.round(style.thickness ?? 1));
    this.brushOffset = Math.floor((this.thickness - 1) / 2);
    const clip = style.clip ?? { x: 0, y: 0, width: img.width, height: img.height };
    this.minX = Math.max(0, clip.x);
    this.minY = Math.max(0, clip.y);
    this.maxX = Math.min(img.width, clip.x + clip.width) - 1;
    this.maxY = Math.min(img.height, clip.y + clip.height) - 1;
  }

  segment(x0: number, y0: number, x1: number, y1: number): void {
    const length = Math.hypot(x1 - x0, y1 - y0);
    const startPhase = this.dashPhase;
    this.dashPhase += length;
    const margin = this.thickness + 1;
    const range = clipSegment(x0, y0, x1, y1, this.minX - margin, this.minY - margin, this.maxX + margin, this.maxY + margin);
    if (!range) return;
    const [t0, t1] = range;
    let x = Math.round(x0 + t0 * (x1 - x0)), y = Math.round(y0 + t0 * (y1 - y0));
    const endX = Math.round(x0 + t1 * (x1 - x0)), endY = Math.round(y0 + t1 * (y1 - y0));
    const dx = Math.abs(endX - x), dy = -Math.abs(endY - y);
    const stepX = x < endX ? 1 : -1, stepY = y < endY ? 1 : -1;
    const steps = Math.max(dx, -dy);
    const stepLength = steps > 0 ? ((t1 - t0) * length) / steps : 0;
    let phase = startPhase + t0 * length;
    let error = dx + dy;
    for (;;) {
      if (this.dashOn(phase)) this.brush(x, y);
      if (x === endX && y === endY) break;
      const doubled = 2 * error;
      if (doubled >= dy) {
        error += dy;
        x += stepX;
      }
      if (doubled <= dx) {
        error += dx;
        y += stepY;
      }
      phase += stepLength;
    }
  }

  private dashOn(phase: number): boolean {
    const dash = this.style.dash;
    if (!dash) return true;
    return phase % (dash[0] + dash[1]) < dash[0];
  }

  private brush(x: number, y: number): void {
    const left = x - this.brushOffset, top = y - this.brushOffset;
    for (let py = Math.max(top, this.minY); py < top + this.thickness && py <= this.maxY; py++) {
      for (let px = Math.max(left, this.minX); px < left + this.thickness && px <= this.maxX; px++) {
        setPixel(this.img, px, py, this.color);
      }
    }
  }
}
