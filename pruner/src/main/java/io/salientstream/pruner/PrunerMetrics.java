package io.salientstream.pruner;

import java.util.concurrent.atomic.LongAdder;

/** Counters of one pruner instance (also registered with Micrometer by {@link PrunerService}). */
public final class PrunerMetrics {
  public final LongAdder commands = new LongAdder();
  public final LongAdder duplicates = new LongAdder();
  public final LongAdder deadLetters = new LongAdder();

  /**
   * Reports of a resumed run that re-decided window ends already commanded (the pattern was
   * rewound).
   */
  public final LongAdder rewinds = new LongAdder();
}
