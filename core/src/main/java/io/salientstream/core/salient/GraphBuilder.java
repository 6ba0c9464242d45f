package io.salientstream.core.salient;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pairwise statistics and the dependency graph (spec §2.4 steps 3–4) without any N×N array.
 *
 * <p><b>Maths.</b> Per series i: mean μ_i, centred values D[i,t] = X[i,t] − μ_i, SS_i = Σ_t
 * D[i,t]². For a pair: co-moment C_ij = Σ_t D[i,t]·D[j,t], Pearson ρ_ij = C_ij / (√(SS_i·SS_j) +
 * 1e-15), slope of j on i k_ij = C_ij / (SS_i + 1e-15). Edge i → j with weight k_ij iff ρ_ij ≥ β
 * and k_ij ≥ γ. All sums run over t in increasing order, in double.
 *
 * <p><b>Blocking.</b> The centred series are copied into processing order, series-major ({@code
 * P[c*T + t]}). A 4×4 register tile computes 16 co-moments at once (16 independent FMA chains over
 * t, 8 loads per 16 FMAs); tiles run over column panels of ~256 KB (kept in L2) for row groups of
 * 64 series, which are the units handed to worker threads. Only the upper triangle is computed (C
 * is symmetric) and both edge directions are tested per pair, on the fly: no co-moment is stored,
 * edges go straight into per-worker primitive buffers. Memory is O(N·T + E).
 *
 * <p><b>Pruning by variance when γ &gt; 1</b> (spec §2.4 step 5 theorem). Since |C_ij| ≤
 * √(SS_i·SS_j), k_ij ≥ γ implies SS_j ≥ γ²·SS_i. Series are therefore processed in increasing-SS
 * order and, for a row block starting at series i, only columns with SS_j ≥ γ²·SS_i / (1+10⁻⁶)² are
 * computed; the margin dwarfs rounding error, so the skipped pairs provably have no edge and the
 * result equals the full computation. Zero-variance series (masked singular values) have C = 0 with
 * everything and are left out. The same order is a topological order of the graph, so in that case
 * the graph is returned over positions, each row's edges in increasing position order (written per
 * row group, no global sort needed).
 */
final class GraphBuilder {
  static final double EPS = 1e-15;

  /** Rows per work item (a worker's unit); a multiple of 4. */
  static final int GROUP = 64;

  /** Bytes of column series processed together, sized to stay in a core's L2 cache. */
  private static final int PANEL_BYTES = 256 * 1024;

  private static final double MARGIN = (1 + 1e-6) * (1 + 1e-6);

  /**
   * The dependency graph in one of two forms.
   *
   * @param graph the edges
   * @param position null if {@code graph}'s nodes are the global series indices 0..N−1 (CSR rows
   *     sorted by destination index: the general form). Otherwise {@code graph}'s nodes are
   *     positions in increasing-SS order, {@code position[p]} is the series at position p, and
   *     every edge goes from a lower to a higher position, so 0..m−1 is a topological order (the γ
   *     &gt; 1 form).
   */
  record Built(DependencyGraph graph, int[] position) {}

  /** Per-row edge lists of one row group (positions), filled in increasing column order. */
  static final class GroupEdges {
    final int[][] dst = new int[GROUP][];
    final double[][] w = new double[GROUP][];
    final int[] count = new int[GROUP];

    /**
     * Forgets the edges but keeps the arrays, so a worker can reuse one instance for all its
     * groups.
     */
    void reset() {
      Arrays.fill(count, 0);
    }

    void add(int row, int col, double weight) {
      int c = count[row];
      if (dst[row] == null) {
        dst[row] = new int[16];
        w[row] = new double[16];
      } else if (c == dst[row].length) {
        dst[row] = Arrays.copyOf(dst[row], c * 2);
        w[row] = Arrays.copyOf(w[row], c * 2);
      }
      dst[row][c] = col;
      w[row][c] = weight;
      count[row] = c + 1;
    }
  }

  private GraphBuilder() {}

  /**
   * Centred series in processing order, ready for the tile sweep.
   *
   * @param order order[c] = the series at position c
   * @param p centred values, series-major, padded with zero series to {@code mPad} (a multiple of
   *     4)
   * @param ssOrd SS per position
   * @param rootOrd √SS per position
   */
  record Prepared(
      int n,
      int len,
      int[] order,
      int m,
      int mPad,
      double[] p,
      double[] ssOrd,
      double[] rootOrd,
      boolean sorted) {
    int groups() {
      return (mPad + GROUP - 1) / GROUP;
    }
  }

  /**
   * Means, SS (fma, like the kernel, so C_ii == SS_i), the processing order and the centred copy.
   */
  static Prepared prepare(Window w, boolean sorted) {
    int n = w.n(), len = w.length();
    double[] x = w.values();
    double[] mean = new double[n];
    for (int t = 0; t < len; t++) {
      int base = t * n;
      for (int i = 0; i < n; i++) mean[i] += x[base + i];
    }
    for (int i = 0; i < n; i++) mean[i] /= len;
    double[] ss = new double[n];
    for (int t = 0; t < len; t++) {
      int base = t * n;
      for (int i = 0; i < n; i++) {
        double d = x[base + i] - mean[i];
        ss[i] = Math.fma(d, d, ss[i]);
      }
    }
    int[] order = sorted ? increasingPositiveVariance(ss) : identity(n);
    int m = order.length;
    int mPad = (m + 3) & ~3;
    double[] p = new double[mPad * len];
    for (int t = 0; t < len; t++) {
      int src = t * n;
      for (int c = 0; c < m; c++) {
        int i = order[c];
        p[c * len + t] = x[src + i] - mean[i];
      }
    }
    double[] ssOrd = new double[m];
    double[] rootOrd = new double[m];
    for (int c = 0; c < m; c++) {
      ssOrd[c] = ss[order[c]];
      rootOrd[c] = Math.sqrt(ssOrd[c]);
    }
    return new Prepared(n, len, order, m, mPad, p, ssOrd, rootOrd, sorted);
  }

  /**
   * Computes every needed tile of row group {@code grp} and tests its pairs: forward edges (sorted
   * form) go to {@code ge} per row in increasing column order, everything else to {@code buf}.
   * Returns true if an edge pointed backwards in processing order.
   */
  static boolean sweepGroup(
      Prepared pr,
      int grp,
      double beta,
      double gamma,
      double[] c16,
      GroupEdges ge,
      EdgeBuffer buf) {
    int len = pr.len(), m = pr.m(), mPad = pr.mPad();
    int panel = Math.max(16, (PANEL_BYTES / (8 * len)) & ~3);
    int g0 = grp * GROUP, g1 = Math.min(mPad, g0 + GROUP);
    boolean backward = false;
    int first = firstColumn(g0, pr.sorted(), pr.ssOrd(), gamma, m);
    for (int p0 = first; p0 < mPad; p0 += panel) {
      int p1 = Math.min(mPad, p0 + panel);
      for (int r0 = g0; r0 < g1; r0 += 4) {
        if (r0 >= m) break;
        int lo = Math.max(p0, firstColumn(r0, pr.sorted(), pr.ssOrd(), gamma, m));
        for (int c0 = lo; c0 < p1; c0 += 4) {
          tile(pr.p(), len, r0, c0, c16);
          if (test(
              c16,
              r0,
              c0,
              g0,
              m,
              pr.order(),
              pr.ssOrd(),
              pr.rootOrd(),
              beta,
              gamma,
              pr.sorted(),
              ge,
              buf)) {
            backward = true;
          }
        }
      }
    }
    return backward;
  }

  static Built build(Window w, double beta, double gamma, int threads) {
    boolean sorted = gamma > 1;
    Prepared pr = prepare(w, sorted);
    int n = pr.n();
    int[] order = pr.order();
    int m = pr.m();
    int groups = pr.groups();
    int workers = Math.max(1, Math.min(threads, groups));
    EdgeBuffer[] triples = new EdgeBuffer[workers];
    GroupEdges[] perGroup = sorted ? new GroupEdges[groups] : null;
    boolean[] backward = new boolean[workers];
    AtomicInteger next = new AtomicInteger();
    Parallel.run(
        workers,
        id -> {
          EdgeBuffer buf = new EdgeBuffer();
          triples[id] = buf;
          double[] c16 = new double[16];
          int grp;
          while ((grp = next.getAndIncrement()) < groups) {
            GroupEdges ge = sorted ? new GroupEdges() : null;
            if (sorted) perGroup[grp] = ge;
            if (sweepGroup(pr, grp, beta, gamma, c16, ge, buf)) backward[id] = true;
          }
        });
    boolean anyBackward = false;
    for (boolean b : backward) anyBackward |= b;
    if (!sorted) return new Built(EdgeBuffer.merge(n, triples), null);
    if (!anyBackward) return new Built(positionGraph(m, groups, perGroup), order);
    // Rounding produced an edge against the variance order (possible only for γ barely above 1):
    // use the
    // general form, which removes cycles if there are any.
    EdgeBuffer forward = new EdgeBuffer();
    for (int grp = 0; grp < groups; grp++) {
      GroupEdges ge = perGroup[grp];
      for (int b = 0; b < GROUP; b++) {
        for (int e = 0; e < ge.count[b]; e++)
          forward.add(order[grp * GROUP + b], order[ge.dst[b][e]], ge.w[b][e]);
      }
    }
    EdgeBuffer[] all = Arrays.copyOf(triples, workers + 1);
    all[workers] = forward;
    return new Built(EdgeBuffer.merge(n, all), null);
  }

  /** Concatenates the per-group row lists into one CSR graph over positions 0..m−1. */
  private static DependencyGraph positionGraph(int m, int groups, GroupEdges[] perGroup) {
    int[] rowStart = new int[m + 1];
    long total = 0;
    for (int r = 0; r < m; r++) {
      total += perGroup[r / GROUP].count[r % GROUP];
      if (total > Integer.MAX_VALUE - 16)
        throw new IllegalStateException("dependency graph: too many edges");
      rowStart[r + 1] = (int) total;
    }
    int[] dst = new int[(int) total];
    double[] w = new double[(int) total];
    for (int r = 0; r < m; r++) {
      GroupEdges ge = perGroup[r / GROUP];
      int b = r % GROUP;
      if (ge.count[b] > 0) {
        System.arraycopy(ge.dst[b], 0, dst, rowStart[r], ge.count[b]);
        System.arraycopy(ge.w[b], 0, w, rowStart[r], ge.count[b]);
      }
      ge.dst[b] = null; // let the row lists go as soon as they are copied
      ge.w[b] = null;
    }
    return new DependencyGraph(m, rowStart, dst, w);
  }

  /**
   * First column (a multiple of 4) a row block starting at r0 must be paired with: the upper
   * triangle (columns ≥ r0, block-aligned), and for γ &gt; 1 only columns with SS_j ≥
   * γ²·SS_{r0}/(1+10⁻⁶)².
   */
  private static int firstColumn(int r0, boolean sorted, double[] ssOrd, double gamma, int m) {
    int lo = r0;
    if (sorted && r0 < m) lo = Math.max(lo, lowerBound(ssOrd, gamma * gamma * ssOrd[r0] / MARGIN));
    return lo & ~3;
  }

  /**
   * The 4×4 co-moments c16[4b + k] = Σ_t P[r0+b, t]·P[c0+k, t], each accumulated over t = 0, 1, …
   * with {@link Math#fma} (one rounding per step). Sixteen independent accumulators keep both FMA
   * pipes busy.
   */
  private static void tile(double[] q, int len, int r0, int c0, double[] out) {
    int i0 = r0 * len, i1 = i0 + len, i2 = i1 + len, i3 = i2 + len;
    int j0 = c0 * len, j1 = j0 + len, j2 = j1 + len, j3 = j2 + len;
    double s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
    double s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
    for (int t = 0; t < len; t++) {
      double x0 = q[j0 + t], x1 = q[j1 + t], x2 = q[j2 + t], x3 = q[j3 + t];
      double a0 = q[i0 + t], a1 = q[i1 + t], a2 = q[i2 + t], a3 = q[i3 + t];
      s00 = Math.fma(a0, x0, s00);
      s01 = Math.fma(a0, x1, s01);
      s02 = Math.fma(a0, x2, s02);
      s03 = Math.fma(a0, x3, s03);
      s10 = Math.fma(a1, x0, s10);
      s11 = Math.fma(a1, x1, s11);
      s12 = Math.fma(a1, x2, s12);
      s13 = Math.fma(a1, x3, s13);
      s20 = Math.fma(a2, x0, s20);
      s21 = Math.fma(a2, x1, s21);
      s22 = Math.fma(a2, x2, s22);
      s23 = Math.fma(a2, x3, s23);
      s30 = Math.fma(a3, x0, s30);
      s31 = Math.fma(a3, x1, s31);
      s32 = Math.fma(a3, x2, s32);
      s33 = Math.fma(a3, x3, s33);
    }
    out[0] = s00;
    out[1] = s01;
    out[2] = s02;
    out[3] = s03;
    out[4] = s10;
    out[5] = s11;
    out[6] = s12;
    out[7] = s13;
    out[8] = s20;
    out[9] = s21;
    out[10] = s22;
    out[11] = s23;
    out[12] = s30;
    out[13] = s31;
    out[14] = s32;
    out[15] = s33;
  }

  /**
   * Tests the pairs of one 4×4 tile; returns true if an edge points backwards in processing order.
   */
  private static boolean test(
      double[] c16,
      int r0,
      int c0,
      int g0,
      int m,
      int[] order,
      double[] ssOrd,
      double[] rootOrd,
      double beta,
      double gamma,
      boolean sorted,
      GroupEdges ge,
      EdgeBuffer buf) {
    boolean backward = false;
    // Cheap necessary conditions checked first (most pairs fail them): an edge needs C ≥
    // γ·min(SS_i, SS_j) and,
    // for β > 0, C ≥ β·√SS_i·√SS_j. The factor (1 − 1e-12) makes them strictly weaker than the
    // exact tests
    // below despite rounding, so they only skip pairs the exact tests would reject.
    double gammaCut = gamma > 0 ? gamma * (1 - 1e-12) : Double.NEGATIVE_INFINITY;
    double betaCut = beta > 0 ? beta * (1 - 1e-12) : Double.NEGATIVE_INFINITY;
    for (int b = 0; b < 4; b++) {
      int r = r0 + b;
      if (r >= m) break;
      int i = order[r];
      double ssI = ssOrd[r];
      for (int k = 0; k < 4; k++) {
        int col = c0 + k;
        if (col >= m) break;
        if (sorted ? col <= r : col < r) continue;
        double cij = c16[4 * b + k];
        if (gamma > 0 && !(cij > 0)) continue; // k ≥ γ > 0 needs C > 0
        double ssJ = ssOrd[col];
        if (cij < gammaCut * Math.min(ssI, ssJ)) continue;
        if (cij < betaCut * rootOrd[r] * rootOrd[col]) continue;
        double rho = cij / (Math.sqrt(ssI * ssJ) + EPS);
        if (!(rho >= beta)) continue;
        int j = order[col];
        double kij = cij / (ssI + EPS);
        if (kij >= gamma) {
          if (sorted) ge.add(r - g0, col, kij);
          else buf.add(i, j, kij);
        }
        if (col != r) {
          double kji = cij / (ssJ + EPS);
          if (kji >= gamma) {
            buf.add(j, i, kji);
            backward = true;
          }
        }
      }
    }
    return backward;
  }

  /** Indices with SS &gt; 0 sorted by (SS, index) ascending. */
  static int[] increasingPositiveVariance(double[] ss) {
    int count = 0;
    for (double v : ss) if (v > 0) count++;
    int[] idx = new int[count];
    int p = 0;
    for (int i = 0; i < ss.length; i++) if (ss[i] > 0) idx[p++] = i;
    // a stable sort by SS of indices already in increasing order: ties stay ordered by index. A
    // merge sort of
    // primitive ints (sorting boxed Integers with a comparator cost ~4% of the analyzer at N =
    // 1080)
    mergeSortBy(ss, idx, new int[count], 0, count);
    return idx;
  }

  /**
   * Stable merge sort of {@code idx[from, to)} by {@code key[idx]} ({@link Double#compare} order).
   */
  private static void mergeSortBy(double[] key, int[] idx, int[] tmp, int from, int to) {
    if (to - from <= 16) { // insertion sort (stable)
      for (int i = from + 1; i < to; i++) {
        int v = idx[i];
        int j = i - 1;
        while (j >= from && Double.compare(key[idx[j]], key[v]) > 0) {
          idx[j + 1] = idx[j];
          j--;
        }
        idx[j + 1] = v;
      }
      return;
    }
    int mid = (from + to) >>> 1;
    mergeSortBy(key, idx, tmp, from, mid);
    mergeSortBy(key, idx, tmp, mid, to);
    if (Double.compare(key[idx[mid - 1]], key[idx[mid]]) <= 0) return; // already in order
    System.arraycopy(idx, from, tmp, from, to - from);
    int a = from, b = mid, o = from;
    while (a < mid && b < to)
      idx[o++] = Double.compare(key[tmp[b]], key[tmp[a]]) < 0 ? tmp[b++] : tmp[a++];
    while (a < mid) idx[o++] = tmp[a++];
    while (b < to) idx[o++] = tmp[b++];
  }

  private static int[] identity(int n) {
    int[] o = new int[n];
    for (int i = 0; i < n; i++) o[i] = i;
    return o;
  }

  /** First position c with sorted[c] ≥ v (sorted.length if none). */
  private static int lowerBound(double[] sorted, double v) {
    int lo = 0, hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
