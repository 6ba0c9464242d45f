package io.salientstream.trainer.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A frozen linear layer {@code h = W0·x + b} plus an optional trainable low-rank update, as a DJL
 * block. The base weight and bias never get {@code setRequiresGradient}, so backward produces no
 * gradients for them.
 *
 * <p>The arrays are held directly rather than as registered DJL {@code Parameter}s: with parameters
 * registered on the block, gradients of Λ read back after backward were intermittently garbage
 * (values ~1e19, a different matrix each run) in DJL 0.35.1 / libtorch 2.7.1; with plain arrays the
 * same computation is stable and deterministic.
 *
 * <p>Subclasses add the update and declare the trainable parameters; the trainer re-applies the
 * mask after every optimizer step via {@link #applyMask()}.
 */
public abstract class AdaptedLinear extends AbstractBlock {

  private final String module;
  private final int layer;
  protected final int dIn;
  protected final int dOut;
  private final NDArray weight;
  private final NDArray bias;
  private Consumer<float[]> inputStatsHook;

  /**
   * @param module HuggingFace module path, e.g. {@code encoder.layer.0.attention.self.query}
   * @param layer transformer layer index (0-based)
   * @param w0 frozen weight [d_out, d_in]
   * @param b0 frozen bias [d_out], or null
   */
  protected AdaptedLinear(String module, int layer, NDArray w0, NDArray b0) {
    this.module = module;
    this.layer = layer;
    this.dOut = Math.toIntExact(w0.getShape().get(0));
    this.dIn = Math.toIntExact(w0.getShape().get(1));
    this.weight = w0;
    this.bias = b0;
  }

  public String module() {
    return module;
  }

  public int layer() {
    return layer;
  }

  public int dIn() {
    return dIn;
  }

  public int dOut() {
    return dOut;
  }

  public abstract AdapterKind kind();

  /** Initial (and, since shapes never change, current) adapter rank; 0 without an adapter. */
  public abstract int rank();

  /** The arrays that receive gradients and optimizer updates, in a fixed order. */
  public abstract List<NDArray> trainableParameters();

  /** Multiplies the masked parameter (Λ for SVD, A for LoRA) by the current keep mask, in place. */
  public abstract void applyMask();

  /**
   * Number of trainable entries currently kept by the mask (used for parameter budgets and
   * reports).
   */
  public abstract long activeParameterCount();

  /**
   * The keep bits of the masked parameter (one per triplet for SVD adapters, one per entry of A,
   * row-major, for B·A adapters), a copy; null without an adapter.
   */
  public boolean[] keep() {
    return null;
  }

  /** Replaces the keep mask; it takes effect at the next {@link #applyMask()}. */
  public void setKeep(boolean[] bits) {
    throw new IllegalStateException(module + " has no adapter to mask");
  }

  /**
   * The rank the mask leaves (kept triplets, or rows of A with a kept entry); 0 without an adapter.
   */
  public int activeRank() {
    return 0;
  }

  /** The singular values λ this adapter reports after a step (SVD adapters), or null. */
  public double[] singularValues() {
    return null;
  }

  /**
   * |A| entry by entry, row-major [r, d_in] (B·A adapters: PRILoRA's weight statistic), or null.
   */
  public double[] entryMagnitudes() {
    return null;
  }

  /**
   * Whether the adapter has orthogonal factors P and Q, and so a term in the orthogonal
   * regulariser.
   */
  public boolean hasOrthogonalFactors() {
    return false;
  }

  /**
   * This adapter's term of the orthogonal regulariser, ‖QQᵀ − I‖_F + ‖PᵀP − I‖_F; only for adapters
   * with {@link #hasOrthogonalFactors()}.
   */
  public NDArray orthogonalPenalty(NDArray eye) {
    throw new IllegalStateException(module + " has no orthogonal factors");
  }

  /**
   * The arrays whose |w·∂L/∂w| feed AdaLoRA's importance, in the order P, Λ, Q; empty when there
   * are none.
   */
  public List<NDArray> sensitivityFactors() {
    return List.of();
  }

  /** Float32 values widened to double, for the policy inputs. */
  protected static double[] widen(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /**
   * Registers a forward hook that receives, for every training forward pass, the ℓ2 norm of each
   * input feature over all tokens of the batch (length d_in). Used for PRILoRA's input statistics;
   * null removes it.
   */
  public void setInputStatsHook(Consumer<float[]> hook) {
    this.inputStatsHook = hook;
  }

  public NDArray baseWeight() {
    return weight;
  }

  public NDArray baseBias() {
    return bias;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow();
    NDArray h = Linear.linear(x, weight, bias).singletonOrThrow();
    if (training && inputStatsHook != null) {
      NDArray flat = x.stopGradient().reshape(-1, dIn);
      inputStatsHook.accept(flat.square().sum(new int[] {0}).sqrt().toFloatArray());
    }
    NDArray delta = delta(ps, x, training);
    return new NDList(delta == null ? h : h.add(delta));
  }

  /**
   * The low-rank update for input x (same leading shape as x, last dim d_out), or null for none.
   */
  protected abstract NDArray delta(ParameterStore ps, NDArray x, boolean training);

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    return new Shape[] {in.slice(0, in.dimension() - 1).add(dOut)};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    // parameters are created with their arrays; nothing to initialize
  }

  @Override
  public String toString() {
    return kind() + "(" + module + ", r=" + rank() + ", " + dOut + "x" + dIn + ")";
  }
}
