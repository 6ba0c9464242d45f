package io.salientstream.trainer.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Creates long-lived arrays from Java data as tensors that own their memory.
 *
 * <p>{@code NDManager.create(float[], Shape)} in DJL's PyTorch engine wraps a direct buffer filled
 * from the Java array; long-lived arrays are cloned once so that libtorch owns their memory (the
 * temporary is closed at once).
 */
public final class OwnedArrays {

  private OwnedArrays() {}

  /**
   * A one-element array holding v, for multiplying tensors that autograd tracks. Do not use {@code
   * x.mul(float)} there: DJL 0.35.1 turns the number into a temporary tensor that autograd saves
   * for backward but DJL frees after the call; gradients then intermittently came out scaled by
   * garbage (1e19–1e30), a different layer on each run.
   */
  public static NDArray scalar(NDManager m, float v) {
    return create(m, new float[] {v}, new Shape(1));
  }

  public static NDArray create(NDManager m, float[] data, Shape shape) {
    NDArray tmp = m.create(data, shape);
    NDArray owned = tmp.duplicate();
    tmp.close();
    return owned;
  }
}
