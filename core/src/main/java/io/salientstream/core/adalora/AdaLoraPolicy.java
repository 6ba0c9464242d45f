package io.salientstream.core.adalora;

import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.BinaryState;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.Diagnostics;
import io.salientstream.core.policy.Inputs;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.core.policy.Params;
import io.salientstream.core.policy.PolicyKind;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.policy.StepInput;
import io.salientstream.core.schedule.CubicBudgetSchedule;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * AdaLoRA (spec {@code algorithms.md} §3.3–3.4) as a {@link RankPolicy}: it consumes per-triplet
 * scores (from {@link AdaLoraImportance}) and owns the budget schedule and the masking.
 *
 * <p>At every mask step t ({@link #isMaskStep}) it needs {@code StepInput.tripletScores}; at other
 * steps the scores may be null. Masking: k = b0 − b(t), thr = the k-th smallest score, keep iff
 * score &gt; thr (ties pruned, as peft's {@code <= threshold}). Between mask steps the decision is
 * <em>not</em> persistent: the host zeroes λ once and gradients may revive it (spec §3.4). At t = S
 * − t_f the mask is forced with b = bT and is persistent: the host re-applies it after every later
 * step, and should {@link AdaLoraImportance#reset()} as peft does. Decisions are effective at the
 * step they are made (peft masks inside {@code update_and_allocate(t)}).
 *
 * <p><b>Parameters</b>: {@code totalSteps} (required), {@code tInit} 0, {@code tFinal} 0, {@code
 * deltaT} 1, {@code targetRank} 8 (average per matrix; bT = targetRank·M) or {@code targetBudget}.
 * b0 = Σ r_k of the layout (peft {@code init_r}·M). Defaults are peft's {@code AdaLoraConfig}.
 */
public final class AdaLoraPolicy implements RankPolicy {
  public static final String NAME = "adalora";

  /**
   * The registration: SVD adapters; a run derives t_init 10 %, t_final 20 %, a mask every 1 % of
   * the steps and the target budget.
   */
  public static final PolicyKind KIND =
      new PolicyKind(
          NAME,
          PolicyKind.AdapterForm.SVD,
          Map.of(
              "totalSteps",
              "totalSteps",
              "initialWarmupSteps",
              "tInit",
              "finalSteps",
              "tFinal",
              "targetBudget",
              "targetBudget"),
          "tInit",
          "deltaT",
          run ->
              PolicyKind.ordered(
                  "totalSteps",
                  Integer.toString(run.steps()),
                  "tInit",
                  Integer.toString(run.steps() / 10),
                  "tFinal",
                  Integer.toString(run.steps() / 5),
                  "deltaT",
                  Integer.toString(Math.max(1, run.steps() / 100)),
                  "targetBudget",
                  run.targetBudget()),
          false,
          false,
          AdaLoraPolicy::fromParams);

  private final AdapterLayout layout;
  private final CubicBudgetSchedule schedule;
  private final int n;
  private long lastStep = -1;
  private Decision lastDecision;

  public AdaLoraPolicy(AdapterLayout layout, CubicBudgetSchedule schedule) {
    if (schedule.initialBudget() != layout.totalRank()) {
      throw new IllegalArgumentException(
          NAME
              + ": schedule initial budget "
              + schedule.initialBudget()
              + " != N="
              + layout.totalRank());
    }
    this.layout = layout;
    this.schedule = schedule;
    this.n = layout.totalRank();
  }

  public static AdaLoraPolicy fromParams(Params p, AdapterLayout layout) {
    long total = p.atLeast("totalSteps", p.requireLong("totalSteps"), 1);
    long tInit = p.atLeast("tInit", p.longValue("tInit", 0), 0);
    long tFinal = p.atLeast("tFinal", p.longValue("tFinal", 0), 0);
    if (tInit >= total - tFinal)
      throw p.bad(
          "tInit", "must be < totalSteps - tFinal = " + (total - tFinal) + ", got " + tInit);
    long deltaT = p.atLeast("deltaT", p.longValue("deltaT", 1), 1);
    int n = layout.totalRank();
    int target;
    String which;
    if (p.has("targetBudget")) {
      if (p.has("targetRank"))
        throw p.bad("targetBudget", "conflicts with targetRank; give one of them");
      which = "targetBudget";
      target = p.intValue("targetBudget", 0);
    } else {
      which = "targetRank";
      target = Math.multiplyExact(p.intValue("targetRank", 8), layout.size());
    }
    if (target < 0 || target > n)
      throw p.bad(which, "gives a target budget of " + target + ", outside [0, N=" + n + "]");
    return new AdaLoraPolicy(
        layout, new CubicBudgetSchedule(total, tInit, tFinal, deltaT, n, target));
  }

  public CubicBudgetSchedule schedule() {
    return schedule;
  }

  /** True if {@link #onStep} at step t decides a mask and therefore needs triplet scores. */
  public boolean isMaskStep(long t) {
    return schedule.isMaskStep(t);
  }

  @Override
  public boolean decidesAt(long step) {
    return schedule.isMaskStep(step);
  }

  @Override
  public Set<Input> inputs() {
    return RankPolicy.inputSet(Input.TRIPLET_SCORES);
  }

  /** The triplet scores, at mask steps only (the EMAs behind them are the host's). */
  @Override
  public Set<Input> inputsAt(long step) {
    return isMaskStep(step) ? inputs() : RankPolicy.inputSet();
  }

  /**
   * Yes: between mask steps the masks are applied once and gradients may revive pruned values (spec
   * §3.4).
   */
  @Override
  public boolean mayRevive() {
    return true;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public AdapterLayout layout() {
    return layout;
  }

  @Override
  public int budgetAt(long step) {
    return schedule.budgetAt(step);
  }

  @Override
  public Optional<Decision> lastDecision() {
    return Optional.ofNullable(lastDecision);
  }

  @Override
  public Optional<Decision> onStep(StepInput in) {
    long t = in.step();
    Inputs.requireAfter(NAME, t, lastStep);
    if (!schedule.isMaskStep(t)) {
      lastStep = t;
      return Optional.empty();
    }
    double[] s = Inputs.requireVector(NAME, t, "tripletScores", in.tripletScores(), n);
    lastStep = t;
    int budget = schedule.budgetAt(t);
    int k = n - budget;
    double thr;
    if (k <= 0) {
      thr = Double.NEGATIVE_INFINITY;
    } else {
      double[] sorted = s.clone();
      Arrays.sort(sorted);
      thr = sorted[k - 1];
    }
    boolean[] keep = new boolean[n];
    for (int i = 0; i < n; i++) keep[i] = s[i] > thr;
    boolean forced = t == schedule.finalMaskStep();
    lastDecision =
        new Decision(
            t,
            t,
            budget,
            forced,
            new MaskUpdate.TripletMask(keep),
            Diagnostics.ofScores(thr, s.clone()));
    return Optional.of(lastDecision);
  }

  /** The snapshot layout (type {@code ADA}, version 1). */
  public static final BinaryState.Format SNAPSHOT =
      new BinaryState.Format("ADA", 1, NAME + " policy snapshot");

  /**
   * Binary ({@link BinaryState}), like SalientLoRA's: the salience-analyzer snapshots at every mask
   * step.
   */
  @Override
  public byte[] snapshotState() {
    Decision d = lastDecision;
    BinaryState.Writer w = SNAPSHOT.writer(64 + 8 * n + n / 8);
    w.putString(NAME).putInt(n).putLong(lastStep).putInt(d == null ? 0 : 1);
    if (d != null) {
      w.putLong(d.decidedAt())
          .putInt(d.budget())
          .putInt(d.persistent() ? 1 : 0)
          .putBooleans(((MaskUpdate.TripletMask) d.mask()).keep())
          .putDouble(d.diagnostics().threshold())
          .putDoubles(d.diagnostics().scores());
    }
    return w.toBytes();
  }

  @Override
  public void restoreState(byte[] bytes) {
    BinaryState.Reader r = SNAPSHOT.reader(bytes);
    String policy = r.getString();
    int size = r.getInt();
    long last = r.getLong();
    Decision d = null;
    if (r.getInt() == 1) {
      d =
          decision(
              r.getLong(),
              r.getInt(),
              r.getInt() == 1,
              r.getBooleans(),
              r.getDouble(),
              r.getDoubles(),
              size);
    }
    r.requireEnd();
    if (!NAME.equals(policy) || size != n) {
      throw new IllegalArgumentException(
          NAME
              + ": snapshot is for policy '"
              + policy
              + "' with N="
              + size
              + ", this policy has N="
              + n);
    }
    lastStep = last;
    lastDecision = d;
  }

  private static Decision decision(
      long decidedAt,
      int budget,
      boolean persistent,
      boolean[] keep,
      double threshold,
      double[] scores,
      int n) {
    if (keep == null || keep.length != n)
      throw new IllegalArgumentException(
          NAME + ": snapshot mask does not have N=" + n + " entries");
    return new Decision(
        decidedAt,
        decidedAt,
        budget,
        persistent,
        new MaskUpdate.TripletMask(keep),
        Diagnostics.ofScores(threshold, scores));
  }
}
