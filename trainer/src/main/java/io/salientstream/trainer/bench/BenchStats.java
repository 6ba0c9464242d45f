package io.salientstream.trainer.bench;

import io.salientstream.trainer.task.ClassificationMetrics;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The statistics of {@code bench policies}: mean and sample standard deviation over seeds, a paired
 * bootstrap over test examples, and an exact two-sided sign test over seeds.
 */
public final class BenchStats {

  private BenchStats() {}

  public static double mean(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return x.length == 0 ? Double.NaN : s / x.length;
  }

  /** Sample standard deviation (n − 1); 0 for a single value. */
  public static double std(double[] x) {
    if (x.length < 2) {
      return 0;
    }
    double m = mean(x);
    double s = 0;
    for (double v : x) {
      s += (v - m) * (v - m);
    }
    return Math.sqrt(s / (x.length - 1));
  }

  /** The test predictions of one run: gold labels and predicted labels, aligned. */
  public record Predictions(int[] gold, int[] pred) {
    public Predictions {
      if (gold.length != pred.length) {
        throw new IllegalArgumentException(
            "gold and predictions differ in length: " + gold.length + " vs " + pred.length);
      }
    }
  }

  /** Which metric a bootstrap resamples. */
  public enum Metric {
    ACCURACY,
    MACRO_F1;

    double of(int[] gold, int[] pred, int classes) {
      return this == ACCURACY
          ? ClassificationMetrics.accuracy(gold, pred)
          : ClassificationMetrics.macroF1(gold, pred, classes);
    }
  }

  /**
   * A paired difference: the observed mean over seeds of metric(B) − metric(A), and the 2.5 % and
   * 97.5 % percentiles of its bootstrap distribution.
   */
  public record Interval(double diff, double lo, double hi) {
    /** Whether the 95 % interval excludes 0. */
    public boolean excludesZero() {
      return lo > 0 || hi < 0;
    }
  }

  /**
   * Paired bootstrap over test examples of mean over seeds of metric(b) − metric(a). Runs {@code
   * a.get(i)} and {@code b.get(i)} are the same seed on the same test examples (same gold labels,
   * checked). Each resample draws n example indices with replacement and applies the same indices
   * to every seed and both policies, so both the example and the seed variation enter the interval.
   */
  public static Interval pairedBootstrap(
      List<Predictions> a,
      List<Predictions> b,
      int classes,
      Metric metric,
      int resamples,
      long seed) {
    if (a.size() != b.size() || a.isEmpty()) {
      throw new IllegalArgumentException(
          "paired bootstrap needs the same seeds on both sides, got "
              + a.size()
              + " and "
              + b.size());
    }
    int n = a.get(0).gold().length;
    for (int s = 0; s < a.size(); s++) {
      if (!Arrays.equals(a.get(s).gold(), b.get(s).gold()) || a.get(s).gold().length != n) {
        throw new IllegalArgumentException(
            "paired bootstrap: run pair " + s + " was not evaluated on the same test examples");
      }
    }
    double observed = meanDiff(a, b, classes, metric, null);
    SplittableRandom rng = new SplittableRandom(seed);
    double[] dist = new double[resamples];
    int[] idx = new int[n];
    for (int r = 0; r < resamples; r++) {
      for (int i = 0; i < n; i++) {
        idx[i] = rng.nextInt(n);
      }
      dist[r] = meanDiff(a, b, classes, metric, idx);
    }
    Arrays.sort(dist);
    return new Interval(observed, percentile(dist, 0.025), percentile(dist, 0.975));
  }

  private static double meanDiff(
      List<Predictions> a, List<Predictions> b, int classes, Metric metric, int[] idx) {
    double sum = 0;
    for (int s = 0; s < a.size(); s++) {
      int[] g = pick(a.get(s).gold(), idx);
      sum +=
          metric.of(g, pick(b.get(s).pred(), idx), classes)
              - metric.of(g, pick(a.get(s).pred(), idx), classes);
    }
    return sum / a.size();
  }

  private static int[] pick(int[] x, int[] idx) {
    if (idx == null) {
      return x;
    }
    int[] out = new int[idx.length];
    for (int i = 0; i < idx.length; i++) {
      out[i] = x[idx[i]];
    }
    return out;
  }

  /** Linear-interpolated percentile of sorted values. */
  static double percentile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }

  /** A sign test over seeds: wins and losses of B against A (ties dropped) and its p-value. */
  public record SignTest(int wins, int losses, int ties, double p) {}

  /**
   * Exact two-sided sign test of paired values: wins = b &gt; a, losses = b &lt; a; p = min(1, 2 ·
   * P[X ≤ min(wins, losses)]) for X ~ Binomial(wins + losses, ½); p = 1 with no untied pair.
   */
  public static SignTest signTest(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("sign test needs paired values");
    }
    int w = 0;
    int l = 0;
    for (int i = 0; i < a.length; i++) {
      if (b[i] > a[i]) {
        w++;
      } else if (b[i] < a[i]) {
        l++;
      }
    }
    int n = w + l;
    int k = Math.min(w, l);
    double tail = 0;
    for (int i = 0; i <= k; i++) {
      tail += binom(n, i) * Math.pow(0.5, n);
    }
    return new SignTest(w, l, a.length - n, n == 0 ? 1.0 : Math.min(1.0, 2 * tail));
  }

  private static double binom(int n, int k) {
    double r = 1;
    for (int i = 1; i <= k; i++) {
      r = r * (n - k + i) / i;
    }
    return r;
  }
}
