package io.salientstream.core.policy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The adapted matrices of one model, in <em>global order</em>.
 *
 * <p>Every vector a host exchanges with a policy (singular values, triplet scores, keep bits) lists
 * the matrices in exactly this order, and within matrix {@code k} its {@code initialRank} triplets
 * {@code 0..r_k-1} (spec {@code algorithms.md} §2.4 "Global index order"). The total {@link
 * #totalRank()} is the N of the spec.
 *
 * @param matrices the adapted matrices, in model-parameter order; at least one
 */
public record AdapterLayout(List<Matrix> matrices) {

  /**
   * One adapted weight matrix {@code W0 ∈ R^{dOut×dIn}} with an SVD-form or plain LoRA adapter.
   *
   * @param name a unique name, e.g. {@code layer.3.attention.query}
   * @param layer 0-based transformer layer index (PRILoRA's per-layer rank depends on it)
   * @param dOut output features of the adapted matrix
   * @param dIn input features of the adapted matrix
   * @param initialRank r_k, the number of triplets (rows of Q / A) the host allocates for this
   *     matrix
   */
  public record Matrix(String name, int layer, int dOut, int dIn, int initialRank) {
    public Matrix {
      Objects.requireNonNull(name, "matrix name");
      if (layer < 0)
        throw new IllegalArgumentException(
            "matrix '" + name + "': layer must be >= 0, got " + layer);
      if (dOut <= 0 || dIn <= 0) {
        throw new IllegalArgumentException(
            "matrix '" + name + "': dOut and dIn must be > 0, got " + dOut + "x" + dIn);
      }
      if (initialRank <= 0) {
        throw new IllegalArgumentException(
            "matrix '" + name + "': initialRank must be > 0, got " + initialRank);
      }
    }

    /** The same matrix with another rank (used by PRILoRA, whose ranks depend on the layer). */
    public Matrix withRank(int rank) {
      return new Matrix(name, layer, dOut, dIn, rank);
    }
  }

  public AdapterLayout {
    matrices = List.copyOf(Objects.requireNonNull(matrices, "matrices"));
    if (matrices.isEmpty())
      throw new IllegalArgumentException("layout: at least one matrix is required");
    Set<String> names = new HashSet<>();
    for (Matrix m : matrices) {
      if (!names.add(m.name()))
        throw new IllegalArgumentException("layout: duplicate matrix name '" + m.name() + "'");
    }
  }

  /**
   * A layout of {@code count} equally shaped matrices named {@code m0, m1, ...}, {@code perLayer}
   * of them per layer (handy for tests, benchmarks and the golden vectors, which carry no shapes).
   */
  public static AdapterLayout uniform(int count, int perLayer, int dOut, int dIn, int rank) {
    if (count <= 0 || perLayer <= 0)
      throw new IllegalArgumentException("count and perLayer must be > 0");
    List<Matrix> list = new ArrayList<>(count);
    for (int k = 0; k < count; k++) list.add(new Matrix("m" + k, k / perLayer, dOut, dIn, rank));
    return new AdapterLayout(list);
  }

  /** M, the number of adapted matrices. */
  public int size() {
    return matrices.size();
  }

  public Matrix matrix(int k) {
    return matrices.get(k);
  }

  /** N = Σ_k r_k, the number of triplets (singular values) in global order. */
  public int totalRank() {
    int n = 0;
    for (Matrix m : matrices) n += m.initialRank();
    return n;
  }

  /** Global index of triplet 0 of each matrix, plus N at the end ({@code size()+1} entries). */
  public int[] offsets() {
    int[] off = new int[matrices.size() + 1];
    for (int k = 0; k < matrices.size(); k++) off[k + 1] = off[k] + matrices.get(k).initialRank();
    return off;
  }

  /** Number of transformer layers spanned: 1 + the largest layer index. */
  public int layerCount() {
    int max = 0;
    for (Matrix m : matrices) max = Math.max(max, m.layer());
    return max + 1;
  }
}
