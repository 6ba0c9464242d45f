package io.salientstream.core.salient;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Statistics, dependency graph and influence domain in one pass for γ &gt; 1 (spec §2.4 steps 3–6), keeping only
 * O(N·T) memory: the graph is never stored.
 *
 * <p>In increasing-SS order every edge goes from a lower to a higher position ({@link GraphBuilder}), so the
 * influence DP can run from the highest position down. Row groups (64 series) are therefore processed from the last
 * to the first: a worker computes a group's tiles and edges in parallel with the others, then waits until every
 * higher group has finished its DP, evaluates Inf for its rows (highest first, each sum over the row's edges in
 * increasing column position), and drops the edges. Only the groups in flight hold edges.
 *
 * <p>The result equals {@link InfluenceDomain#compute} on the stored position graph bit for bit (same sums in the
 * same order). If rounding produced an edge against the variance order (γ barely above 1), or clean mode sees an
 * overflow, it returns null and the caller uses the stored-graph path (cycle removal, log-space fallback).
 */
final class StreamingInfluence {
    /** Influence per global index (globally normalised, sinks 0) and the number of edges. */
    record Result(double[] influence, long edges) {
    }

    private StreamingInfluence() {
    }

    static Result compute(Window w, double beta, double gamma, boolean clean, int threads) {
        if (!(gamma > 1)) throw new IllegalArgumentException("streaming influence needs gamma > 1");
        GraphBuilder.Prepared pr = GraphBuilder.prepare(w, true);
        int m = pr.m(), groups = pr.groups();
        double[] inf = new double[m];
        boolean[] hasOut = new boolean[m];
        AtomicInteger next = new AtomicInteger(groups - 1);
        AtomicLong edges = new AtomicLong();
        Object lock = new Object();
        int[] lowestDone = {groups}; // all groups >= lowestDone[0] have finished their DP (guarded by lock)
        boolean[] failed = {false};
        int workers = Math.max(1, Math.min(threads, groups));
        Parallel.run(workers, id -> {
            double[] c16 = new double[16];
            EdgeBuffer backward = new EdgeBuffer();
            GraphBuilder.GroupEdges ge = new GraphBuilder.GroupEdges(); // reused: allocation stays O(N) per worker
            int grp;
            while ((grp = next.getAndDecrement()) >= 0) {
                ge.reset();
                boolean back = GraphBuilder.sweepGroup(pr, grp, beta, gamma, c16, ge, backward);
                synchronized (lock) {
                    while (lowestDone[0] != grp + 1) {
                        try {
                            lock.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException("salience computation interrupted", e);
                        }
                    }
                }
                long count = 0;
                int g0 = grp * GraphBuilder.GROUP;
                for (int b = Math.min(GraphBuilder.GROUP, m - g0) - 1; b >= 0; b--) {
                    int r = g0 + b;
                    int cnt = ge.count[b];
                    if (cnt == 0) continue;
                    int[] dst = ge.dst[b];
                    double[] wt = ge.w[b];
                    double s = 0;
                    for (int e = 0; e < cnt; e++) {
                        int j = dst[e];
                        s += wt[e] * (hasOut[j] ? inf[j] : 1.0);
                    }
                    inf[r] = s;
                    hasOut[r] = true;
                    count += cnt;
                }
                edges.addAndGet(count);
                synchronized (lock) {
                    if (back) failed[0] = true;
                    lowestDone[0] = grp;
                    lock.notifyAll();
                }
            }
        });
        if (failed[0]) return null;
        long e = edges.get();
        double[] out = new double[pr.n()];
        if (e == 0) return new Result(out, 0);
        double total = 0;
        for (int p = 0; p < m; p++) total += inf[p];
        if (clean) {
            boolean bad = !Double.isFinite(total) || total == 0;
            for (int p = 0; p < m && !bad; p++) bad = !Double.isFinite(inf[p]);
            if (bad) return null;
        }
        int[] order = pr.order();
        for (int p = 0; p < m; p++) out[order[p]] = inf[p] / total;
        return new Result(out, e);
    }
}
