package io.salientstream.trainer.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * SVD-form adapter (spec §1): {@code h = W0·x + b + (α/(r+1e-5))·P·(Λ⊙Q)·x} with P [d_out, r], Λ
 * [r, 1] (init 0) and Q [r, d_in]; P and Q are i.i.d. N(0, 0.02²). The rank counter r stays the
 * initial rank for the whole run, as in the reference. Pruning a triplet i masks λ_i to 0 (shapes
 * never change); P[:, i] and Q[i, :] stay trainable.
 */
public final class SvdAdapterLinear extends AdaptedLinear {

  private final int rank;
  private final float scale;
  private final NDArray p;
  private final NDArray lambda;
  private final NDArray q;
  private final boolean[] keep;
  private NDArray maskArray;
  private final NDArray scaleArray;
  private final NDArray epsArray;

  public SvdAdapterLinear(
      String module, int layer, NDArray w0, NDArray b0, int rank, float alpha, Random rng) {
    super(module, layer, w0, b0);
    if (rank <= 0) {
      throw new IllegalArgumentException(
          "SVD adapter rank must be positive, got " + rank + " for " + module);
    }
    this.rank = rank;
    this.scale = (float) ((alpha > 0 ? alpha : rank) / (rank + 1e-5));
    NDManager m = w0.getManager();
    p = trainable(gaussian(m, rng, new Shape(dOut, rank)));
    lambda = trainable(m.zeros(new Shape(rank, 1)));
    q = trainable(gaussian(m, rng, new Shape(rank, dIn)));
    keep = new boolean[rank];
    Arrays.fill(keep, true);
    maskArray = m.ones(new Shape(rank, 1));
    scaleArray = OwnedArrays.scalar(m, scale);
    epsArray = OwnedArrays.scalar(m, 1e-12f);
  }

  static NDArray trainable(NDArray array) {
    array.setRequiresGradient(true);
    return array;
  }

  static NDArray gaussian(NDManager m, Random rng, Shape shape) {
    float[] v = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rng.nextGaussian() * 0.02);
    }
    return OwnedArrays.create(m, v, shape);
  }

  @Override
  public AdapterKind kind() {
    return AdapterKind.SVD;
  }

  @Override
  public int rank() {
    return rank;
  }

  public float scale() {
    return scale;
  }

  /** P [d_out, r] (PEFT's lora_B). */
  public NDArray p() {
    return p;
  }

  /** Λ [r, 1] (PEFT's lora_E). */
  public NDArray lambda() {
    return lambda;
  }

  /** Q [r, d_in] (PEFT's lora_A). */
  public NDArray q() {
    return q;
  }

  @Override
  public List<NDArray> trainableParameters() {
    return List.of(p, lambda, q);
  }

  @Override
  protected NDArray delta(ParameterStore ps, NDArray x, boolean training) {
    NDArray pv = p;
    NDArray ev = lambda;
    NDArray qv = q;
    // x [.., d_in] · (Λ⊙Q)ᵀ [d_in, r] · Pᵀ [r, d_out]
    return x.matMul(qv.mul(ev).transpose()).matMul(pv.transpose()).mul(scaleArray);
  }

  /** Current keep bits, one per triplet (a copy). */
  @Override
  public boolean[] keep() {
    return keep.clone();
  }

  @Override
  public int activeRank() {
    int n = 0;
    for (boolean k : keep) {
      n += k ? 1 : 0;
    }
    return n;
  }

  /** Replaces the keep mask; it takes effect at the next {@link #applyMask()}. */
  @Override
  public void setKeep(boolean[] bits) {
    if (bits.length != rank) {
      throw new IllegalArgumentException(
          module() + ": mask has " + bits.length + " bits, rank is " + rank);
    }
    System.arraycopy(bits, 0, keep, 0, rank);
    float[] f = new float[rank];
    for (int i = 0; i < rank; i++) {
      f[i] = bits[i] ? 1f : 0f;
    }
    NDArray old = maskArray;
    maskArray =
        OwnedArrays.create(old.getManager(), f, new Shape(rank, 1))
            .toDevice(lambda().getDevice(), false);
    old.close();
  }

  @Override
  public void applyMask() {
    lambda().muli(maskArray);
  }

  @Override
  public long activeParameterCount() {
    return (long) activeRank() * (dIn + dOut + 1);
  }

  @Override
  public double[] singularValues() {
    return widen(lambda().toFloatArray());
  }

  @Override
  public boolean hasOrthogonalFactors() {
    return true;
  }

  @Override
  public List<NDArray> sensitivityFactors() {
    return List.of(p(), lambda(), q());
  }

  /**
   * ‖QQᵀ − I‖_F + ‖PᵀP − I‖_F (unsquared, all r rows/columns, masked ones too; √(x+1e-12) for each
   * norm).
   */
  @Override
  public NDArray orthogonalPenalty(NDArray eye) {
    NDArray qv = q();
    NDArray pv = p();
    NDArray a = qv.matMul(qv.transpose()).sub(eye);
    NDArray b = pv.transpose().matMul(pv).sub(eye);
    // ε inside the root keeps the gradient finite at an exactly orthonormal P or Q (d√x/dx is
    // infinite at 0)
    return a.square().sum().add(epsArray).sqrt().add(b.square().sum().add(epsArray).sqrt());
  }
}
