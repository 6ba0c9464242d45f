package io.salientstream.core.salient;

import java.util.SplittableRandom;

/**
 * Deterministic synthetic windows for benchmarks, property tests and demos — not real training
 * data.
 *
 * <p>Series i of a window is {@code level_i + load_i · f_{g(i)}(t) + noise_i · ε}: every series
 * follows one of {@code factors} shared random walks (so groups are strongly correlated), with
 * log-uniform loadings spanning two decades (so variances differ and slope edges appear), plus
 * independent noise. A fraction of the series is masked (exactly 0 everywhere, like pruned singular
 * values). R_t is uniform in [0.5, 1.5].
 */
public final class SyntheticWindow {
  private SyntheticWindow() {}

  public static Window generate(
      int matrices, int rank, int length, double maskedFraction, long seed) {
    int n = matrices * rank;
    SplittableRandom rnd = new SplittableRandom(seed);
    int factors = 16;
    double[][] f = new double[factors][length];
    for (int g = 0; g < factors; g++) {
      double v = 0;
      double drift = rnd.nextDouble(-0.05, 0.05);
      for (int t = 0; t < length; t++) {
        v += drift + rnd.nextGaussian() * 0.1;
        f[g][t] = v;
      }
    }
    double[] x = new double[length * n];
    for (int i = 0; i < n; i++) {
      if (rnd.nextDouble() < maskedFraction) continue;
      int g = rnd.nextInt(factors);
      double level = rnd.nextDouble(0.05, 0.5);
      double load = 1e-3 * Math.pow(10, rnd.nextDouble(0, 2));
      double noise = load * rnd.nextDouble(0.05, 0.6);
      for (int t = 0; t < length; t++)
        x[t * n + i] = level + load * f[g][t] + noise * rnd.nextGaussian();
    }
    double[] r = new double[length];
    for (int t = 0; t < length; t++) r[t] = rnd.nextDouble(0.5, 1.5);
    return new Window(x, length, n, r, Window.uniformOffsets(matrices, rank));
  }
}
