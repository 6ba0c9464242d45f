package io.salientstream.core.salient;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pairwise statistics and the dependency graph (spec §2.4 steps 3–4) without any N×N array.
 *
 * <p><b>Maths.</b> Per series i: mean μ_i, centred values D[i,t] = X[i,t] − μ_i, SS_i = Σ_t D[i,t]². For a pair:
 * co-moment C_ij = Σ_t D[i,t]·D[j,t], Pearson ρ_ij = C_ij / (√(SS_i·SS_j) + 1e-15), slope of j on i
 * k_ij = C_ij / (SS_i + 1e-15). Edge i → j with weight k_ij iff ρ_ij ≥ β and k_ij ≥ γ. All sums run over t in
 * increasing order, in double.
 *
 * <p><b>Blocking.</b> The centred data is stored time-major ({@code P[t*m + c]}), so for a block of 8 rows and a
 * tile of 512 columns the co-moments are accumulated by vectorisable AXPYs {@code acc[b][c] += D[r_b,t]·D[c,t]}
 * over t; only the tile (32 KB) is live. Only the upper triangle is computed (C is symmetric) and both edge
 * directions are tested per pair. Edges go straight into per-worker primitive buffers.
 *
 * <p><b>Pruning by variance when γ &gt; 1</b> (spec §2.4 step 5 theorem). Since |C_ij| ≤ √(SS_i·SS_j), k_ij ≥ γ
 * implies SS_j ≥ γ²·SS_i. Series are therefore processed in increasing-SS order and, for a row block starting at
 * series i, only columns with SS_j ≥ γ²·SS_i / (1+10⁻⁶)² are computed; the margin dwarfs rounding error, so the
 * skipped pairs provably have no edge and the result equals the full computation. Zero-variance series (masked
 * singular values) have C = 0 with everything and are left out. The same order is a topological order of the
 * graph; {@link Built#sortedAcyclic} says whether every edge indeed points forward in it.
 */
final class GraphBuilder {
    static final double EPS = 1e-15;
    private static final int ROWS = 8;
    private static final int COLS = 512;
    private static final double MARGIN = (1 + 1e-6) * (1 + 1e-6);

    /**
     * @param graph         the edges
     * @param order         the series the builder considered, in processing order
     * @param sortedAcyclic true if γ &gt; 1 processing was used and every edge goes from an earlier to a later
     *                      position of {@code order} (so reverse {@code order} is a valid evaluation order)
     */
    record Built(DependencyGraph graph, int[] order, boolean sortedAcyclic) {
    }

    private GraphBuilder() {
    }

    /** Centres every series and returns SS (length N); {@code centred} receives D time-major (T×N). */
    static double[] centre(Window w, double[] centred) {
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
                centred[base + i] = d;
                ss[i] += d * d;
            }
        }
        return ss;
    }

    static Built build(Window w, double beta, double gamma, int threads) {
        int n = w.n(), len = w.length();
        double[] centred = new double[len * n];
        double[] ss = centre(w, centred);
        boolean sorted = gamma > 1;
        int[] order = sorted ? increasingPositiveVariance(ss) : identity(n);
        int m = order.length;
        // Permute the centred data into processing order (time-major, m columns).
        double[] p;
        if (sorted) {
            p = new double[len * m];
            for (int t = 0; t < len; t++) {
                int src = t * n, dstBase = t * m;
                for (int c = 0; c < m; c++) p[dstBase + c] = centred[src + order[c]];
            }
        } else {
            p = centred;
        }
        double[] ssOrd = new double[m];
        for (int c = 0; c < m; c++) ssOrd[c] = ss[order[c]];

        int blocks = (m + ROWS - 1) / ROWS;
        int workers = Math.max(1, Math.min(threads, blocks));
        EdgeBuffer[] buffers = new EdgeBuffer[workers];
        boolean[] backward = new boolean[workers];
        AtomicInteger next = new AtomicInteger();
        final double[] data = p;
        Parallel.run(workers, id -> {
            EdgeBuffer buf = new EdgeBuffer();
            buffers[id] = buf;
            double[] acc = new double[ROWS * COLS];
            int blk;
            while ((blk = next.getAndIncrement()) < blocks) {
                int r0 = blk * ROWS;
                int rows = Math.min(ROWS, m - r0);
                int lo = r0;
                if (sorted) lo = Math.max(r0 + 1, lowerBound(ssOrd, gamma * gamma * ssOrd[r0] / MARGIN));
                for (int c0 = lo; c0 < m; c0 += COLS) {
                    int cols = Math.min(COLS, m - c0);
                    accumulate(data, m, len, r0, rows, c0, cols, acc);
                    if (test(acc, r0, rows, c0, cols, order, ssOrd, beta, gamma, sorted, buf)) backward[id] = true;
                }
            }
        });
        boolean anyBackward = false;
        for (boolean b : backward) anyBackward |= b;
        return new Built(EdgeBuffer.merge(n, buffers), order, sorted && !anyBackward);
    }

    /** acc[b*COLS + c] = Σ_t P[t, r0+b] · P[t, c0+c], t increasing. */
    private static void accumulate(double[] p, int m, int len, int r0, int rows, int c0, int cols, double[] acc) {
        for (int b = 0; b < rows; b++) java.util.Arrays.fill(acc, b * COLS, b * COLS + cols, 0.0);
        for (int t = 0; t < len; t++) {
            int base = t * m;
            int colBase = base + c0;
            for (int b = 0; b < rows; b++) {
                double a = p[base + r0 + b];
                if (a == 0.0) continue; // adds exactly nothing: acc + 0·x == acc for finite x
                int off = b * COLS;
                for (int c = 0; c < cols; c++) acc[off + c] += a * p[colBase + c];
            }
        }
    }

    /** Tests the pairs of one tile; returns true if an edge points backwards in processing order. */
    private static boolean test(double[] acc, int r0, int rows, int c0, int cols, int[] order, double[] ssOrd,
                                double beta, double gamma, boolean sorted, EdgeBuffer buf) {
        boolean backward = false;
        for (int b = 0; b < rows; b++) {
            int r = r0 + b;
            int i = order[r];
            double ssI = ssOrd[r];
            int off = b * COLS;
            int cStart = Math.max(0, (sorted ? r + 1 : r) - c0);
            for (int c = cStart; c < cols; c++) {
                double cij = acc[off + c];
                if (gamma > 0 && !(cij > 0)) continue; // k ≥ γ > 0 needs C > 0
                int col = c0 + c;
                double ssJ = ssOrd[col];
                double rho = cij / (Math.sqrt(ssI * ssJ) + EPS);
                if (!(rho >= beta)) continue;
                int j = order[col];
                double kij = cij / (ssI + EPS);
                if (kij >= gamma) buf.add(i, j, kij);
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
        Integer[] idx = new Integer[count];
        int p = 0;
        for (int i = 0; i < ss.length; i++) if (ss[i] > 0) idx[p++] = i;
        java.util.Arrays.sort(idx, (a, b) -> {
            int c = Double.compare(ss[a], ss[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] out = new int[count];
        for (int i = 0; i < count; i++) out[i] = idx[i];
        return out;
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
