package io.salientstream.analyzer;

import java.util.concurrent.atomic.LongAdder;

/** Counters of one analyzer instance (exposed by the launcher and the benchmarks). */
public final class AnalyzerMetrics {
  public final LongAdder steps = new LongAdder();
  public final LongAdder decisions = new LongAdder();
  public final LongAdder duplicates = new LongAdder();
  public final LongAdder deadLetters = new LongAdder();
  public final LongAdder rebuilds = new LongAdder();

  /** Resumed runs that continued before the analyzer's last step (rows dropped, policy rebuilt). */
  public final LongAdder rewinds = new LongAdder();

  public final LongAdder parked = new LongAdder();

  /** Wall time spent in the policy's window-end computations (the salience itself), summed. */
  public final LongAdder decisionNanos = new LongAdder();

  public volatile double lastComputeMillis;

  @Override
  public String toString() {
    return "steps="
        + steps.sum()
        + " decisions="
        + decisions.sum()
        + " duplicates="
        + duplicates.sum()
        + " deadLetters="
        + deadLetters.sum()
        + " rebuilds="
        + rebuilds.sum()
        + " rewinds="
        + rewinds.sum()
        + " parked="
        + parked.sum();
  }
}
