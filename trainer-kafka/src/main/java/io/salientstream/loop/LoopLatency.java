package io.salientstream.loop;

import java.util.Arrays;

/**
 * Control-loop latency samples: from the moment the trainer handed the window-closing step event to
 * the producer to the moment the trainer received the resulting command (same JVM, monotonic
 * clock). Thread-safe.
 */
public final class LoopLatency {

  private double[] millis = new double[256];
  private int count;

  public synchronized void add(double ms) {
    if (count == millis.length) {
      millis = Arrays.copyOf(millis, count * 2);
    }
    millis[count++] = ms;
  }

  public synchronized void addAll(LoopLatency other) {
    for (double v : other.snapshot()) {
      add(v);
    }
  }

  public synchronized int count() {
    return count;
  }

  public synchronized double[] snapshot() {
    return Arrays.copyOf(millis, count);
  }

  /** The p-th percentile (nearest rank), NaN without samples. */
  public double percentile(double p) {
    double[] s = snapshot();
    if (s.length == 0) {
      return Double.NaN;
    }
    Arrays.sort(s);
    int rank = (int) Math.ceil(p / 100.0 * s.length);
    return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
  }
}
