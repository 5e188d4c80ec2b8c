/**
 * Kernels that training needs on tfjs-backend-wasm and that 4.22 lacks or runs slowly
 * (measured in shared/notes/platform.md):
 * - Conv2DBackpropFilter is missing: dW is computed as a conv2d of the channel-major input with
 *   the output gradient as filter and dilation = stride (XNNPACK; 7× faster than im2col).
 * - Conv2DBackpropInput is a naive loop: for stride 1 with 'same' odd kernels or 'valid' 1×1
 *   kernels, dx is a conv2d of dy with the flipped, transposed filter (2.5× on a whole step).
 *   Other shapes go to the backend's own kernel.
 * Both are checked against tfjs-backend-cpu in trainer/test/wasm-kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';

type KernelArgs = Parameters<tf.KernelFunc>[0] & { backend: tf.KernelBackend };
type Conv2DAttrs = {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
};

let registered = false;

/**
 * Wraps a kernel input as a Tensor without taking ownership: the backend's count is raised first,
 * so disposing the wrapper leaves the caller's data alive.
 */
function borrow(info: tf.TensorInfo, backend: tf.KernelBackend): tf.Tensor {
  (backend as unknown as { incRef(id: object): void }).incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

/** Hands a tensor's data to the engine as a kernel output, releasing our own reference. */
function release(t: tf.Tensor, backend: tf.KernelBackend): tf.TensorInfo {
  (backend as unknown as { incRef(id: object): void }).incRef(t.dataId);
  const info = { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
  t.dispose();
  return info;
}

function conv2dBackpropFilter(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { inputs, backend, attrs } = args as KernelArgs;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dimRoundingMode, filterShape } = attrs as unknown as Conv2DAttrs & { filterShape: [number, number, number, number] };
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast',
  );
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const xt = borrow(x, backend);
  const dyt = borrow(dy, backend);
  const result = tf.tidy(() => {
    // [n,h,w,cin] -> [cin,h,w,n]: channels become the batch, the images become channels.
    let xc = tf.transpose(xt, [3, 1, 2, 0]) as tf.Tensor4D;
    // Pad/crop so that a (outH-1)·stride+1 tall dilated filter yields exactly kh rows.
    const needH = kh + (info.outHeight - 1) * info.strideHeight;
    const needW = kw + (info.outWidth - 1) * info.strideWidth;
    const bottom = needH - info.inHeight - info.padInfo.top;
    const right = needW - info.inWidth - info.padInfo.left;
    xc = tf.pad(xc, [[0, 0], [info.padInfo.top, Math.max(bottom, 0)], [info.padInfo.left, Math.max(right, 0)], [0, 0]]);
    if (bottom < 0 || right < 0) xc = tf.slice(xc, [0, 0, 0, 0], [-1, needH, needW, -1]);
    const filter = tf.transpose(dyt, [1, 2, 0, 3]) as tf.Tensor4D; // [outH,outW,n,cout]
    const dw = tf.conv2d(xc, filter, 1, 'valid', 'NHWC', [info.strideHeight, info.strideWidth]); // [cin,kh,kw,cout]
    return tf.transpose(dw, [1, 2, 0, 3]);
  });
  xt.dispose();
  dyt.dispose();
  return release(result, backend);
}

function makeConv2DBackpropInput(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: Parameters<tf.KernelFunc>[0]) => {
    const { inputs, backend, attrs } = args as KernelArgs;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dataFormat, inputShape } = attrs as unknown as Conv2DAttrs & { inputShape: number[] };
    const [kh, kw] = filter.shape as [number, number, number, number];
    const stride1 = strides === 1 || (Array.isArray(strides) && strides[0] === 1 && strides[1] === 1);
    const sameOdd = pad === 'same' && kh % 2 === 1 && kw % 2 === 1;
    const valid1x1 = pad === 'valid' && kh === 1 && kw === 1;
    if (!stride1 || dataFormat !== 'NHWC' || !(sameOdd || valid1x1) || inputShape.length !== 4) return fallback(args) as tf.TensorInfo;
    const dyt = borrow(dy, backend);
    const ft = borrow(filter, backend);
    const result = tf.tidy(() => {
      // dx = dy ⋆ rot180(W) with in/out channels swapped.
      const flipped = tf.reverse(tf.transpose(ft, [0, 1, 3, 2]), [0, 1]) as tf.Tensor4D;
      return tf.conv2d(dyt as tf.Tensor4D, flipped, 1, pad);
    });
    dyt.dispose();
    ft.dispose();
    return release(result, backend);
  };
}

/** Registers the training kernels on the wasm backend; idempotent. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2dBackpropFilter });
  const original = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  if (original) {
    tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
    // Keep the original's setup/dispose: the fallback calls into wasm functions its setupFunc binds
    // when the backend is set (without it: "wasmConv2DBackpropInput is not a function").
    tf.registerKernel({
      kernelName: tf.Conv2DBackpropInput, backendName: 'wasm', kernelFunc: makeConv2DBackpropInput(original.kernelFunc),
      ...(original.setupFunc ? { setupFunc: original.setupFunc } : {}), ...(original.disposeFunc ? { disposeFunc: original.disposeFunc } : {}),
    });
  }
}
