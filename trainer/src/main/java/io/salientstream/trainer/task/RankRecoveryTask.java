package io.salientstream.trainer.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.training.ParameterStore;
import io.salientstream.trainer.adapter.AdaptedLinear;
import io.salientstream.trainer.adapter.AdapterPlan;
import io.salientstream.trainer.adapter.OwnedArrays;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Rank recovery with a known answer. A frozen base network of M parallel maps {@code y_k =
 * tanh(W0_k·x)} (d×d, W0 ~ N(0, 1/d)); the teacher uses {@code W0_k + Δ_k} where Δ_k =
 * U_k·diag(σ)·V_kᵀ has a known rank r_k ∈ {1..maxRank} (each value used equally often, shuffled by
 * the seed; σ ~ U[0.5, 1.0]; U, V orthonormal). The student adapts every W0_k with the policy's
 * adapters (rank 12 by default) and learns from teacher outputs on Gaussian inputs; afterwards each
 * policy's final rank pattern is compared with the true ranks (Spearman, exact-match rate, mean
 * |error|).
 */
public final class RankRecoveryTask implements Task {

  public static final int PER_LAYER = 6;

  private final int m;
  private final int d;
  private final int[] trueRanks;
  private final List<AdaptedLinear> adapted = new ArrayList<>();
  private final List<NDArray> teacher = new ArrayList<>();
  private final NDArray inputs;
  private final NDArray evalInputs;
  private final int trainSize;
  private final NDArray invM;

  /**
   * Names of the M matrices: {@code layer.L.mJ}, 6 per "layer" (so PRILoRA's per-layer ranks
   * apply).
   */
  public static List<String> matrixNames(int m) {
    List<String> names = new ArrayList<>();
    for (int k = 0; k < m; k++) {
      names.add("layer." + (k / PER_LAYER) + ".m" + (k % PER_LAYER));
    }
    return names;
  }

  public RankRecoveryTask(
      NDManager home, int m, int d, int maxRank, int trainSize, long seed, AdapterPlan plan) {
    if (m <= 0 || d <= 0 || maxRank <= 0 || maxRank > d) {
      throw new IllegalArgumentException(
          "rank-recovery: need matrices > 0, 0 < max true rank <= d; got m="
              + m
              + " d="
              + d
              + " maxRank="
              + maxRank);
    }
    this.m = m;
    this.d = d;
    this.trainSize = trainSize;
    Random rng = new Random(seed ^ 0x5EEDL);
    trueRanks = drawTrueRanks(rng, m, maxRank);
    List<String> names = matrixNames(m);
    for (int k = 0; k < m; k++) {
      float[] w0 = new float[d * d];
      for (int i = 0; i < w0.length; i++) {
        w0[i] = (float) (rng.nextGaussian() / Math.sqrt(d));
      }
      double[][] u = orthonormal(rng, d, trueRanks[k]);
      double[][] v = orthonormal(rng, d, trueRanks[k]);
      float[] wt = w0.clone();
      for (int c = 0; c < trueRanks[k]; c++) {
        double sigma = 0.5 + 0.5 * rng.nextDouble();
        for (int i = 0; i < d; i++) {
          for (int j = 0; j < d; j++) {
            wt[i * d + j] += (float) (sigma * u[c][i] * v[c][j]);
          }
        }
      }
      adapted.add(
          plan.create(
              names.get(k), k / PER_LAYER, OwnedArrays.create(home, w0, new Shape(d, d)), null));
      teacher.add(OwnedArrays.create(home, wt, new Shape(d, d)));
    }
    invM = OwnedArrays.scalar(home, 1f / m);
    inputs = gaussian(home, rng, trainSize, d);
    evalInputs = gaussian(home, rng, 1024, d);
  }

  /**
   * The true ranks of a task built with these settings, without building it (the same draws as the
   * constructor): the target budget that recovers them is their sum (presets use it).
   */
  public static int[] trueRanks(int m, int maxRank, long seed) {
    if (m <= 0 || maxRank <= 0) {
      throw new IllegalArgumentException(
          "rank-recovery: need matrices > 0 and max true rank > 0; got m="
              + m
              + " maxRank="
              + maxRank);
    }
    return drawTrueRanks(new Random(seed ^ 0x5EEDL), m, maxRank);
  }

  /** r_k = 1 + k mod maxRank (each value equally often), shuffled by {@code rng} (Fisher–Yates). */
  private static int[] drawTrueRanks(Random rng, int m, int maxRank) {
    int[] r = new int[m];
    for (int k = 0; k < m; k++) {
      r[k] = 1 + k % maxRank;
    }
    for (int k = m - 1; k > 0; k--) {
      int j = rng.nextInt(k + 1);
      int t = r[k];
      r[k] = r[j];
      r[j] = t;
    }
    return r;
  }

  private static NDArray gaussian(NDManager home, Random rng, int n, int d) {
    float[] x = new float[n * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    return OwnedArrays.create(home, x, new Shape(n, d));
  }

  /** r vectors of length d, orthonormal (Gram–Schmidt on Gaussian vectors). */
  private static double[][] orthonormal(Random rng, int d, int r) {
    double[][] q = new double[r][d];
    for (int c = 0; c < r; c++) {
      for (int i = 0; i < d; i++) {
        q[c][i] = rng.nextGaussian();
      }
      for (int p = 0; p < c; p++) {
        double dot = 0;
        for (int i = 0; i < d; i++) {
          dot += q[c][i] * q[p][i];
        }
        for (int i = 0; i < d; i++) {
          q[c][i] -= dot * q[p][i];
        }
      }
      double norm = 0;
      for (int i = 0; i < d; i++) {
        norm += q[c][i] * q[c][i];
      }
      norm = Math.sqrt(norm);
      for (int i = 0; i < d; i++) {
        q[c][i] /= norm;
      }
    }
    return q;
  }

  public int[] trueRanks() {
    return trueRanks.clone();
  }

  @Override
  public String name() {
    return "rank-recovery";
  }

  @Override
  public List<AdaptedLinear> adaptedLayers() {
    return adapted;
  }

  @Override
  public List<NDArray> headParameters() {
    return List.of();
  }

  @Override
  public List<NDArray> frozenArrays() {
    List<NDArray> out = new ArrayList<>(teacher);
    out.add(inputs);
    out.add(evalInputs);
    return out;
  }

  @Override
  public int trainSize() {
    return trainSize;
  }

  @Override
  public NDArray loss(ParameterStore ps, NDManager step, int[] examples) {
    long[] idx = new long[examples.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = examples[i];
    }
    NDArray x =
        Embedding.embedding(step.create(idx), inputs, SparseFormat.DENSE).singletonOrThrow();
    return mse(ps, x, true);
  }

  private NDArray mse(ParameterStore ps, NDArray x, boolean training) {
    NDArray sum = null;
    for (int k = 0; k < m; k++) {
      NDArray student =
          adapted.get(k).forward(ps, new NDList(x), training).singletonOrThrow().tanh();
      NDArray target = x.matMul(teacher.get(k).transpose()).tanh();
      NDArray err = student.sub(target).square().mean();
      sum = sum == null ? err : sum.add(err);
    }
    return sum.mul(invM);
  }

  /** Active rank per matrix, in layout order. */
  public int[] recoveredRanks() {
    int[] r = new int[m];
    for (int k = 0; k < m; k++) {
      AdaptedLinear a = adapted.get(k);
      r[k] = a.activeRank();
    }
    return r;
  }

  @Override
  public Map<String, Double> evaluate(NDManager home, boolean test) {
    Map<String, Double> out = new LinkedHashMap<>();
    try (NDManager sub = home.newSubManager()) {
      attachAll(sub);
      NDArray x = evalInputs;
      out.put("evalMse", (double) mse(new ParameterStore(sub, false), x, false).getFloat());
    }
    int[] rec = recoveredRanks();
    out.put("rankSpearman", RankMetrics.spearman(rec, trueRanks));
    out.put("rankExactMatch", RankMetrics.exactMatch(rec, trueRanks));
    out.put("rankMeanAbsError", RankMetrics.meanAbsError(rec, trueRanks));
    return out;
  }
}
