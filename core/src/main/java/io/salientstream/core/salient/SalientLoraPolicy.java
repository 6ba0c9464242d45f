package io.salientstream.core.salient;

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
import io.salientstream.core.schedule.AdaptiveWindowSchedule;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * SalientLoRA (spec {@code algorithms.md} §2) as a {@link RankPolicy}.
 *
 * <p><b>Per step s</b> (spec §2.2, step 4 of the event order), given R_s and the N singular values
 * after the optimizer update:
 *
 * <ol>
 *   <li>a mask decided at an earlier window end becomes the mask in force once s ≥ its {@code
 *       effectiveFrom};
 *   <li>record: if n_i &lt; s ≤ S_tot − F, the masked values (pruned entries exactly 0) and R_s are
 *       appended to the window — one R per optimizer step, so R stays aligned with the columns;
 *   <li>the {@link AdaptiveWindowSchedule} gives the budget and whether the window ends;
 *   <li>at a window end the {@link SalienceEngine} computes the new mask over the window, which is
 *       then cleared. The decision is effective from s+1 and persistent: the host re-applies it
 *       after every later step (also through the final phase).
 * </ol>
 *
 * Steps must be fed consecutively (the window countdown counts calls).
 *
 * <p><b>Parameters</b> ({@link #fromParams}): {@code mode} reference|clean (default clean), {@code
 * totalSteps} (required, S_tot), {@code initialWarmup} (required, n_i), {@code finalSteps}
 * (required, F), {@code targetRank} (average final rank per matrix, default 2) or {@code
 * targetBudget} (bT directly), {@code beta} 0.9, {@code gamma} 2, {@code lambda} 0.7 (clean only;
 * weight of the influence term), {@code tInit} 10, {@code tFinal} 200, {@code threads} (default:
 * available processors, at most 8).
 */
public final class SalientLoraPolicy implements RankPolicy {
  public static final String NAME = "salientlora";

  /**
   * The registration: SVD adapters; a run derives warm-up 10 %, final phase 20 % and the target
   * budget; NaN scores for fully pruned matrices in the reference mode.
   */
  public static final PolicyKind KIND =
      new PolicyKind(
          NAME,
          PolicyKind.AdapterForm.SVD,
          Map.of(
              "totalSteps",
              "totalSteps",
              "initialWarmupSteps",
              "initialWarmup",
              "finalSteps",
              "finalSteps",
              "targetBudget",
              "targetBudget"),
          "initialWarmup",
          null,
          run ->
              PolicyKind.ordered(
                  "totalSteps",
                  Integer.toString(run.steps()),
                  "initialWarmup",
                  Integer.toString(run.steps() / 10),
                  "finalSteps",
                  Integer.toString(run.steps() / 5),
                  "targetBudget",
                  run.targetBudget()),
          false,
          true,
          SalientLoraPolicy::fromParams);

  /** Everything that configures the policy (see class doc for meanings and defaults). */
  public record Config(
      SalienceParams salience,
      long totalSteps,
      long initialWarmup,
      long finalSteps,
      int targetBudget,
      int tInit,
      int tFinal,
      int threads) {}

  private final AdapterLayout layout;
  private final Config config;
  private final int n;
  private final int[] offsets;
  private final SalienceEngine engine;
  private final AdaptiveWindowSchedule schedule;
  private long[] windowEndSteps; // computed on first use by decidesAt

  private long lastStep = -1;
  private boolean[] active;
  private boolean[] pending;
  private long pendingFrom = -1;
  private double[] window;
  private double[] reg;
  private int rows;
  private Decision lastDecision;

  public SalientLoraPolicy(AdapterLayout layout, Config config) {
    this.layout = layout;
    this.config = config;
    this.n = layout.totalRank();
    this.offsets = layout.offsets();
    this.engine = new SalienceEngine(config.salience(), config.threads());
    this.schedule =
        new AdaptiveWindowSchedule(
            new AdaptiveWindowSchedule.Config(
                config.salience().mode(),
                config.totalSteps(),
                config.initialWarmup(),
                config.finalSteps(),
                n,
                config.targetBudget(),
                config.tInit(),
                config.tFinal()));
    this.active = new boolean[n];
    Arrays.fill(active, true);
    this.window = new double[n * Math.min(config.tInit(), 16)];
    this.reg = new double[16];
  }

  /** Builds a policy from factory parameters (errors name the parameter). */
  public static SalientLoraPolicy fromParams(Params p, AdapterLayout layout) {
    SalienceMode mode = SalienceMode.parse(p.choice("mode", "clean", "reference", "clean"));
    long total = p.atLeast("totalSteps", p.requireLong("totalSteps"), 1);
    long warm = p.atLeast("initialWarmup", p.requireLong("initialWarmup"), 0);
    long fin = p.atLeast("finalSteps", p.requireLong("finalSteps"), 0);
    if (warm >= total - fin)
      throw p.bad(
          "initialWarmup",
          "must be < totalSteps - finalSteps = " + (total - fin) + ", got " + warm);
    int n = layout.totalRank();
    int target;
    if (p.has("targetBudget")) {
      if (p.has("targetRank"))
        throw p.bad("targetBudget", "conflicts with targetRank; give one of them");
      target = p.intValue("targetBudget", 0);
    } else {
      target = Math.multiplyExact(p.intValue("targetRank", 2), layout.size());
    }
    if (target < 0 || target > n)
      throw p.bad(
          p.has("targetBudget") ? "targetBudget" : "targetRank",
          "gives a target budget of " + target + ", outside [0, N=" + n + "]");
    double beta = p.doubleValue("beta", SalienceParams.DEFAULT_BETA);
    double gamma = p.doubleValue("gamma", SalienceParams.DEFAULT_GAMMA);
    double lambda;
    if (mode == SalienceMode.REFERENCE) {
      if (p.has("lambda"))
        throw p.bad("lambda", "applies to clean mode only (reference mode sums the two terms)");
      lambda = 0.5;
    } else {
      lambda = p.inRange("lambda", p.doubleValue("lambda", SalienceParams.DEFAULT_LAMBDA), 0, 1);
    }
    int tInit = (int) p.atLeast("tInit", p.intValue("tInit", 10), 1);
    int tFinal = (int) p.atLeast("tFinal", p.intValue("tFinal", 200), tInit);
    int threads = (int) p.atLeast("threads", p.intValue("threads", Parallel.defaultThreads()), 1);
    return new SalientLoraPolicy(
        layout,
        new Config(
            new SalienceParams(mode, beta, gamma, lambda),
            total,
            warm,
            fin,
            target,
            tInit,
            tFinal,
            threads));
  }

  public Config config() {
    return config;
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

  /** The mask in force at the last fed step (true = kept). */
  public boolean[] maskInForce() {
    return active.clone();
  }

  /** R and λ at every step (recorded inside the allocation phase; the window counts every step). */
  @Override
  public Set<Input> inputs() {
    return RankPolicy.inputSet(Input.ORTH_REG_LOSS, Input.SINGULAR_VALUES);
  }

  @Override
  public Set<Input> inputsAt(long step) {
    return inputs();
  }

  /** Never: pruned singular values are re-masked every step and score 0 (spec §2.4). */
  @Override
  public boolean mayRevive() {
    return false;
  }

  /**
   * True at the window ends of a run that feeds every step (a fresh schedule replayed once, then
   * cached).
   */
  @Override
  public boolean decidesAt(long step) {
    if (windowEndSteps == null) {
      windowEndSteps =
          AdaptiveWindowSchedule.windowEnds(schedule.config()).stream()
              .mapToLong(AdaptiveWindowSchedule.Tick::step)
              .toArray();
    }
    return Arrays.binarySearch(windowEndSteps, step) >= 0;
  }

  @Override
  public Optional<Decision> onStep(StepInput in) {
    long s = in.step();
    Inputs.requireAfter(NAME, s, lastStep);
    if (lastStep >= 0 && s != lastStep + 1) {
      throw new IllegalArgumentException(
          NAME
              + ": steps must be consecutive (the window counts steps): got "
              + s
              + " after "
              + lastStep);
    }
    boolean recording = s > config.initialWarmup() && s <= schedule.config().allocationEnd();
    if (recording) {
      Inputs.requireVector(NAME, s, "singularValues", in.singularValues(), n);
      double r = in.orthRegLoss();
      if (!Double.isFinite(r) || r < 0) {
        throw new IllegalArgumentException(
            NAME + ": step " + s + ": orthRegLoss must be finite and >= 0, got " + r);
      }
    }
    lastStep = s;
    if (pending != null && s >= pendingFrom) {
      active = pending;
      pending = null;
      pendingFrom = -1;
    }
    if (recording) record(in.singularValues(), in.orthRegLoss());
    AdaptiveWindowSchedule.Tick tick = schedule.next(s);
    if (!tick.windowEnd()) return Optional.empty();

    Window w = new Window(window, rows, n, Arrays.copyOf(reg, rows), offsets);
    SalienceResult res = engine.compute(w, tick.budget(), active);
    rows = 0;
    pending = res.keep();
    pendingFrom = s + 1;
    lastDecision =
        new Decision(
            s,
            s + 1,
            tick.budget(),
            true,
            new MaskUpdate.TripletMask(res.keep()),
            new Diagnostics(
                res.threshold(),
                (int) Math.min(res.edges(), Integer.MAX_VALUE),
                w.length(),
                res.scores(),
                res.influence(),
                res.magnitude()));
    return Optional.of(lastDecision);
  }

  private void record(double[] lambda, double r) {
    if ((long) (rows + 1) * n > window.length)
      window = Arrays.copyOf(window, Math.multiplyExact(Math.max(rows * 2, rows + 1), n));
    if (rows == reg.length) reg = Arrays.copyOf(reg, rows * 2);
    int base = rows * n;
    for (int i = 0; i < n; i++) window[base + i] = active[i] ? lambda[i] : 0.0;
    reg[rows] = r;
    rows++;
  }

  // ---------------------------------------------------------------- checkpoints

  /** A decoded snapshot. */
  private record Snapshot(
      String policy,
      int n,
      long lastStep,
      int countdown,
      int currentWindow,
      boolean[] active,
      boolean[] pending,
      long pendingFrom,
      int rows,
      double[] window,
      double[] reg,
      Decision lastDecision) {}

  /** The rows of the current time-series window. */
  @Override
  public int bufferedSteps() {
    return rows;
  }

  /** The snapshot layout (type {@code SLR}, version 1). */
  public static final BinaryState.Format SNAPSHOT =
      new BinaryState.Format("SLR", 1, NAME + " policy snapshot");

  /**
   * Binary ({@link BinaryState}): taken at every decision by the salience-analyzer, so on the
   * control loop's critical path.
   */
  @Override
  public byte[] snapshotState() {
    BinaryState.Writer w =
        SNAPSHOT.writer(
            128
                + 8 * (rows * n + rows)
                + 3 * n / 8
                + (lastDecision == null ? 0 : 24 * n + n / 8 + 64));
    w.putString(NAME)
        .putInt(n)
        .putLong(lastStep)
        .putInt(schedule.countdown())
        .putInt(schedule.currentWindow())
        .putBooleans(active)
        .putBooleans(pending)
        .putLong(pendingFrom)
        .putInt(rows)
        .putDoubles(window, rows * n)
        .putDoubles(reg, rows);
    w.putInt(lastDecision == null ? 0 : 1);
    if (lastDecision != null) {
      Diagnostics g = lastDecision.diagnostics();
      w.putLong(lastDecision.decidedAt())
          .putLong(lastDecision.effectiveFrom())
          .putInt(lastDecision.budget())
          .putBooleans(((MaskUpdate.TripletMask) lastDecision.mask()).keep())
          .putDouble(g.threshold())
          .putInt(g.edges())
          .putInt(g.windowLength())
          .putDoubles(g.scores())
          .putDoubles(g.influence())
          .putDoubles(g.magnitude());
    }
    return w.toBytes();
  }

  private static Snapshot decodeBinary(byte[] bytes) {
    BinaryState.Reader r = SNAPSHOT.reader(bytes);
    String policy = r.getString();
    int n = r.getInt();
    long lastStep = r.getLong();
    int countdown = r.getInt();
    int currentWindow = r.getInt();
    boolean[] active = r.getBooleans();
    boolean[] pending = r.getBooleans();
    long pendingFrom = r.getLong();
    int rows = r.getInt();
    double[] window = r.getDoubles();
    double[] reg = r.getDoubles();
    Decision d = null;
    if (r.getInt() == 1) {
      long decidedAt = r.getLong();
      long effectiveFrom = r.getLong();
      int budget = r.getInt();
      boolean[] keep = r.getBooleans();
      Diagnostics g =
          new Diagnostics(
              r.getDouble(),
              r.getInt(),
              r.getInt(),
              r.getDoubles(),
              r.getDoubles(),
              r.getDoubles());
      d = decision(decidedAt, effectiveFrom, budget, keep, g, n);
    }
    r.requireEnd();
    if (window == null || reg == null)
      throw new IllegalArgumentException(NAME + ": snapshot has no window");
    return new Snapshot(
        policy,
        n,
        lastStep,
        countdown,
        currentWindow,
        active,
        pending,
        pendingFrom,
        rows,
        window,
        reg,
        d);
  }

  private static Decision decision(
      long decidedAt, long effectiveFrom, int budget, boolean[] keep, Diagnostics g, int n) {
    if (keep == null || keep.length != n) {
      throw new IllegalArgumentException(
          NAME + ": snapshot decision mask does not have N=" + n + " entries");
    }
    return new Decision(
        decidedAt, effectiveFrom, budget, true, new MaskUpdate.TripletMask(keep), g);
  }

  @Override
  public void restoreState(byte[] bytes) {
    Snapshot st = decodeBinary(bytes);
    if (!NAME.equals(st.policy()) || st.n() != n) {
      throw new IllegalArgumentException(
          NAME
              + ": snapshot is for policy '"
              + st.policy()
              + "' with N="
              + st.n()
              + ", this policy has N="
              + n);
    }
    if (st.active() == null
        || st.active().length != n
        || (st.pending() != null && st.pending().length != n)) {
      throw new IllegalArgumentException(NAME + ": snapshot masks do not have N=" + n + " entries");
    }
    double[] win = st.window();
    double[] r = st.reg();
    if (win == null || r == null || win.length != st.rows() * n || r.length != st.rows()) {
      throw new IllegalArgumentException(NAME + ": snapshot window size mismatch");
    }
    schedule.restore(st.countdown(), st.currentWindow());
    lastStep = st.lastStep();
    active = st.active();
    pending = st.pending();
    pendingFrom = st.pendingFrom();
    rows = st.rows();
    window = win.length >= n ? win : Arrays.copyOf(win, n);
    reg = r.length >= 1 ? r : new double[1];
    lastDecision = st.lastDecision();
  }
}
