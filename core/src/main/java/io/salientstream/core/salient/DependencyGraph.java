package io.salientstream.core.salient;

import java.util.Arrays;

/**
 * The directed dependency graph of spec §2.4 step 4 in compressed sparse row form: the out-edges of
 * node i are {@code dst[rowStart[i] .. rowStart[i+1])} with weights (slopes k_ij) in {@code
 * weight}, sorted by increasing destination index — the adjacency order networkx gets from {@code
 * from_numpy_array}. Memory is O(N + E).
 *
 * <p>Edges can be removed (cycle removal, step 5); removed edges stay in the arrays, flagged in
 * {@link #removed}.
 */
public final class DependencyGraph {
  final int n;
  final int[] rowStart;
  final int[] dst;
  final double[] weight;
  final boolean[] removed;
  private int removedCount;

  DependencyGraph(int n, int[] rowStart, int[] dst, double[] weight) {
    this.n = n;
    this.rowStart = rowStart;
    this.dst = dst;
    this.weight = weight;
    this.removed = new boolean[dst.length];
  }

  /**
   * Builds the CSR form from unordered edge triples (two stable counting-sort passes: by dst, then
   * by src).
   */
  static DependencyGraph fromTriples(int n, int count, int[] src, int[] dstIn, double[] w) {
    int[] order1 = countingSortOrder(n, count, dstIn, null);
    int[] order2 = countingSortOrder(n, count, src, order1);
    int[] rowStart = new int[n + 1];
    for (int e = 0; e < count; e++) rowStart[src[e] + 1]++;
    for (int i = 0; i < n; i++) rowStart[i + 1] += rowStart[i];
    int[] d = new int[count];
    double[] ww = new double[count];
    for (int p = 0; p < count; p++) {
      int e = order2[p];
      d[p] = dstIn[e];
      ww[p] = w[e];
    }
    return new DependencyGraph(n, rowStart, d, ww);
  }

  /** Stable counting sort of the positions {@code in} (or 0..count-1) by {@code key}. */
  private static int[] countingSortOrder(int n, int count, int[] key, int[] in) {
    int[] start = new int[n + 1];
    for (int e = 0; e < count; e++) start[key[e] + 1]++;
    for (int i = 0; i < n; i++) start[i + 1] += start[i];
    int[] out = new int[count];
    for (int p = 0; p < count; p++) {
      int e = in == null ? p : in[p];
      out[start[key[e]]++] = e;
    }
    return out;
  }

  public int nodes() {
    return n;
  }

  /** Number of edges still present. */
  public int edgeCount() {
    return dst.length - removedCount;
  }

  void remove(int edge) {
    if (!removed[edge]) {
      removed[edge] = true;
      removedCount++;
    }
  }

  /** True if node i has at least one (non-removed) out-edge. */
  boolean hasOutEdges(int i) {
    for (int e = rowStart[i]; e < rowStart[i + 1]; e++) if (!removed[e]) return true;
    return false;
  }

  /** The source node of edge id e (binary search over the row starts). */
  int source(int e) {
    int lo = 0, hi = n - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (rowStart[mid] <= e) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Present edges as {@code [src, dst]} pairs (tests and diagnostics). */
  public int[][] edgeList() {
    int[][] out = new int[edgeCount()][];
    int p = 0;
    for (int i = 0; i < n; i++) {
      for (int e = rowStart[i]; e < rowStart[i + 1]; e++)
        if (!removed[e]) out[p++] = new int[] {i, dst[e]};
    }
    return out;
  }

  /** Weight of the present edge i → j, or NaN if absent. */
  public double weight(int i, int j) {
    int lo = rowStart[i], hi = rowStart[i + 1];
    int pos = Arrays.binarySearch(dst, lo, hi, j);
    return pos >= 0 && !removed[pos] ? weight[pos] : Double.NaN;
  }
}
