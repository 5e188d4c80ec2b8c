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

/**
 * Adam, Adagrad and Adadelta read `learningRate` (protected in the typings only) at each update;
 * SGD caches −lr in a scalar at construction and only its own setLearningRate() renews it.
 */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  const o = opt as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}
