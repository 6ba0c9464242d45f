package io.salientstream.trainer.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import java.util.List;

/** A frozen linear layer with no adapter (used by the linear-probe baseline). */
public final class FrozenLinear extends AdaptedLinear {

  public FrozenLinear(String module, int layer, NDArray w0, NDArray b0) {
    super(module, layer, w0, b0);
  }

  @Override
  public AdapterKind kind() {
    return AdapterKind.NONE;
  }

  @Override
  public int rank() {
    return 0;
  }

  @Override
  public List<NDArray> trainableParameters() {
    return List.of();
  }

  @Override
  public void applyMask() {}

  @Override
  public long activeParameterCount() {
    return 0;
  }

  @Override
  protected NDArray delta(ParameterStore ps, NDArray x, boolean training) {
    return null;
  }
}
