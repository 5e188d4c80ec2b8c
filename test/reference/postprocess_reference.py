"""Reference outputs for test/node/postprocess.test.ts, from scikit-image and SciPy.

Usage: postprocess_reference.py DIR. DIR/cases.json holds {"cases": [...]}; each case names a
uint8 input file in DIR, its numpy shape ([height, width] or [depth, height, width]), an op and
its parameters. Array outputs go to DIR/<id>.<name>.bin; scalars are printed as JSON by case id.
"""
import json
import os
import sys

import numpy as np
from scipy import ndimage
from skimage import measure, morphology


def load(directory, name, shape):
    return np.fromfile(os.path.join(directory, name), dtype=np.uint8).reshape(shape)


def save(directory, case_id, suffix, array):
    np.ascontiguousarray(array).tofile(os.path.join(directory, f"{case_id}.{suffix}.bin"))


def run(case, directory):
    mask = load(directory, case["input"], case["shape"]) != 0
    op = case["op"]
    # Connectivity as a number of orthogonal steps (1 = face neighbours ... ndim = full), as skimage.
    steps = case.get("steps")
    if op == "label":
        labels, count = measure.label(mask, connectivity=steps, background=0, return_num=True)
        save(directory, case["id"], "labels", labels.astype(np.int32))
        sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
        # Per component, in our axis order (x, y[, z]) = reversed numpy axes; bbox max inclusive.
        boxes = ndimage.find_objects(labels)
        centroids = ndimage.center_of_mass(mask, labels, range(1, count + 1))
        return {
            "count": int(count),
            "sizes": sizes.tolist(),
            "bboxMin": [[s.start for s in reversed(box)] for box in boxes],
            "bboxMax": [[s.stop - 1 for s in reversed(box)] for box in boxes],
            "centroids": [list(reversed([float(v) for v in c])) for c in centroids],
        }
    if op == "remove_small":
        out = morphology.remove_small_objects(mask, min_size=case["min_size"], connectivity=steps)
        save(directory, case["id"], "mask", out.astype(np.uint8))
        return {}
    if op == "keep_largest":
        labels, count = measure.label(mask, connectivity=steps, background=0, return_num=True)
        sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
        # Largest first; a stable sort keeps lower (earlier) labels first among equal sizes.
        order = np.argsort(-sizes, kind="stable")[: case["k"]] + 1
        save(directory, case["id"], "mask", np.isin(labels, order).astype(np.uint8))
        return {}
    if op == "fill_holes":
        structure = ndimage.generate_binary_structure(mask.ndim, steps)
        save(directory, case["id"], "mask", ndimage.binary_fill_holes(mask, structure=structure).astype(np.uint8))
        return {}
    if op == "fill_holes_slices":
        structure = ndimage.generate_binary_structure(2, steps)
        out = np.stack([ndimage.binary_fill_holes(s, structure=structure) for s in mask])
        save(directory, case["id"], "mask", out.astype(np.uint8))
        return {}
    raise ValueError(f"unknown op {op}")


def main():
    directory = sys.argv[1]
    with open(os.path.join(directory, "cases.json")) as f:
        cases = json.load(f)["cases"]
    json.dump({case["id"]: run(case, directory) for case in cases}, sys.stdout)


if __name__ == "__main__":
    main()
