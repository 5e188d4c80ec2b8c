/**
 * Connected-component labelling by runs: each row's foreground is cut into runs (maximal spans of
 * consecutive voxels along x), a run is joined to the overlapping runs of the rows visited before
 * it (union-find over runs, not voxels), and labels, sizes and component statistics are then
 * computed per run. A CT mask has a few runs per row against hundreds of voxels, so the per-voxel
 * work is one scan of the mask and, where labels are needed, one fill per run.
 * @internal
 */
import type { Grid } from './dims.js';

/** Neighbourhood as the largest |dx| + |dy| + |dz| of a neighbour: 1 faces, 2 also edges, 3 also corners. */
export type Reach = 1 | 2 | 3;

/** The runs of a mask and the component each belongs to. */
export interface RunLabels {
  readonly grid: Grid;
  /** Number of runs. */
  readonly runs: number;
  /** Per run: first and last x (inclusive) and row (y + height × z). Only the first `runs` entries are used. */
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly row: Int32Array;
  /** Runs of row r are rowFirst[r] .. rowFirst[r + 1] - 1 (runs are in raster order). */
  readonly rowFirst: Int32Array;
  /** Per run: its component, 1..count, numbered in raster order of the components' first voxels. */
  readonly label: Int32Array;
  readonly count: number;
}

/** Root of `a` with path halving. */
function findRoot(parent: Int32Array, a: number): number {
  let node = a;
  while (parent[node] !== node) {
    const grandparent = parent[parent[node]!]!;
    parent[node] = grandparent;
    node = grandparent;
  }
  return node;
}

function grown(a: Int32Array, length: number): Int32Array {
  const b = new Int32Array(length);
  b.set(a);
  return b;
}

/**
 * Labels the runs of voxels that are non-zero in `mask` (or zero, with `background`), connected
 * within `reach`. Components are numbered as skimage.measure.label numbers them.
 */
export function labelRuns(mask: Uint8Array, grid: Grid, reach: Reach, background = false): RunLabels {
  const { width, height, depth } = grid;
  const rows = height * depth;
  let start: Int32Array = new Int32Array(1024), end: Int32Array = new Int32Array(1024);
  let row: Int32Array = new Int32Array(1024), parent: Int32Array = new Int32Array(1024);
  const rowFirst = new Int32Array(rows + 1);
  let runs = 0;

  /**
   * Joins the runs of row `r` to those of the earlier row `other` that overlap them, each run
   * widened by `slack` (1 when diagonal neighbours along x connect, else 0). Both lists are sorted
   * by x, so one merge visits each pair that can overlap.
   */
  const joinRows = (r: number, other: number, slack: number) => {
    let i = rowFirst[r]!, j = rowFirst[other]!;
    const iEnd = rowFirst[r + 1]!, jEnd = rowFirst[other + 1]!;
    while (i < iEnd && j < jEnd) {
      if (start[i]! <= end[j]! + slack && start[j]! <= end[i]! + slack) {
        // Union by smallest root: each root stays its set's first run in raster order.
        const a = findRoot(parent, i), b = findRoot(parent, j);
        if (a < b) parent[b] = a;
        else if (b < a) parent[a] = b;
      }
      if (end[i]! < end[j]!) i++;
      else j++;
    }
  };
  const slackSameSlice = reach >= 2 ? 1 : 0; // (y - 1, z): an x step makes it an edge neighbour
  const slackDiagonal = reach === 3 ? 1 : 0; // (y ± 1, z - 1): already an edge; an x step makes it a corner

  for (let z = 0, r = 0; z < depth; z++) {
    for (let y = 0; y < height; y++, r++) {
      rowFirst[r] = runs;
      const offset = r * width;
      let x = 0;
      while (x < width) {
        if (background) while (x < width && mask[offset + x] !== 0) x++;
        else while (x < width && mask[offset + x] === 0) x++;
        if (x === width) break;
        const first = x;
        if (background) while (x < width && mask[offset + x] === 0) x++;
        else while (x < width && mask[offset + x] !== 0) x++;
        if (runs === start.length) {
          const n = runs * 2;
          [start, end, row, parent] = [grown(start, n), grown(end, n), grown(row, n), grown(parent, n)];
        }
        start[runs] = first;
        end[runs] = x - 1;
        row[runs] = r;
        parent[runs] = runs;
        runs++;
      }
      rowFirst[r + 1] = runs;
      if (runs === rowFirst[r]) continue;
      if (y > 0) joinRows(r, r - 1, slackSameSlice);
      if (z > 0) {
        joinRows(r, r - height, slackSameSlice);
        if (reach >= 2) {
          if (y > 0) joinRows(r, r - height - 1, slackDiagonal);
          if (y < height - 1) joinRows(r, r - height + 1, slackDiagonal);
        }
      }
    }
  }

  // Roots are created in raster order, so numbering them in increasing order numbers components
  // by their first voxel.
  const label = new Int32Array(runs);
  let count = 0;
  for (let k = 0; k < runs; k++) {
    const root = findRoot(parent, k);
    label[k] = root === k ? ++count : label[root]!;
  }
  return { grid, runs, start, end, row, rowFirst, label, count };
}

/** Calls `visit(run, first voxel index, last voxel index + 1)` for every run. */
export function forEachRun(r: RunLabels, visit: (run: number, from: number, to: number) => void): void {
  const { width } = r.grid;
  for (let k = 0; k < r.runs; k++) {
    const offset = r.row[k]! * width;
    visit(k, offset + r.start[k]!, offset + r.end[k]! + 1);
  }
}

/** The label image: 0 outside the runs, each run's label inside. New array, caller's. */
export function paintLabels(r: RunLabels): Int32Array {
  const { width, height, depth } = r.grid;
  const labels = new Int32Array(width * height * depth);
  forEachRun(r, (k, from, to) => labels.fill(r.label[k]!, from, to));
  return labels;
}

/** A 0/1 mask of the runs whose label is set in `keep`. New array, caller's. */
export function paintKept(r: RunLabels, keep: Uint8Array): Uint8Array {
  const { width, height, depth } = r.grid;
  const out = new Uint8Array(width * height * depth);
  forEachRun(r, (k, from, to) => {
    if (keep[r.label[k]!] !== 0) out.fill(1, from, to);
  });
  return out;
}

/** Voxels per label (index 0 unused). */
export function runLabelSizes(r: RunLabels): Float64Array {
  const sizes = new Float64Array(r.count + 1);
  for (let k = 0; k < r.runs; k++) sizes[r.label[k]!] = sizes[r.label[k]!]! + r.end[k]! - r.start[k]! + 1;
  return sizes;
}

/**
 * Calls `visit(run of a, run of b, voxels in common)` for every pair of runs that share voxels;
 * `a` and `b` must be runs of masks on the same grid.
 */
export function forEachOverlap(a: RunLabels, b: RunLabels, visit: (runA: number, runB: number, voxels: number) => void): void {
  const rows = a.rowFirst.length - 1;
  for (let r = 0; r < rows; r++) {
    let i = a.rowFirst[r]!, j = b.rowFirst[r]!;
    const iEnd = a.rowFirst[r + 1]!, jEnd = b.rowFirst[r + 1]!;
    while (i < iEnd && j < jEnd) {
      const common = Math.min(a.end[i]!, b.end[j]!) - Math.max(a.start[i]!, b.start[j]!) + 1;
      if (common > 0) visit(i, j, common);
      if (a.end[i]! < b.end[j]!) i++;
      else j++;
    }
  }
}
