"""Reference outputs for test/node/metrics.test.ts, from scikit-learn, SciPy and numpy.

Usage: metrics_reference.py DIR. DIR/cases.json holds {"cases": [...]}; each case names its
input files in DIR (uint8 masks, float32/float64 scores), an op and its parameters. Array outputs
go to DIR/<id>.<name>.bin as float64; scalars are printed as JSON by case id.
"""
import json
import os
import sys
import warnings

import numpy as np
from scipy import ndimage, spatial, stats
from sklearn import metrics


def load(directory, name, dtype="uint8"):
    return np.fromfile(os.path.join(directory, name), dtype=np.dtype(dtype))


def save(directory, case_id, suffix, array):
    np.ascontiguousarray(array, dtype=np.float64).tofile(os.path.join(directory, f"{case_id}.{suffix}.bin"))


def counts(pred, truth):
    tn, fp, fn, tp = metrics.confusion_matrix(truth, pred, labels=[0, 1]).ravel()
    return {"tp": int(tp), "fp": int(fp), "fn": int(fn), "tn": int(tn)}


def safe_ratio(num, den, c):
    # The library's convention: nothing to measure -> 1 if the masks are identical, else 0.
    if den == 0:
        return 1.0 if c["fp"] == 0 and c["fn"] == 0 else 0.0
    return num / den


def summary(c):
    tp, fp, fn, tn = c["tp"], c["fp"], c["fn"], c["tn"]
    return {
        "precision": safe_ratio(tp, tp + fp, c),
        "recall": safe_ratio(tp, tp + fn, c),
        "specificity": safe_ratio(tn, tn + fp, c),
        "dice": safe_ratio(2 * tp, 2 * tp + fp + fn, c),
        "iou": safe_ratio(tp, tp + fp + fn, c),
        "meanIoU": (safe_ratio(tp, tp + fp + fn, c) + safe_ratio(tn, tn + fp + fn, c)) / 2,
    }


def wilson(successes, trials, z):
    # Wilson (1927): (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n).
    if trials == 0:
        return [0.0, 1.0]
    p = successes / trials
    centre = p + z * z / (2 * trials)
    spread = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return [max(0.0, (centre - spread) / (1 + z * z / trials)), min(1.0, (centre + spread) / (1 + z * z / trials))]


def surface(mask):
    # MedPy's hd95 surface: mask minus its erosion by the cross, border pixels counting as eroded.
    cross = ndimage.generate_binary_structure(mask.ndim, 1)
    return mask & ~ndimage.binary_erosion(mask, structure=cross, border_value=0)


def run(case, directory):
    op = case["op"]
    if op == "confusion":
        pred = (load(directory, case["pred"]) != 0).astype(np.uint8)
        truth = (load(directory, case["truth"]) != 0).astype(np.uint8)
        kw = {"zero_division": 0}
        return {
            "counts": counts(pred, truth),
            "precision": metrics.precision_score(truth, pred, **kw),
            "recall": metrics.recall_score(truth, pred, **kw),
            "specificity": metrics.recall_score(truth, pred, pos_label=0, **kw),
            "dice": metrics.f1_score(truth, pred, **kw),
            "iou": metrics.jaccard_score(truth, pred, **kw),
            "meanIoU": metrics.jaccard_score(truth, pred, average="macro", labels=[0, 1], **kw),
        }
    if op == "pr":
        scores = np.concatenate([load(directory, f, case["dtype"]) for f in case["probs"]])
        truth = np.concatenate([load(directory, f) for f in case["truths"]]) != 0
        precision, recall, thresholds = metrics.precision_recall_curve(truth, scores)
        save(directory, case["id"], "precision", precision)
        save(directory, case["id"], "recall", recall)
        save(directory, case["id"], "thresholds", thresholds)
        return {"ap": float(metrics.average_precision_score(truth, scores))}
    if op == "sweep":
        # Compare in float64, as JavaScript does (numpy would round t to float32 for float32 scores).
        scores = [load(directory, f, case["dtype"]).astype(np.float64) for f in case["probs"]]
        truths = [load(directory, f) != 0 for f in case["truths"]]
        z = stats.norm.ppf(0.975)
        out = []
        for t in case["thresholds"]:
            per_image = [counts((s >= t).astype(np.uint8), m.astype(np.uint8)) for s, m in zip(scores, truths)]
            pooled = {k: sum(c[k] for c in per_image) for k in ("tp", "fp", "fn", "tn")}
            summaries = [summary(c) for c in per_image]
            out.append({
                "counts": pooled,
                "pooled": summary(pooled),
                "meanPerImage": {k: float(np.mean([s[k] for s in summaries])) for k in summaries[0]},
                "recallCi95": wilson(pooled["tp"], pooled["tp"] + pooled["fn"], z),
            })
        return {"thresholds": out}
    if op == "hd95":
        shape = case["shape"]
        pred = load(directory, case["pred"]).reshape(shape) != 0
        truth = load(directory, case["truth"]).reshape(shape) != 0
        spacing = np.array(case["spacing"][::-1], dtype=np.float64)  # numpy axis order
        a = np.argwhere(surface(pred)) * spacing
        b = np.argwhere(surface(truth)) * spacing
        to_b = spatial.cKDTree(b).query(a)[0]
        to_a = spatial.cKDTree(a).query(b)[0]
        return {"hd95": float(np.percentile(np.hstack((to_b, to_a)), 95))}
    raise ValueError(f"unknown op {op}")


def main():
    directory = sys.argv[1]
    with open(os.path.join(directory, "cases.json")) as f:
        cases = json.load(f)["cases"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on ill-defined cases; tests cover those
        results = {case["id"]: run(case, directory) for case in cases}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
