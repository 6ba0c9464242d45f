package io.salientstream.core.salient;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Statistics, dependency graph and influence domain in one pass for γ &gt; 1 (spec §2.4 steps 3–6),
 * keeping only O(N·T) memory: the graph is never stored.
 *
 * <p>In increasing-SS order every edge goes from a lower to a higher position ({@link
 * GraphBuilder}), so the influence DP can run from the highest position down. Row groups (64
 * series) are therefore processed from the last to the first: a worker computes a group's tiles and
 * edges in parallel with the others, then waits until every higher group has finished its DP,
 * evaluates Inf for its rows (highest first, each sum over the row's edges in increasing column
 * position), and drops the edges. Only the groups in flight hold edges.
 *
 * <p>The result equals {@link InfluenceDomain#compute} on the stored position graph bit for bit
 * (same sums in the same order). If rounding produced an edge against the variance order (γ barely
 * above 1), or clean mode sees an overflow, it returns null and the caller uses the stored-graph
 * path (cycle removal, log-space fallback).
 */
final class StreamingInfluence {
  /** Influence per global index (globally normalised, sinks 0) and the number of edges. */
  record Result(double[] influence, long edges) {}

  private StreamingInfluence() {}

  /** The DP for the rows of one group, highest position first; returns the group's edge count. */
  private static long evaluateGroup(
      int grp, int m, GraphBuilder.GroupEdges ge, double[] inf, boolean[] hasOut) {
    long count = 0;
    int g0 = grp * GraphBuilder.GROUP;
    for (int b = Math.min(GraphBuilder.GROUP, m - g0) - 1; b >= 0; b--) {
      int cnt = ge.count[b];
      if (cnt == 0) continue;
      int[] dst = ge.dst[b];
      double[] wt = ge.w[b];
      double s = 0;
      for (int e = 0; e < cnt; e++) {
        int j = dst[e];
        s += wt[e] * (hasOut[j] ? inf[j] : 1.0);
      }
      inf[g0 + b] = s;
      hasOut[g0 + b] = true;
      count += cnt;
    }
    return count;
  }

  /**
   * Commit order between workers: group g's DP may run once every group above g has finished its
   * own.
   */
  private static final class Pipeline {
    private int lowestDone;
    private boolean aborted;
    private boolean backward;

    Pipeline(int groups) {
      lowestDone = groups;
    }

    /** Waits until all groups above {@code grp} are done; false if another worker failed. */
    synchronized boolean awaitTurn(int grp) {
      while (lowestDone != grp + 1 && !aborted) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("salience computation interrupted", e);
        }
      }
      return !aborted;
    }

    synchronized void done(int grp, boolean sawBackward) {
      backward |= sawBackward;
      lowestDone = grp;
      notifyAll();
    }

    synchronized void abort() {
      aborted = true;
      notifyAll();
    }

    synchronized boolean backward() {
      return backward;
    }
  }

  static Result compute(Window w, double beta, double gamma, boolean clean, int threads) {
    if (!(gamma > 1)) throw new IllegalArgumentException("streaming influence needs gamma > 1");
    GraphBuilder.Prepared pr = GraphBuilder.prepare(w, true);
    int m = pr.m(), groups = pr.groups();
    double[] inf = new double[m];
    boolean[] hasOut = new boolean[m];
    AtomicInteger next = new AtomicInteger(groups - 1);
    AtomicLong edges = new AtomicLong();
    Pipeline pipeline = new Pipeline(groups);
    int workers = Math.max(1, Math.min(threads, groups));
    Parallel.run(
        workers,
        id -> {
          double[] c16 = new double[16];
          EdgeBuffer backward = new EdgeBuffer();
          GraphBuilder.GroupEdges ge =
              new GraphBuilder.GroupEdges(); // reused: allocation stays O(N) per worker
          int grp;
          try {
            while ((grp = next.getAndDecrement()) >= 0) {
              ge.reset();
              boolean back = GraphBuilder.sweepGroup(pr, grp, beta, gamma, c16, ge, backward);
              if (!pipeline.awaitTurn(grp)) return;
              edges.addAndGet(evaluateGroup(grp, m, ge, inf, hasOut));
              pipeline.done(grp, back);
            }
          } catch (RuntimeException | Error e) {
            pipeline.abort();
            throw e;
          }
        });
    if (pipeline.backward()) return null;
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
