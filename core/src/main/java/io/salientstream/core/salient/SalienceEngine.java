package io.salientstream.core.salient;

import java.util.Arrays;

/**
 * The SalientLoRA window-end salience measurement (spec {@code algorithms.md} §2.4), steps 1–7:
 *
 * <ol>
 *   <li>{@link #timeWeights orthogonality-aware time weights} w_t from the regulariser values R_t;
 *   <li>{@link #magnitude magnitude term} Σ_t w_t·|X[n,t]|, normalised per matrix;
 *   <li>–4. pairwise statistics over all N series and the dependency graph ({@link GraphBuilder});
 *   <li>cycle removal ({@link CycleRemoval}), skipped when γ &gt; 1 because the graph is then
 *       provably acyclic;
 *   <li>influence domain ({@link InfluenceDomain}), normalised globally. For γ &gt; 1 steps 3–6 run
 *       as one streaming pass that never stores the graph ({@link StreamingInfluence}); the
 *       stored-graph path is the fallback and the general (γ ≤ 1) path;
 *   <li>combination and threshold: k = N − b, thr = the k-th smallest score, keep iff score &gt;
 *       thr (reference) or exactly b kept (clean); never keep what the mask in force already
 *       pruned.
 * </ol>
 *
 * Instances are immutable and thread-safe; {@code threads} workers are used for the pairwise step.
 */
public final class SalienceEngine {
  private final SalienceParams params;
  private final int threads;

  public SalienceEngine(SalienceParams params, int threads) {
    if (threads < 1)
      throw new IllegalArgumentException("salience: threads must be >= 1, got " + threads);
    this.params = params;
    this.threads = threads;
  }

  public SalienceEngine(SalienceParams params) {
    this(params, Parallel.defaultThreads());
  }

  public SalienceParams params() {
    return params;
  }

  /**
   * Computes the salience of one window and the new keep mask.
   *
   * @param window the recorded window
   * @param budget b, how many singular values to keep (0 ≤ b ≤ N)
   * @param currentMask the mask in force (true = kept), or null if nothing is pruned yet
   */
  public SalienceResult compute(Window window, int budget, boolean[] currentMask) {
    int n = window.n();
    if (budget < 0 || budget > n)
      throw new IllegalArgumentException(
          "salience: budget must be in [0, " + n + "], got " + budget);
    if (currentMask != null && currentMask.length != n) {
      throw new IllegalArgumentException(
          "salience: mask has " + currentMask.length + " entries, expected " + n);
    }
    boolean clean = params.mode() == SalienceMode.CLEAN;
    double[] w = timeWeights(window.orthRegLoss(), clean);
    double[] mag = magnitude(window, w, clean);

    double[] infl;
    long edges;
    StreamingInfluence.Result streamed =
        params.gamma() > 1
            ? StreamingInfluence.compute(window, params.beta(), params.gamma(), clean, threads)
            : null;
    if (streamed != null) {
      infl = streamed.influence();
      edges = streamed.edges();
    } else {
      GraphBuilder.Built built = GraphBuilder.build(window, params.beta(), params.gamma(), threads);
      DependencyGraph g = built.graph();
      if (built.position() != null) {
        // γ > 1: nodes are positions in increasing-SS order, already topologically sorted.
        int m = g.nodes();
        int[] topo = new int[m];
        for (int p = 0; p < m; p++) topo[p] = p;
        double[] byPosition = InfluenceDomain.compute(g, topo, clean);
        infl = new double[n];
        for (int p = 0; p < m; p++) infl[built.position()[p]] = byPosition[p];
      } else {
        CycleRemoval.removeCycles(g);
        infl = InfluenceDomain.compute(g, InfluenceDomain.topologicalOrder(g), clean);
      }
      edges = g.edgeCount();
    }

    double[] scores = new double[n];
    if (clean) {
      double lam = params.lambda();
      for (int i = 0; i < n; i++) scores[i] = lam * infl[i] + (1 - lam) * mag[i];
    } else {
      for (int i = 0; i < n; i++) scores[i] = infl[i] + mag[i];
    }
    int k = n - budget;
    double thr = kthSmallest(scores, k);
    boolean[] keep =
        clean ? keepExactly(scores, budget, currentMask) : keepAbove(scores, thr, currentMask);
    int kept = 0;
    for (boolean b : keep) if (b) kept++;
    return new SalienceResult(scores, keep, thr, kept, edges, infl, mag);
  }

  /**
   * Step 1: u_t = (Σ_t' R_t') / R_t, then w_t = (u_t − min u)/(max u − min u). The most orthogonal
   * step (smallest R) gets 1, the least gets 0. Reference: 0/0 = NaN when all R are equal. Clean:
   * all weights 1 in that case; if some R_t = 0 (u infinite) those steps get 1 and the others 0
   * (the limit of the formula).
   */
  static double[] timeWeights(double[] r, boolean clean) {
    int len = r.length;
    double sum = 0;
    for (double v : r) sum += v;
    double[] u = new double[len];
    double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
    for (int t = 0; t < len; t++) {
      u[t] = sum / r[t];
      min = Math.min(min, u[t]);
      max = Math.max(max, u[t]);
    }
    double[] w = new double[len];
    if (clean) {
      boolean zero = false;
      for (double v : r) zero |= v == 0;
      if (zero) {
        for (int t = 0; t < len; t++) w[t] = r[t] == 0 ? 1 : 0;
        return w;
      }
      if (!(max > min) || !Double.isFinite(max) || !Double.isFinite(min)) {
        Arrays.fill(w, 1.0);
        return w;
      }
    }
    for (int t = 0; t < len; t++) w[t] = (u[t] - min) / (max - min);
    return w;
  }

  /**
   * Step 2: mag_raw(n) = Σ_t w_t·|X[n,t]| (t increasing), then divided by the sum of mag_raw over
   * the series of the same matrix (n' increasing). A fully pruned matrix gives 0/0: NaN in
   * reference mode, 0 in clean mode.
   */
  static double[] magnitude(Window window, double[] w, boolean clean) {
    int n = window.n(), len = window.length();
    double[] x = window.values();
    double[] raw = new double[n];
    for (int t = 0; t < len; t++) {
      double wt = w[t];
      int base = t * n;
      for (int i = 0; i < n; i++) raw[i] += wt * Math.abs(x[base + i]);
    }
    int[] off = window.offsets();
    double[] mag = new double[n];
    for (int k = 0; k + 1 < off.length; k++) {
      double s = 0;
      for (int i = off[k]; i < off[k + 1]; i++) s += raw[i];
      boolean usable = s > 0 && Double.isFinite(s);
      for (int i = off[k]; i < off[k + 1]; i++) {
        mag[i] = clean && !usable ? 0.0 : raw[i] / s;
      }
    }
    return mag;
  }

  /**
   * The k-th smallest score, 1-based, with NaN ordered above every number (as torch.kthvalue does);
   * −∞ for k = 0.
   */
  static double kthSmallest(double[] scores, int k) {
    if (k <= 0) return Double.NEGATIVE_INFINITY;
    double[] sorted = scores.clone();
    Arrays.sort(sorted); // Arrays.sort puts NaN last
    return sorted[k - 1];
  }

  /**
   * Reference rule: keep iff score &gt; thr (NaN never kept; ties with thr pruned), and kept
   * before.
   */
  static boolean[] keepAbove(double[] scores, double thr, boolean[] current) {
    boolean[] keep = new boolean[scores.length];
    for (int i = 0; i < scores.length; i++)
      keep[i] = scores[i] > thr && (current == null || current[i]);
    return keep;
  }

  /**
   * Clean rule: among the series still kept, keep exactly {@code budget} with the largest scores
   * (ties: lower global index first). If fewer than {@code budget} are still kept, all of them
   * stay.
   */
  static boolean[] keepExactly(double[] scores, int budget, boolean[] current) {
    int n = scores.length;
    boolean[] keep = new boolean[n];
    int alive = 0;
    for (int i = 0; i < n; i++) if (current == null || current[i]) alive++;
    if (budget >= alive) {
      for (int i = 0; i < n; i++) keep[i] = current == null || current[i];
      return keep;
    }
    if (budget == 0) return keep;
    double[] s = new double[alive];
    int p = 0;
    for (int i = 0; i < n; i++) if (current == null || current[i]) s[p++] = scores[i];
    Arrays.sort(s);
    double cut = s[alive - budget]; // the budget-th largest among the alive
    int kept = 0;
    for (int i = 0; i < n; i++) {
      if ((current == null || current[i]) && scores[i] > cut) {
        keep[i] = true;
        kept++;
      }
    }
    for (int i = 0; i < n && kept < budget; i++) {
      if ((current == null || current[i]) && scores[i] == cut) {
        keep[i] = true;
        kept++;
      }
    }
    return keep;
  }
}
