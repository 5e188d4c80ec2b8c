/**
 * A built-in 5×7 bitmap font (printable ASCII 32–126) for chart and overlay labels, so pictures
 * need no canvas or font files. Glyphs sit in a 5×9 cell: rows 0–6 reach the baseline, rows 7–8
 * hold descenders (g, j, p, q, y, comma…). Each character advances 6 cells.
 */
import { setPixel, type Rgb, type Rgba } from './raster.js';

/** Glyph width in font pixels. */
const GLYPH_WIDTH = 5;
/** Glyph cell height in font pixels, descenders included. */
const GLYPH_HEIGHT = 9;
/** Horizontal distance between the starts of consecutive characters, in font pixels. */
const ADVANCE = GLYPH_WIDTH + 1;

/**
 * Glyph bitmaps: rows top to bottom, separated by spaces, '#' = ink. Rows left out at the bottom
 * are blank. Characters outside this table are drawn as '?'.
 */
const GLYPH_ROWS: Record<string, string> = {
  ' ': '',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
  '"': '.#.#. .#.#. .#.#.',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
  $: '..#.. .#### #.#.. .###. ..#.# ####. ..#..',
  '%': '##... ##..# ...#. ..#.. .#... #..## ...##',
  '&': '.##.. #..#. #.#.. .#... #.#.# #..#. .##.#',
  "'": '..#.. ..#.. .#...',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '*': '..... ..#.. #.#.# .###. #.#.# ..#.. .....',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  ',': '..... ..... ..... ..... ..... .##.. ..#.. .#...',
  '-': '..... ..... ..... ##### ..... ..... .....',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  '/': '..... ....# ...#. ..#.. .#... #.... .....',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  ';': '..... .##.. .##.. ..... .##.. .##.. ..#.. .#...',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#.',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#...',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
  '@': '.###. #...# ....# .##.# #.#.# #.#.# .###.',
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '###.. #..#. #...# #...# #...# #..#. ###..',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  '[': '.###. .#... .#... .#... .#... .#... .###.',
  '\\': '..... #.... .#... ..#.. ...#. ....# .....',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###.',
  '^': '..#.. .#.#. #...#',
  _: '..... ..... ..... ..... ..... ..... ..... #####',
  '`': '.#... ..#.. ...#.',
  a: '..... ..... .###. ....# .#### #...# .####',
  b: '#.... #.... #.##. ##..# #...# #...# ####.',
  c: '..... ..... .###. #.... #.... #...# .###.',
  d: '....# ....# .##.# #..## #...# #...# .####',
  e: '..... ..... .###. #...# ##### #.... .###.',
  f: '..##. .#..# .#... ###.. .#... .#... .#...',
  g: '..... ..... .#### #...# #...# #...# .#### ....# .###.',
  h: '#.... #.... #.##. ##..# #...# #...# #...#',
  i: '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.',
  j: '...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..',
  k: '#.... #.... #..#. #.#.. ##... #.#.. #..#.',
  l: '.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  m: '..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#',
  n: '..... ..... #.##. ##..# #...# #...# #...#',
  o: '..... ..... .###. #...# #...# #...# .###.',
  p: '..... ..... ####. #...# #...# #...# ####. #.... #....',
  q: '..... ..... .#### #...# #...# #...# .#### ....# ....#',
  r: '..... ..... #.##. ##..# #.... #.... #....',
  s: '..... ..... .#### #.... .###. ....# ####.',
  t: '.#... .#... ###.. .#... .#... .#..# ..##.',
  u: '..... ..... #...# #...# #...# #..## .##.#',
  v: '..... ..... #...# #...# #...# .#.#. ..#..',
  w: '..... ..... #...# #...# #.#.# #.#.# .#.#.',
  x: '..... ..... #...# .#.#. ..#.. .#.#. #...#',
  y: '..... ..... #...# #...# #...# #...# .#### ....# .###.',
  z: '..... ..... ##### ...#. ..#.. .#... #####',
  '{': '...#. ..#.. ..#.. .#... ..#.. ..#.. ...#.',
  '|': '..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  '}': '.#... ..#.. ..#.. ...#. ..#.. ..#.. .#...',
  '~': '..... ..... .#... #.#.# ...#.',
};

/** Each glyph as a 5×9 ink bitmap (row-major, 1 = ink), parsed once from {@link GLYPH_ROWS}. */
const GLYPHS: ReadonlyMap<string, Uint8Array> = new Map(
  Object.entries(GLYPH_ROWS).map(([char, rows]) => {
    const bitmap = new Uint8Array(GLYPH_WIDTH * GLYPH_HEIGHT);
    rows
      .split(' ')
      .filter((row) => row.length > 0)
      .forEach((row, y) => {
        for (let x = 0; x < GLYPH_WIDTH; x++) bitmap[y * GLYPH_WIDTH + x] = row[x] === '#' ? 1 : 0;
      });
    return [char, bitmap];
  }),
);

function glyphFor(char: string): Uint8Array {
  return GLYPHS.get(char) ?? GLYPHS.get('?')!;
}

/** Width in pixels of `text` drawn at `scale` (no trailing gap after the last character). */
export function textWidth(text: string, scale = 1): number {
  const length = [...text].length;
  return length === 0 ? 0 : (length * ADVANCE - 1) * scale;
}

/** Height in pixels of a line of text at `scale`, descenders included. */
export function textHeight(scale = 1): number {
  return GLYPH_HEIGHT * scale;
}

/**
 * Draws `text` with its top-left corner at (x, y), each font pixel a `scale`×`scale` block.
 * Pixels outside the image are skipped.
 */
export function drawText(img: Rgba, x: number, y: number, text: string, color: Rgb, scale = 1): void {
  drawGlyphs(img, text, color, scale, (gx, gy, offset) => [x + offset + gx, y + gy]);
}

/**
 * Draws `text` rotated 90° anticlockwise (reading bottom to top, as on a y axis), so that it
 * occupies the box from (x, y) of width {@link textHeight} and height {@link textWidth}.
 */
export function drawTextVertical(img: Rgba, x: number, y: number, text: string, color: Rgb, scale = 1): void {
  const bottom = y + textWidth(text, scale) - 1;
  drawGlyphs(img, text, color, scale, (gx, gy, offset) => [x + gy, bottom - offset - gx]);
}

/**
 * Walks the ink of every glyph at `scale`; `place` maps a pixel at (gx, gy) inside a glyph whose
 * unrotated left edge is `offset` pixels along the line to image coordinates.
 */
function drawGlyphs(
  img: Rgba,
  text: string,
  color: Rgb,
  scale: number,
  place: (gx: number, gy: number, offset: number) => [number, number],
): void {
  let offset = 0;
  for (const char of text) {
    const bitmap = glyphFor(char);
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (bitmap[row * GLYPH_WIDTH + col] === 0) continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const [px, py] = place(col * scale + dx, row * scale + dy, offset);
            setPixel(img, px, py, color);
          }
        }
      }
    }
    offset += ADVANCE * scale;
  }
}
