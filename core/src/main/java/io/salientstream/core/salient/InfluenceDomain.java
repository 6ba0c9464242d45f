package io.salientstream.core.salient;

import java.util.Arrays;

/**
 * The influence domain (spec §2.4 step 6) on an acyclic dependency graph:
 *
 * <pre>
 *   Inf(i) = Σ_{j : i→j} k_ij · v(j),   v(j) = Inf(j) if j has out-edges, else 1
 * </pre>
 *
 * computed iteratively in reverse topological order (no recursion, O(N + E)); each sum runs over j
 * in increasing index order, starting from 0. <b>Reference quirk:</b> the returned vector holds
 * Inf(i) for nodes with out-edges and <b>0</b> for sinks, isolated and masked nodes (1 is used only
 * inside the sum). Example: the chain 0 →(2) 1 →(3) 2 gives [6, 3, 0].
 *
 * <p>Then the vector is normalised globally to sum 1 (summing i = 0..N−1). If there are no edges
 * the reference crashes; both modes return all zeros. Values grow multiplicatively along paths; in
 * clean mode, if anything overflows, the DP is redone in log space (log Inf(i) = log-sum-exp_j(log
 * k_ij + log v(j))) and normalised there, which is exact up to rounding and never produces Inf/NaN.
 * Reference mode lets Inf/NaN propagate as numpy would.
 */
final class InfluenceDomain {
  private InfluenceDomain() {}

  /**
   * @param order a topological order of the nodes that have edges (every edge goes from an earlier
   *     to a later node in {@code order}); nodes absent from it must have no edges
   * @return the globally normalised influence term, length N
   */
  static double[] compute(DependencyGraph g, int[] order, boolean clean) {
    int n = g.n;
    double[] inf = new double[n];
    boolean[] hasOut = new boolean[n];
    for (int i = 0; i < n; i++) hasOut[i] = g.hasOutEdges(i);
    boolean overflow = false;
    for (int p = order.length - 1; p >= 0; p--) {
      int i = order[p];
      if (!hasOut[i]) continue;
      double s = 0;
      for (int e = g.rowStart[i]; e < g.rowStart[i + 1]; e++) {
        if (g.removed[e]) continue;
        int j = g.dst[e];
        s += g.weight[e] * (hasOut[j] ? inf[j] : 1.0);
      }
      inf[i] = s;
      if (!Double.isFinite(s)) overflow = true;
    }
    if (g.edgeCount() == 0) return new double[n];
    double total = 0;
    for (int i = 0; i < n; i++) total += inf[i];
    if (clean && (overflow || !Double.isFinite(total) || total == 0)) {
      return cleanFallback(g, order, hasOut);
    }
    double[] out = new double[n];
    for (int i = 0; i < n; i++) out[i] = inf[i] / total;
    return out;
  }

  /**
   * Clean mode: log-space DP when all weights are positive, otherwise zeros (no usable influence).
   */
  private static double[] cleanFallback(DependencyGraph g, int[] order, boolean[] hasOut) {
    int n = g.n;
    for (int e = 0; e < g.dst.length; e++) {
      if (!g.removed[e] && !(g.weight[e] > 0)) return new double[n];
    }
    double[] logInf = new double[n];
    Arrays.fill(logInf, Double.NEGATIVE_INFINITY);
    for (int p = order.length - 1; p >= 0; p--) {
      int i = order[p];
      if (!hasOut[i]) continue;
      double max = Double.NEGATIVE_INFINITY;
      for (int e = g.rowStart[i]; e < g.rowStart[i + 1]; e++) {
        if (g.removed[e]) continue;
        int j = g.dst[e];
        max = Math.max(max, Math.log(g.weight[e]) + (hasOut[j] ? logInf[j] : 0.0));
      }
      double s = 0;
      for (int e = g.rowStart[i]; e < g.rowStart[i + 1]; e++) {
        if (g.removed[e]) continue;
        int j = g.dst[e];
        s += Math.exp(Math.log(g.weight[e]) + (hasOut[j] ? logInf[j] : 0.0) - max);
      }
      logInf[i] = max + Math.log(s);
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) if (hasOut[i]) max = Math.max(max, logInf[i]);
    double s = 0;
    for (int i = 0; i < n; i++) if (hasOut[i]) s += Math.exp(logInf[i] - max);
    double logTotal = max + Math.log(s);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) out[i] = hasOut[i] ? Math.exp(logInf[i] - logTotal) : 0.0;
    return out;
  }

  /** A topological order of a graph known to be acyclic (iterative DFS post-order, reversed). */
  static int[] topologicalOrder(DependencyGraph g) {
    int n = g.n;
    int[] order = new int[n];
    int pos = n;
    byte[] state = new byte[n];
    int[] stack = new int[n];
    int[] iter = new int[n];
    for (int s = 0; s < n; s++) {
      if (state[s] != 0) continue;
      int sp = 0;
      stack[sp++] = s;
      state[s] = 1;
      iter[s] = g.rowStart[s];
      while (sp > 0) {
        int v = stack[sp - 1];
        int e = iter[v];
        while (e < g.rowStart[v + 1] && (g.removed[e] || state[g.dst[e]] != 0)) {
          if (!g.removed[e] && state[g.dst[e]] == 1)
            throw new IllegalStateException("dependency graph has a cycle at node " + v);
          e++;
        }
        if (e < g.rowStart[v + 1]) {
          iter[v] = e + 1;
          int w = g.dst[e];
          state[w] = 1;
          iter[w] = g.rowStart[w];
          stack[sp++] = w;
        } else {
          iter[v] = e;
          state[v] = 2;
          order[--pos] = v;
          sp--;
        }
      }
    }
    return order;
  }
}
