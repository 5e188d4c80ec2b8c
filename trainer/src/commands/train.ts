/** `tvunet train`: trains TV-UNet weights on real CT data and exports them in the library's format. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TvunetError } from '../../../src/errors.js';
import { validateUNetConfig, type UpsamplingKind } from '../../../src/model/config.js';
import { initNodeBackend, NODE_BACKENDS } from '../backends/node-backend.js';
import { choiceOption, numberOption, parseCommandArgs } from '../cli/args.js';
import { createProgress } from '../cli/progress.js';
import { prepareOutputFolder } from './common.js';
import { DEFAULT_AUGMENT } from '../data/augment.js';
import { CLASS_NAMES, loadDataSpec, parseDataSpec, type SampleRef } from '../data/datasets.js';
import { splitByGroup } from '../data/split.js';
import { LOSS_KINDS } from '../training/loss.js';
import { OPTIMIZERS } from '../training/optimizers.js';
import { exportModel, namedWeightsToTensors } from '../training/export.js';
import { loadTensors } from '../training/checkpoint.js';
import { train, type TrainOptions } from '../training/train-loop.js';
import { SliceCache } from '../data/slices.js';
import { encodePng } from '../io/image-files.js';
import { renderTrainingCurves } from '../report/training-curves.js';
import { loadModelFromPath } from '../../../src/io/node-fs.js';
import type { UNetWeights } from '../../../src/model/unet.js';

export const TRAIN_HELP = `tvunet train --data SPEC [--data SPEC…] --out DIR [options]

Trains a TV-UNet and writes checkpoints, log.jsonl, curves and the exported model into DIR.

Data specs:
  semiseg:DIR[,weight=W][,pseudo=W]   COVID-SemiSeg (doctor labels, multi-class masks; pseudo labels when pseudo>0)
  ma2020:DIR[,weight=W]               Ma et al. 256² slices (infection and lung masks, patients from slices.csv)
  pairs:IMAGES,masks=MASKS[,weight=W] images and binary masks paired by base name
  nifti:IMAGE.nii[.gz],masks=MASK.nii[.gz][,weight=W][,group=slice|NAME]
                                      CT volume + label volume of the same dims (MedSeg: tr_im.nii.gz +
                                      tr_mask.nii.gz), cut into axial slices; HU windowed to [-1250, 250].
                                      Mask values: 1 ground-glass, 2 consolidation, 3 pleural effusion
                                      (NOT infection); infection = any non-zero value except 3.
                                      Groups: by default the volume is one patient (nifti-<stem>);
                                      group=NAME names that patient; group=slice makes every slice its own
                                      group, for stacks of slices from many patients (MedSeg's tr_im is
                                      100 slices of ~40 patients). With group=slice, neighbouring slices
                                      of one patient can land in training and validation: validation
                                      scores are then optimistic (patient leakage).

Options:
  --size N            input side (default 256)         --depth N        pooling levels (4)
  --base N            first-level channels (8)          --upsampling K   transpose | bilinear
  --classes LIST      comma list of ${CLASS_NAMES.join(',')} (default all)
  --loss K            ${LOSS_KINDS.join(' | ')} (default bce+tv)
  --tv-lambda X       weight of the total-variation term (0.1)
  --pos-weight X      cross-entropy weight of foreground pixels (Eq. 1 weight map; default 1 = off)
  --border-weight X   extra cross-entropy weight on mask-boundary pixels (default 0 = off)
  --optimizer K       ${OPTIMIZERS.join(' | ')} (adam)     --lr X  learning rate (1e-3)
  --batch-size N (4)  --epochs N (40)  --steps-per-epoch N (200)  --max-steps N (no limit)
  --seed N (1)        --val-fraction X (0.2)  --test-fraction X (0)
  --lr-patience N (5) --early-stop N (10)     --no-augment
  --init DIR          start from an exported model (fine-tuning)
  --resume            continue from DIR/checkpoint.json
  --backend K         ${NODE_BACKENDS.join(' | ')} (auto)`;

/** No map when both weights are neutral, so the default loss is exactly the paper's Eq. 5. */
function weightMapOption(positive: number, border: number): TrainOptions['weightMap'] {
  return positive === 1 && border === 0 ? null : { positive, border };
}

export async function trainCommand(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs(argv, {
    data: { type: 'string', multiple: true }, out: { type: 'string' },
    size: { type: 'string' }, depth: { type: 'string' }, base: { type: 'string' }, upsampling: { type: 'string' },
    classes: { type: 'string' }, loss: { type: 'string' }, 'tv-lambda': { type: 'string' },
    'pos-weight': { type: 'string' }, 'border-weight': { type: 'string' },
    optimizer: { type: 'string' }, lr: { type: 'string' }, 'batch-size': { type: 'string' }, epochs: { type: 'string' },
    'steps-per-epoch': { type: 'string' }, 'max-steps': { type: 'string' }, seed: { type: 'string' },
    'val-fraction': { type: 'string' }, 'test-fraction': { type: 'string' }, 'lr-patience': { type: 'string' }, 'early-stop': { type: 'string' },
    'no-augment': { type: 'boolean' }, init: { type: 'string' }, resume: { type: 'boolean' }, backend: { type: 'string' },
  }, false);
  if (values.help) { console.log(TRAIN_HELP); return; }
  if (!values.data?.length) throw new TvunetError('INVALID_OPTIONS', 'train needs at least one --data SPEC (see tvunet train --help)');
  if (!values.out) throw new TvunetError('INVALID_OPTIONS', 'train needs --out DIR');
  const pos = (n: number) => Number.isInteger(n) && n > 0;
  const classes = (values.classes ?? CLASS_NAMES.join(',')).split(',');
  for (const c of classes) if (!(CLASS_NAMES as readonly string[]).includes(c)) throw new TvunetError('INVALID_OPTIONS', `--classes: unknown class "${c}"`);
  const config = validateUNetConfig({
    depth: numberOption('depth', values.depth, 4, pos), baseChannels: numberOption('base', values.base, 8, pos),
    inputSize: numberOption('size', values.size, 256, pos), inChannels: 1, outChannels: classes.length,
    upsampling: choiceOption<UpsamplingKind>('upsampling', values.upsampling, ['transpose', 'bilinear'], 'transpose'),
  });
  const specs = values.data.map(parseDataSpec);
  await prepareOutputFolder(values.out);
  const samples: SampleRef[] = [];
  const sourceWeights: Record<string, number> = {};
  for (const spec of specs) {
    const loaded = await loadDataSpec(spec);
    samples.push(...loaded.samples);
    Object.assign(sourceWeights, loaded.sourceWeights);
  }
  const seed = numberOption('seed', values.seed, 1, Number.isInteger);
  const split = splitByGroup(samples, {
    validation: numberOption('val-fraction', values['val-fraction'], 0.2, (n) => n >= 0 && n < 1),
    test: numberOption('test-fraction', values['test-fraction'], 0, (n) => n >= 0 && n < 1),
  }, seed);
  const backend = await initNodeBackend(choiceOption('backend', values.backend, NODE_BACKENDS, 'auto'));
  console.log(`backend: ${backend.backend} (${backend.reason})`);
  console.log(`data: ${samples.length} slices; train ${split.train.length}, validation ${split.validation.length}, test ${split.test.length} (split by patient, seed ${seed})`);
  const groups = (list: SampleRef[]) => [...new Set(list.map((s) => s.group))].sort();
  await writeFile(join(values.out, 'split.json'), JSON.stringify({
    seed, specs,
    train: { groups: groups(split.train), ids: split.train.map((s) => s.id) },
    validation: { groups: groups(split.validation), ids: split.validation.map((s) => s.id) },
    test: { groups: groups(split.test), ids: split.test.map((s) => s.id) },
  }, null, 1));

  let init: UNetWeights | null = null;
  if (values.init) {
    const loaded = await loadModelFromPath(values.init);
    if (JSON.stringify(loaded.manifest.architecture) !== JSON.stringify(config)) {
      throw new TvunetError('INVALID_OPTIONS', `--init ${values.init}: its architecture ${JSON.stringify(loaded.manifest.architecture)} differs from the requested ${JSON.stringify(config)}`);
    }
    init = namedWeightsToTensors(loaded.weights);
  }
  const epochs = numberOption('epochs', values.epochs, 40, pos);
  const stepsPerEpoch = numberOption('steps-per-epoch', values['steps-per-epoch'], 200, pos);
  const progress = createProgress(`train`, stepsPerEpoch);
  const trainOptions: TrainOptions = {
    outDir: values.out, config, classes,
    loss: choiceOption('loss', values.loss, LOSS_KINDS, 'bce+tv'),
    tvLambda: numberOption('tv-lambda', values['tv-lambda'], 0.1, (n) => n >= 0),
    weightMap: weightMapOption(numberOption('pos-weight', values['pos-weight'], 1, (n) => n > 0), numberOption('border-weight', values['border-weight'], 0, (n) => n >= 0)),
    optimizer: choiceOption('optimizer', values.optimizer, OPTIMIZERS, 'adam'),
    lr: numberOption('lr', values.lr, 1e-3, (n) => n > 0),
    batchSize: numberOption('batch-size', values['batch-size'], 4, pos),
    epochs, stepsPerEpoch, seed,
    lrPatience: numberOption('lr-patience', values['lr-patience'], 5, pos), lrDecay: 0.5,
    earlyStopPatience: numberOption('early-stop', values['early-stop'], 10, pos),
    augment: values['no-augment'] ? null : DEFAULT_AUGMENT,
    sourceWeights, resume: values.resume ?? false, init,
    maxSteps: numberOption('max-steps', values['max-steps'], Infinity, pos),
    onProgress: (p) => progress.update(p.step, { label: `epoch ${p.epoch}/${epochs}`, info: `loss ${p.loss.toFixed(4)} · ${p.secondsPerStep.toFixed(2)} s/step` }),
  };
  const result = await train(split, trainOptions);
  progress.stop();
  const last = result.logs[result.logs.length - 1];
  for (const [name, img] of Object.entries(renderTrainingCurves(result.logs, classes))) {
    await writeFile(join(values.out, `curve-${name}.png`), encodePng(img.width, img.height, img.data));
  }
  const best = await loadTensors(values.out, 'best');
  const exported = await exportModel({
    dir: join(values.out, 'model'), name: `tvunet-${trainOptions.loss}`, config, classes,
    weights: new Map(best.tensors.map((t) => [t.name, { shape: t.shape, data: t.data }])),
    validation: split.validation, cache: new SliceCache(config.inputSize, classes),
    provenance: {
      data: specs, split: { seed, groups: { train: groups(split.train), validation: groups(split.validation), test: groups(split.test) }, counts: { train: split.train.length, validation: split.validation.length, test: split.test.length } },
      training: {
        loss: trainOptions.loss, tvLambda: trainOptions.tvLambda, weightMap: trainOptions.weightMap ?? null, optimizer: trainOptions.optimizer, lr: trainOptions.lr, batchSize: trainOptions.batchSize,
        epochs: result.logs.length, bestEpoch: result.bestEpoch, steps: result.steps, stepsPerEpoch, seed, augment: trainOptions.augment,
        backend: backend.backend, date: new Date().toISOString(),
        // Over all epochs, resumed runs included (epoch time covers its steps and its validation).
        trainingSeconds: result.logs.reduce((a, l) => a + l.seconds, 0),
        secondsPerStepThisProcess: Number.isFinite(result.secondsPerStep) ? result.secondsPerStep : null,
        initFrom: values.init ?? null,
      },
    },
  });
  for (const v of exported.validation) {
    console.log(`validation ${v.name}: threshold ${v.threshold}, source-balanced mean Dice ${v.sourceBalancedDice.toFixed(4)} over ${v.n} slices`);
  }
  console.log(`exported ${join(values.out, 'model')}/{float32,float16,uint8}: ${Object.entries(exported.variantBytes).map(([k, b]) => `${k} ${(b / 1024).toFixed(0)} KiB`).join(', ')}`);
  console.log(`trained ${result.steps} steps (${result.secondsPerStep.toFixed(2)} s/step on ${backend.backend}); best epoch ${result.bestEpoch}${result.stoppedEarly ? ', stopped early' : ''}; last validation loss ${last?.validation?.loss.toFixed(4) ?? 'n/a'}`);
}
