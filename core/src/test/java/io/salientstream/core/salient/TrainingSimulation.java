package io.salientstream.core.salient;

import java.util.SplittableRandom;

/**
 * Deterministic stand-in for a trainer: the singular values at step s are a pure function of (seed,
 * s) — shared random-walk factors with per-series loadings plus noise — and R_s drifts around 1.
 * Not real training data; it only has to make window statistics non-trivial.
 */
final class TrainingSimulation {
  private final int n;
  private final double[][] factor;
  private final int[] group;
  private final double[] level, load, noise;
  private final long seed;

  TrainingSimulation(int n, long steps, long seed) {
    this.n = n;
    this.seed = seed;
    SplittableRandom rnd = new SplittableRandom(seed);
    int factors = 6;
    factor = new double[factors][(int) steps + 1];
    for (int g = 0; g < factors; g++) {
      double v = 0;
      for (int s = 0; s <= steps; s++) {
        v += rnd.nextGaussian() * 0.05;
        factor[g][s] = v;
      }
    }
    group = new int[n];
    level = new double[n];
    load = new double[n];
    noise = new double[n];
    for (int i = 0; i < n; i++) {
      group[i] = rnd.nextInt(factors);
      level[i] = rnd.nextDouble(0.05, 0.5);
      load[i] = 0.01 * Math.pow(10, rnd.nextDouble(0, 1.5));
      noise[i] = load[i] * rnd.nextDouble(0.05, 0.5);
    }
  }

  double[] lambdas(long s) {
    SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + s);
    double[] out = new double[n];
    for (int i = 0; i < n; i++)
      out[i] = level[i] + load[i] * factor[group[i]][(int) s] + noise[i] * rnd.nextGaussian();
    return out;
  }

  double reg(long s) {
    return 1 + 0.3 * Math.sin(s * 0.37) + 0.05 * new SplittableRandom(seed + 17 * s).nextDouble();
  }
}
