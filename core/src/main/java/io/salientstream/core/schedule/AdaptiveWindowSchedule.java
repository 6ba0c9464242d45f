package io.salientstream.core.schedule;

import io.salientstream.core.salient.SalienceMode;
import java.util.ArrayList;
import java.util.List;

/**
 * SalientLoRA's adaptive time-series window and budget schedule (spec {@code algorithms.md} §2.3).
 *
 * <p>For each step s (fed once per optimizer step, in order):
 *
 * <ul>
 *   <li>warm-up, s ≤ n_i: budget b0, no window end;
 *   <li>final phase, s &gt; S_tot − F: budget bT, no window end;
 *   <li>allocation, n_i &lt; s ≤ S_tot − F:
 *       <pre>
 *   c(s) = (s − n_i) / D          reference: D = S_tot − F (= n_i + n_f, so c never reaches 1)
 *                                 clean:     D = n_f = S_tot − F − n_i
 *   T(s) = rint( T_fin + (T_init − T_fin)·(1 − c)³ )     half-to-even, like Python's round()
 *   b(s) = trunc( b0 − (T(s)/T_fin)·(b0 − bT) )           truncation toward zero, like Python's int()
 *   countdown ← countdown − 1;  if countdown == 0: window end, next window length and countdown ← T(s)
 *     </pre>
 *       The countdown starts at T_init (10 in the reference), so the first window covers steps
 *       n_i+1 … n_i+T_init. <b>Clean mode</b> also forces a window end at s = S_tot − F (over the
 *       pending partial window) with budget exactly bT, so the allocation phase ends at the target
 *       budget (the reference stops at the budget of the last completed window, above bT).
 * </ul>
 *
 * The budget is a pure function of s ({@link #budgetAt}); only the window ends depend on the
 * countdown state.
 */
public final class AdaptiveWindowSchedule {

  /**
   * @param mode reference or clean semantics (denominator, forced final window)
   * @param totalSteps S_tot
   * @param initialWarmup n_i
   * @param finalSteps F (the reference's {@code final_warmup})
   * @param initialBudget b0 (the reference uses N)
   * @param targetBudget bT
   * @param tInit initial window length and first countdown (10)
   * @param tFinal final window length (200)
   */
  public record Config(
      SalienceMode mode,
      long totalSteps,
      long initialWarmup,
      long finalSteps,
      int initialBudget,
      int targetBudget,
      int tInit,
      int tFinal) {
    public Config {
      if (mode == null) throw new IllegalArgumentException("schedule: mode is required");
      if (totalSteps <= 0)
        throw new IllegalArgumentException("schedule: totalSteps must be > 0, got " + totalSteps);
      if (initialWarmup < 0)
        throw new IllegalArgumentException(
            "schedule: initialWarmup must be >= 0, got " + initialWarmup);
      if (finalSteps < 0)
        throw new IllegalArgumentException("schedule: finalSteps must be >= 0, got " + finalSteps);
      if (initialWarmup >= totalSteps - finalSteps) {
        throw new IllegalArgumentException(
            "schedule: need initialWarmup < totalSteps - finalSteps (an allocation phase), got "
                + initialWarmup
                + " >= "
                + (totalSteps - finalSteps));
      }
      if (initialBudget <= 0)
        throw new IllegalArgumentException(
            "schedule: initialBudget must be > 0, got " + initialBudget);
      if (targetBudget < 0 || targetBudget > initialBudget) {
        throw new IllegalArgumentException(
            "schedule: targetBudget must be in [0, initialBudget="
                + initialBudget
                + "], got "
                + targetBudget);
      }
      if (tInit < 1)
        throw new IllegalArgumentException("schedule: tInit must be >= 1, got " + tInit);
      if (tFinal < tInit)
        throw new IllegalArgumentException(
            "schedule: tFinal must be >= tInit=" + tInit + ", got " + tFinal);
    }

    /** S_tot − F, the last allocation step. */
    public long allocationEnd() {
      return totalSteps - finalSteps;
    }
  }

  /**
   * What the schedule says at one step.
   *
   * @param step s
   * @param budget b_s
   * @param windowEnd true if a salience computation runs at this step
   * @param forced true if the window end is clean mode's forced final one
   * @param nextWindow the length of the next window (T(s)) at a window end, otherwise the current
   *     one
   */
  public record Tick(long step, int budget, boolean windowEnd, boolean forced, int nextWindow) {}

  private final Config config;
  private int countdown;
  private int currentWindow;

  public AdaptiveWindowSchedule(Config config) {
    this.config = config;
    this.countdown = config.tInit();
    this.currentWindow = config.tInit();
  }

  public Config config() {
    return config;
  }

  /** T(s) for an allocation step (pure). */
  public int windowLengthAt(long s) {
    Config c = config;
    double denom =
        c.mode() == SalienceMode.REFERENCE
            ? c.allocationEnd()
            : c.allocationEnd() - c.initialWarmup();
    double progress = (s - c.initialWarmup()) / denom;
    double remaining = 1 - progress;
    return (int) Math.rint(c.tFinal() + (c.tInit() - c.tFinal()) * Math.pow(remaining, 3));
  }

  /** The budget b_s (pure function of s). */
  public int budgetAt(long s) {
    Config c = config;
    if (s <= c.initialWarmup()) return c.initialBudget();
    if (s > c.allocationEnd()) return c.targetBudget();
    int t = windowLengthAt(s);
    return (int)
        (c.initialBudget() - ((double) t / c.tFinal()) * (c.initialBudget() - c.targetBudget()));
  }

  /**
   * Advances the countdown for step s and reports the budget and whether a window ends. Call once
   * per step.
   */
  public Tick next(long s) {
    Config c = config;
    if (s <= c.initialWarmup()) return new Tick(s, c.initialBudget(), false, false, currentWindow);
    if (s > c.allocationEnd()) return new Tick(s, c.targetBudget(), false, false, currentWindow);
    int t = windowLengthAt(s);
    int budget =
        (int)
            (c.initialBudget()
                - ((double) t / c.tFinal()) * (c.initialBudget() - c.targetBudget()));
    countdown--;
    boolean end = countdown == 0;
    boolean forced = false;
    if (c.mode() == SalienceMode.CLEAN && s == c.allocationEnd()) {
      forced = !end;
      end = true;
      budget = c.targetBudget();
    }
    if (end) {
      currentWindow = t;
      countdown = t;
    }
    return new Tick(s, budget, end, forced, currentWindow);
  }

  public int countdown() {
    return countdown;
  }

  public int currentWindow() {
    return currentWindow;
  }

  /** Restores the countdown state (checkpoints). */
  public void restore(int countdown, int currentWindow) {
    if (countdown < 0 || currentWindow < 1)
      throw new IllegalArgumentException(
          "schedule: bad state countdown=" + countdown + " window=" + currentWindow);
    this.countdown = countdown;
    this.currentWindow = currentWindow;
  }

  /** Runs a fresh schedule over all steps 0..S_tot−1 and returns the window ends. */
  public static List<Tick> windowEnds(Config config) {
    AdaptiveWindowSchedule s = new AdaptiveWindowSchedule(config);
    List<Tick> out = new ArrayList<>();
    for (long step = config.initialWarmup() + 1; step <= config.allocationEnd(); step++) {
      Tick t = s.next(step);
      if (t.windowEnd()) out.add(t);
    }
    return out;
  }
}
