package io.salientstream.core.prilora;

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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * PRILoRA (Benedek &amp; Wolf, EACL Findings 2024; spec {@code algorithms.md} §4) as a {@link
 * RankPolicy}.
 *
 * <p><b>Caveat.</b> Only the abstract and secondary summaries of the paper could be read; its exact
 * rank schedule, importance statistic, pruning ratio, interval, grouping and regrowth rule could
 * <em>not</em> be verified (every item of spec §4 is [U]). Each such choice is therefore a named
 * parameter below, with a documented default; confirm them against the paper before using PRILoRA
 * as an acceptance target.
 *
 * <p><b>Ranks</b> ({@link #rankForLayer}): layer l ∈ [0, L) gets {@code r_l = round(rLow + (rHigh −
 * rLow)·l/(L−1))} (L = 1: rLow), shared by all matrices of the layer; the host allocates {@link
 * #layout()} (the input layout with these ranks), ignoring its own initial ranks.
 *
 * <p><b>Pruning of A</b> (r_l × d_in, row-major): every {@code pruneInterval} steps from {@code
 * pruneStart} to {@code pruneEnd}, importance {@code Imp_ij = |A_ij| · x̄_j} with x̄_j the host's
 * per-input-feature EMA of input norms (see {@link InputNormEma}); in each group (a row of A, or
 * the whole matrix) the {@code floor(ratio · groupSize)} entries with the lowest importance are
 * pruned (ties: lower index first). With {@code regrowth=true} the mask is recomputed from scratch
 * each time and applied once (pruned entries stay trainable and may come back); with {@code
 * regrowth=false} pruning is permanent: already pruned entries count toward the quota, only the
 * remainder is pruned among the alive ones, and the mask is persistent. The ratio is constant, or
 * ({@code ratioSchedule=linear}) ramps linearly from 0 at pruneStart to {@code pruneRatio} at
 * pruneEnd. B is never pruned.
 *
 * <p><b>Parameters</b> (all [U] unless noted): {@code rLow} 4, {@code rHigh} 12 (recollection: mean
 * 8 on DeBERTaV3-base), {@code rankRounding} halfEven|halfUp|floor (halfEven), {@code pruneRatio}
 * 0.1, {@code pruneInterval} 100, {@code pruneStart} 0, {@code pruneEnd} (default: never stops;
 * required for the linear schedule), {@code grouping} row|matrix (row, Wanda-style), {@code
 * regrowth} true, {@code ratioSchedule} constant|linear (constant).
 */
public final class PriLoraPolicy implements RankPolicy {
  public static final String NAME = "prilora";

  /**
   * The registration: B·A adapters with per-layer ranks whose mean is the target rank (an equal
   * budget), pruning every 10 % of the steps from 10 % until 80 %; registrations carry no schedule
   * fields for it.
   */
  public static final PolicyKind KIND =
      new PolicyKind(
          NAME,
          PolicyKind.AdapterForm.LOW_RANK_PRODUCT,
          Map.of(),
          "pruneStart",
          "pruneInterval",
          run -> {
            int t = (int) Math.round(run.targetRank());
            int low = Math.max(1, t / 2);
            int steps = run.steps();
            return PolicyKind.ordered(
                "rLow",
                Integer.toString(low),
                "rHigh",
                Integer.toString(Math.max(low, 2 * t - low)),
                "pruneInterval",
                Integer.toString(Math.max(1, steps / 10)),
                "pruneStart",
                Integer.toString(steps / 10),
                "pruneEnd",
                Integer.toString(steps - steps / 5));
          },
          false,
          false,
          PriLoraPolicy::fromParams);

  /** How r_l is rounded. */
  public enum Rounding {
    HALF_EVEN,
    HALF_UP,
    FLOOR
  }

  /** Which entries compete for pruning. */
  public enum Grouping {
    ROW,
    MATRIX
  }

  /** Configuration; see the class doc. */
  public record Config(
      int rLow,
      int rHigh,
      Rounding rounding,
      double pruneRatio,
      long pruneInterval,
      long pruneStart,
      long pruneEnd,
      Grouping grouping,
      boolean regrowth,
      boolean linearRatio) {
    public Config {
      if (rLow < 1 || rHigh < 1)
        throw new IllegalArgumentException(NAME + ": rLow and rHigh must be >= 1");
      if (!(pruneRatio >= 0 && pruneRatio < 1))
        throw new IllegalArgumentException(
            NAME + ": pruneRatio must be in [0,1), got " + pruneRatio);
      if (pruneInterval < 1)
        throw new IllegalArgumentException(NAME + ": pruneInterval must be >= 1");
      if (pruneStart < 0 || pruneEnd < pruneStart)
        throw new IllegalArgumentException(NAME + ": need 0 <= pruneStart <= pruneEnd");
      if (linearRatio && pruneEnd == Long.MAX_VALUE)
        throw new IllegalArgumentException(NAME + ": ratioSchedule=linear needs pruneEnd");
    }
  }

  private final AdapterLayout layout;
  private final Config config;
  private long lastStep = -1;
  private List<boolean[]> masks;
  private Decision lastDecision;

  public PriLoraPolicy(AdapterLayout input, Config config) {
    this.config = config;
    int layers = input.layerCount();
    List<AdapterLayout.Matrix> ms = new ArrayList<>();
    for (AdapterLayout.Matrix m : input.matrices())
      ms.add(m.withRank(rankForLayer(config, m.layer(), layers)));
    this.layout = new AdapterLayout(ms);
    this.masks = new ArrayList<>();
    for (AdapterLayout.Matrix m : layout.matrices()) {
      boolean[] all = new boolean[m.initialRank() * m.dIn()];
      Arrays.fill(all, true);
      masks.add(all);
    }
  }

  public static PriLoraPolicy fromParams(Params p, AdapterLayout layout) {
    int rLow = (int) p.atLeast("rLow", p.intValue("rLow", 4), 1);
    int rHigh = (int) p.atLeast("rHigh", p.intValue("rHigh", 12), 1);
    Rounding rounding =
        switch (p.choice("rankRounding", "halfEven", "halfEven", "halfUp", "floor")) {
          case "halfUp" -> Rounding.HALF_UP;
          case "floor" -> Rounding.FLOOR;
          default -> Rounding.HALF_EVEN;
        };
    double ratio = p.doubleValue("pruneRatio", 0.1);
    if (!(ratio >= 0 && ratio < 1)) throw p.bad("pruneRatio", "must be in [0, 1), got " + ratio);
    long interval = p.atLeast("pruneInterval", p.longValue("pruneInterval", 100), 1);
    long start = p.atLeast("pruneStart", p.longValue("pruneStart", 0), 0);
    long end = p.longValue("pruneEnd", Long.MAX_VALUE);
    if (end < start) throw p.bad("pruneEnd", "must be >= pruneStart=" + start + ", got " + end);
    Grouping grouping =
        p.choice("grouping", "row", "row", "matrix").equals("row") ? Grouping.ROW : Grouping.MATRIX;
    boolean regrowth = p.bool("regrowth", true);
    boolean linear = p.choice("ratioSchedule", "constant", "constant", "linear").equals("linear");
    if (linear && end == Long.MAX_VALUE)
      throw p.bad("pruneEnd", "is required with ratioSchedule=linear");
    return new PriLoraPolicy(
        layout,
        new Config(rLow, rHigh, rounding, ratio, interval, start, end, grouping, regrowth, linear));
  }

  /** r_l for 0-based layer l of L layers. */
  public static int rankForLayer(Config c, int layer, int layers) {
    if (layers <= 1) return c.rLow();
    double x = c.rLow() + (double) (c.rHigh() - c.rLow()) * layer / (layers - 1);
    long r =
        switch (c.rounding()) {
          case HALF_EVEN -> (long) Math.rint(x);
          case HALF_UP -> (long) Math.floor(x + 0.5);
          case FLOOR -> (long) Math.floor(x);
        };
    return (int) Math.max(1, r);
  }

  public Config config() {
    return config;
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The layout with PRILoRA's per-layer ranks: what the host must allocate. */
  @Override
  public AdapterLayout layout() {
    return layout;
  }

  /** Total number of A entries Σ r_l·d_in. */
  public int totalEntries() {
    int t = 0;
    for (AdapterLayout.Matrix m : layout.matrices()) t += m.initialRank() * m.dIn();
    return t;
  }

  /** True if t is a pruning step. */
  public boolean isPruneStep(long t) {
    return t >= config.pruneStart()
        && t <= config.pruneEnd()
        && (t - config.pruneStart()) % config.pruneInterval() == 0;
  }

  /** The pruning ratio in force at step t (constant, or the linear ramp). */
  public double ratioAt(long t) {
    if (t < config.pruneStart()) return 0;
    if (!config.linearRatio()) return config.pruneRatio();
    if (config.pruneEnd() == config.pruneStart()) return config.pruneRatio();
    double f =
        Math.min(
            1.0, (double) (t - config.pruneStart()) / (config.pruneEnd() - config.pruneStart()));
    return config.pruneRatio() * f;
  }

  /** Kept A entries the ratio at step t prescribes (all groups). */
  @Override
  public int budgetAt(long step) {
    double ratio = ratioAt(step);
    int kept = 0;
    for (AdapterLayout.Matrix m : layout.matrices()) {
      int groupSize = config.grouping() == Grouping.ROW ? m.dIn() : m.initialRank() * m.dIn();
      int groups = config.grouping() == Grouping.ROW ? m.initialRank() : 1;
      kept += groups * (groupSize - quota(ratio, groupSize));
    }
    return kept;
  }

  private static int quota(double ratio, int groupSize) {
    return (int) Math.floor(ratio * groupSize);
  }

  @Override
  public Optional<Decision> lastDecision() {
    return Optional.ofNullable(lastDecision);
  }

  @Override
  public boolean decidesAt(long step) {
    return isPruneStep(step);
  }

  @Override
  public Set<Input> inputs() {
    return RankPolicy.inputSet(Input.PRILORA);
  }

  /**
   * |A| and the input-norm EMA at pruning steps only: a decision reads the current step's inputs
   * and the masks of the previous decision, nothing of the steps in between (the EMA is accumulated
   * by the host).
   */
  @Override
  public Set<Input> inputsAt(long step) {
    return isPruneStep(step) ? inputs() : RankPolicy.inputSet();
  }

  @Override
  public MaskKind maskKind() {
    return MaskKind.ENTRY;
  }

  /**
   * With regrowth (default) a pruned entry may come back at the next pruning step; without, never.
   */
  @Override
  public boolean mayRevive() {
    return config.regrowth();
  }

  @Override
  public Optional<Decision> onStep(StepInput in) {
    long t = in.step();
    Inputs.requireAfter(NAME, t, lastStep);
    if (!isPruneStep(t)) {
      lastStep = t;
      return Optional.empty();
    }
    List<StepInput.PriLoraMatrixInput> inputs = in.priLora();
    if (inputs == null)
      throw new IllegalArgumentException(
          NAME + ": step " + t + ": priLora inputs are required at a pruning step");
    if (inputs.size() != layout.size()) {
      throw new IllegalArgumentException(
          NAME
              + ": step "
              + t
              + ": priLora has "
              + inputs.size()
              + " matrices, layout has "
              + layout.size());
    }
    double ratio = ratioAt(t);
    List<boolean[]> next = new ArrayList<>(layout.size());
    for (int k = 0; k < layout.size(); k++) {
      AdapterLayout.Matrix m = layout.matrix(k);
      StepInput.PriLoraMatrixInput mi = inputs.get(k);
      if (mi == null)
        throw new IllegalArgumentException(NAME + ": step " + t + ": priLora[" + k + "] is null");
      int r = m.initialRank(), dIn = m.dIn();
      double[] a = Inputs.requireVector(NAME, t, "priLora[" + k + "].absA", mi.absA(), r * dIn);
      double[] x =
          Inputs.requireVector(NAME, t, "priLora[" + k + "].inputNormEma", mi.inputNormEma(), dIn);
      double[] imp = new double[r * dIn];
      for (int i = 0; i < r; i++)
        for (int j = 0; j < dIn; j++) imp[i * dIn + j] = Math.abs(a[i * dIn + j]) * Math.abs(x[j]);
      boolean[] old = masks.get(k);
      boolean[] mask = new boolean[r * dIn];
      if (config.grouping() == Grouping.ROW) {
        for (int i = 0; i < r; i++) pruneGroup(imp, old, mask, i * dIn, dIn, quota(ratio, dIn));
      } else {
        pruneGroup(imp, old, mask, 0, r * dIn, quota(ratio, r * dIn));
      }
      next.add(mask);
    }
    masks = next;
    lastStep = t;
    MaskUpdate.EntryMask em = new MaskUpdate.EntryMask(next);
    lastDecision = new Decision(t, t, em.keptCount(), !config.regrowth(), em, Diagnostics.none());
    return Optional.of(lastDecision);
  }

  /**
   * Prunes {@code quota} entries of group [from, from+size) with the lowest importance (ties: lower
   * index).
   */
  private void pruneGroup(
      double[] imp, boolean[] old, boolean[] mask, int from, int size, int quota) {
    Integer[] idx = new Integer[size];
    int alive = 0;
    int alreadyPruned = 0;
    for (int e = 0; e < size; e++) {
      boolean candidate = config.regrowth() || old[from + e];
      if (candidate) idx[alive++] = from + e;
      else alreadyPruned++;
      mask[from + e] = candidate;
    }
    int toPrune = Math.max(0, quota - alreadyPruned);
    if (toPrune == 0) return;
    Arrays.sort(
        idx,
        0,
        alive,
        (p, q) -> {
          int c = Double.compare(imp[p], imp[q]);
          return c != 0 ? c : Integer.compare(p, q);
        });
    for (int e = 0; e < Math.min(toPrune, alive); e++) mask[idx[e]] = false;
  }

  /**
   * The snapshot layout (type {@code PRI}, version 1): policy, matrices, last step, entry masks,
   * last decision step.
   */
  public static final BinaryState.Format SNAPSHOT =
      new BinaryState.Format("PRI", 1, NAME + " policy snapshot");

  @Override
  public byte[] snapshotState() {
    int size = 64;
    for (boolean[] m : masks) size += 4 + m.length / 8 + 1;
    BinaryState.Writer w =
        SNAPSHOT.writer(size).putString(NAME).putInt(layout.size()).putLong(lastStep);
    for (boolean[] m : masks) w.putBooleans(m);
    w.putInt(lastDecision == null ? 0 : 1);
    if (lastDecision != null) w.putLong(lastDecision.decidedAt());
    return w.toBytes();
  }

  @Override
  public void restoreState(byte[] bytes) {
    BinaryState.Reader r = SNAPSHOT.reader(bytes);
    String policy = r.getString();
    int matrices = r.getInt();
    if (!NAME.equals(policy) || matrices != layout.size()) {
      throw new IllegalArgumentException(
          NAME
              + ": snapshot is for policy '"
              + policy
              + "' with "
              + matrices
              + " matrices, this policy has "
              + layout.size());
    }
    long last = r.getLong();
    List<boolean[]> read = new ArrayList<>();
    for (int k = 0; k < layout.size(); k++) {
      AdapterLayout.Matrix m = layout.matrix(k);
      boolean[] mask = r.getBooleans();
      if (mask == null || mask.length != m.initialRank() * m.dIn())
        throw new IllegalArgumentException(NAME + ": snapshot mask size mismatch at matrix " + k);
      read.add(mask);
    }
    Long decidedAt = r.getInt() == 1 ? r.getLong() : null;
    r.requireEnd();
    lastStep = last;
    masks = read;
    if (decidedAt == null) {
      lastDecision = null;
    } else {
      MaskUpdate.EntryMask em = new MaskUpdate.EntryMask(masks);
      lastDecision =
          new Decision(
              decidedAt, decidedAt, em.keptCount(), !config.regrowth(), em, Diagnostics.none());
    }
  }
}
