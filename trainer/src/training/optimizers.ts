/** The optimisers of the paper's Table III, and access to their learning rate for the schedule. */
import * as tf from '@tensorflow/tfjs-core';
import { TvunetError } from '../../../src/errors.js';

export type OptimizerName = 'adam' | 'sgd' | 'adagrad' | 'adadelta';
export const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'sgd', 'adagrad', 'adadelta'];

export function createOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  switch (name) {
    case 'adam': return tf.train.adam(lr);
    case 'sgd': return tf.train.sgd(lr);
    case 'adagrad': return tf.train.adagrad(lr);
    case 'adadelta': return tf.train.adadelta(lr);
    default: throw new TvunetError('INVALID_OPTIONS', `unknown optimizer "${String(name)}" (adam, sgd, adagrad, adadelta)`);
  }
}

/** All four tfjs optimisers read `learningRate` at each update; it is protected in the typings only. */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  (opt as unknown as { learningRate: number }).learningRate = lr;
}
