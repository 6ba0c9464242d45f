package io.salientstream.trainer.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Plain LoRA: {@code h = W0·x + b + (α/r)·B·A·x} with A [r, d_in] ~ U(−1/√d_in, 1/√d_in) and B
 * [d_out, r] = 0, plus an entry mask on A (PRILoRA prunes individual entries of A; fixed-rank LoRA
 * keeps all).
 */
public final class LoraLinear extends AdaptedLinear {

  private final int rank;
  private final float scale;
  private final NDArray a;
  private final NDArray b;
  private final boolean[] keepA;
  private NDArray maskArray;
  private final NDArray scaleArray;

  public LoraLinear(
      String module, int layer, NDArray w0, NDArray b0, int rank, float alpha, Random rng) {
    super(module, layer, w0, b0);
    if (rank <= 0) {
      throw new IllegalArgumentException(
          "LoRA rank must be positive, got " + rank + " for " + module);
    }
    this.rank = rank;
    this.scale = alpha / rank;
    NDManager m = w0.getManager();
    float bound = (float) (1.0 / Math.sqrt(dIn));
    float[] av = new float[rank * dIn];
    for (int i = 0; i < av.length; i++) {
      av[i] = (rng.nextFloat() * 2f - 1f) * bound;
    }
    a = SvdAdapterLinear.trainable(OwnedArrays.create(m, av, new Shape(rank, dIn)));
    b = SvdAdapterLinear.trainable(m.zeros(new Shape(dOut, rank)));
    keepA = new boolean[rank * dIn];
    Arrays.fill(keepA, true);
    maskArray = m.ones(new Shape(rank, dIn));
    scaleArray = OwnedArrays.scalar(m, scale);
  }

  @Override
  public AdapterKind kind() {
    return AdapterKind.LORA;
  }

  @Override
  public int rank() {
    return rank;
  }

  public float scale() {
    return scale;
  }

  public NDArray a() {
    return a;
  }

  public NDArray b() {
    return b;
  }

  @Override
  public List<NDArray> trainableParameters() {
    return List.of(a, b);
  }

  @Override
  protected NDArray delta(ParameterStore ps, NDArray x, boolean training) {
    NDArray av = a;
    NDArray bv = b;
    return x.matMul(av.transpose()).matMul(bv.transpose()).mul(scaleArray);
  }

  /** Keep bits of A, row-major [r, d_in] (a copy). */
  @Override
  public boolean[] keep() {
    return keepA.clone();
  }

  @Override
  public void setKeep(boolean[] bits) {
    if (bits.length != keepA.length) {
      throw new IllegalArgumentException(
          module() + ": A mask has " + bits.length + " bits, expected " + keepA.length);
    }
    System.arraycopy(bits, 0, keepA, 0, bits.length);
    float[] f = new float[bits.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = bits[i] ? 1f : 0f;
    }
    NDArray old = maskArray;
    maskArray =
        OwnedArrays.create(old.getManager(), f, new Shape(rank, dIn))
            .toDevice(a().getDevice(), false);
    old.close();
  }

  @Override
  public double[] entryMagnitudes() {
    double[] m = widen(a().toFloatArray());
    for (int i = 0; i < m.length; i++) {
      m[i] = Math.abs(m[i]);
    }
    return m;
  }

  /** Rows of A with at least one kept entry (the effective rank). */
  @Override
  public int activeRank() {
    int n = 0;
    for (int i = 0; i < rank; i++) {
      for (int j = 0; j < dIn; j++) {
        if (keepA[i * dIn + j]) {
          n++;
          break;
        }
      }
    }
    return n;
  }

  @Override
  public void applyMask() {
    a().muli(maskArray);
  }

  @Override
  public long activeParameterCount() {
    long keptA = 0;
    for (boolean k : keepA) {
      keptA += k ? 1 : 0;
    }
    return keptA + (long) activeRank() * dOut;
  }
}
