package io.salientstream.trainer.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.trainer.adapter.AdaptedLinear;
import io.salientstream.trainer.adapter.AdapterKind;
import io.salientstream.trainer.adapter.OwnedArrays;
import io.salientstream.trainer.host.AllocationHost;
import io.salientstream.trainer.host.TrainerStep;
import io.salientstream.trainer.host.TrainerStep.InputStats;
import io.salientstream.trainer.host.TrainerStep.MatrixStep;
import io.salientstream.trainer.optim.AdamW;
import io.salientstream.trainer.optim.LrSchedule;
import io.salientstream.trainer.task.Task;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * The training loop. Per optimizer step s, in this order (spec §2.2, §3.4):
 *
 * <ol>
 *   <li>forward on the step's batch; R_s, the orthogonal regulariser, is computed on the parameters
 *       before the update; loss = task loss + c_orth·R_s;
 *   <li>backward, global gradient-norm clipping, AdamW update with the scheduled learning rate;
 *   <li>the policy's statistics see the update ({@link StepStatistics#afterUpdate}: AdaLoRA's
 *       |w·∂L/∂w| of P, Λ and Q into its importance averages), before zero-grad;
 *   <li>zero-grad;
 *   <li>decisions due at s are activated and the masks in force are applied (λ·mask, A·mask); the
 *       statistics fold in what the step saw ({@link StepStatistics#afterMasks}: PRILoRA's
 *       input-norm averages);
 *   <li>one {@link TrainerStep} goes to the {@link AllocationHost}; the {@link Decision}s it
 *       returns are queued, and those due at s (AdaLoRA/PRILoRA decide masks effective at once) are
 *       applied immediately.
 * </ol>
 *
 * <p>Every batch lives in a per-step sub-manager (parameters are temporarily attached to it), so no
 * activation survives a step. Initialisation and data order come from the seed only, so a run is
 * deterministic on CPU and a resumed run (adapters, masks, Adam moments and step, policy and
 * importance state, input EMAs, pending decisions; the data position is a function of seed and
 * step) ends bit-identical to an uninterrupted one.
 */
public final class Trainer {

  private final Task task;
  private final AllocationHost host;
  private final TrainConfig cfg;
  private final NDManager home;
  private final List<AdaptedLinear> adapters;

  /** The adapters with orthogonal factors: the terms of the orthogonal regulariser. */
  private final List<AdaptedLinear> orthogonal = new ArrayList<>();

  private final List<NDArray> params = new ArrayList<>();
  private final List<NDArray> eyes = new ArrayList<>();
  private final AdamW optimizer;
  private final NDArray[] gradCache;
  private final NDArray orthCoefArray;
  private final NDArray invTwoM;
  private final LrSchedule schedule;
  private final AdapterLayout layout;

  /**
   * What the policy asks the trainer to keep beside the adapters (importance averages, input
   * norms).
   */
  private final List<StepStatistics> statistics;

  private final List<Decision> pending = new ArrayList<>();
  private boolean stickyMask;
  private long nextStep;
  private long allocNanos;
  private long policyNanos;
  private long trainNanos;
  private long stepsRun;
  private int lateCommands;
  private final List<Map<String, Object>> evalHistory = new ArrayList<>();
  private double lastTaskLoss = Double.NaN;

  public Trainer(Task task, AllocationHost host, TrainConfig cfg, NDManager home) {
    this.task = task;
    this.host = host;
    this.cfg = cfg;
    this.home = home;
    this.adapters = task.adaptedLayers();
    for (AdaptedLinear a : adapters) {
      if (a.hasOrthogonalFactors()) {
        orthogonal.add(a);
        eyes.add(home.eye(a.rank()));
      }
      params.addAll(a.trainableParameters());
    }
    params.addAll(task.headParameters());
    this.gradCache = new NDArray[params.size()];
    // scalars in the autograd graph are arrays we own (see OwnedArrays.scalar)
    this.orthCoefArray = OwnedArrays.scalar(home, (float) cfg.orthCoef());
    this.invTwoM =
        OwnedArrays.scalar(home, orthogonal.isEmpty() ? 0f : 1f / (2f * orthogonal.size()));
    this.optimizer = new AdamW(home, params, 0.9f, 0.999f, 1e-8f, (float) cfg.weightDecay());
    this.schedule = new LrSchedule(cfg.lr(), cfg.warmup(), cfg.steps());
    this.layout = layoutOf(adapters);
    this.statistics = StepStatistics.forNeeds(host, adapters, cfg.inputEmaBeta());
  }

  /** The core layout of a list of adapted layers (null when none carries an adapter). */
  public static AdapterLayout layoutOf(List<AdaptedLinear> adapters) {
    List<AdapterLayout.Matrix> ms = new ArrayList<>();
    for (AdaptedLinear a : adapters) {
      if (a.kind() != AdapterKind.NONE) {
        ms.add(new AdapterLayout.Matrix(a.module(), a.layer(), a.dOut(), a.dIn(), a.rank()));
      }
    }
    return ms.isEmpty() ? null : new AdapterLayout(ms);
  }

  public long nextStep() {
    return nextStep;
  }

  /**
   * Runs until {@code cfg.steps()} (or {@code stopAfter} steps in total, for interrupted-run
   * tests).
   */
  public RunResult run(long stopAfter) throws IOException {
    if (cfg.resume()) {
      restoreCheckpoint(cfg.checkpointDir());
    }
    long end = Math.min(cfg.steps(), stopAfter);
    ProgressBar bar = cfg.progress() ? new ProgressBar(cfg.steps(), nextStep) : null;
    while (nextStep < end) {
      long t0 = System.nanoTime();
      trainStep(nextStep);
      trainNanos += System.nanoTime() - t0;
      stepsRun++;
      nextStep++;
      if (bar != null) {
        bar.update(nextStep, lastTaskLoss, totalActiveRank());
      }
      if (cfg.evalEvery() > 0 && nextStep % cfg.evalEvery() == 0 && nextStep < cfg.steps()) {
        Map<String, Double> m = task.evaluate(home, false);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", nextStep);
        row.putAll(m);
        evalHistory.add(row);
        if (bar != null) {
          bar.message("eval @" + nextStep + " " + m);
        }
      }
      if (cfg.checkpointDir() != null
          && cfg.checkpointEvery() > 0
          && nextStep % cfg.checkpointEvery() == 0) {
        saveCheckpoint(cfg.checkpointDir());
      }
    }
    if (bar != null) {
      bar.finish();
    }
    if (cfg.checkpointDir() != null) {
      saveCheckpoint(cfg.checkpointDir());
    }
    return new RunResult(
        nextStep, stepsRun, trainNanos, allocNanos, policyNanos, lateCommands, evalHistory);
  }

  /** Timings and history of one {@link #run}. */
  public record RunResult(
      long finalStep,
      long stepsRun,
      long trainNanos,
      long allocNanos,
      long policyNanos,
      int lateCommands,
      List<Map<String, Object>> evalHistory) {

    public double stepsPerSecond() {
      return stepsRun == 0 ? 0 : stepsRun / (trainNanos / 1e9);
    }

    /**
     * Mean time per step spent on allocation (importance/statistics, event, policy call, masks), in
     * ms.
     */
    public double allocationMsPerStep() {
      return stepsRun == 0 ? 0 : allocNanos / 1e6 / stepsRun;
    }

    /** Mean time per step inside the policy itself, in ms. */
    public double policyMsPerStep() {
      return stepsRun == 0 ? 0 : policyNanos / 1e6 / stepsRun;
    }
  }

  /**
   * The examples of step s: a seeded permutation per epoch, so the data position is a function of
   * (seed, step).
   */
  int[] batchIndices(long step) {
    int n = task.trainSize();
    int[] out = new int[cfg.batch()];
    int[] perm = null;
    long cachedEpoch = -1;
    for (int i = 0; i < out.length; i++) {
      long pos = step * cfg.batch() + i;
      long epoch = pos / n;
      if (epoch != cachedEpoch) {
        perm = permutation(n, cfg.seed() * 1_000_003L + epoch);
        cachedEpoch = epoch;
      }
      out[i] = perm[(int) (pos % n)];
    }
    return out;
  }

  private int[] cachedPerm;
  private long cachedPermSeed = Long.MIN_VALUE;

  private int[] permutation(int n, long seed) {
    if (cachedPerm != null && cachedPermSeed == seed) {
      return cachedPerm;
    }
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    Random r = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    cachedPerm = p;
    cachedPermSeed = seed;
    return p;
  }

  private void trainStep(long s) {
    float lr = (float) schedule.at(s);
    double taskLossValue;
    double regValue = Double.NaN;
    try (NDManager sub = home.newSubManager()) {
      attachAll(sub);
      ParameterStore ps = new ParameterStore(sub, false);
      gradModeOff();
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray taskLoss = task.loss(ps, sub, batchIndices(s));
        NDArray loss = taskLoss;
        if (!orthogonal.isEmpty()) {
          NDArray reg = orthogonalRegularizer();
          regValue = reg.getFloat();
          if (cfg.orthCoef() > 0) {
            loss = loss.add(reg.mul(orthCoefArray));
          }
        }
        taskLossValue = taskLoss.getFloat();
        if (!Double.isFinite(taskLossValue)) {
          throw new IllegalStateException(
              "step " + s + ": task loss is " + taskLossValue + " (lower --lr or enable --clip)");
        }
        gc.backward(loss);
      }
      List<NDArray> grads = new ArrayList<>(params.size());
      for (int i = 0; i < params.size(); i++) {
        grads.add(gradient(i, sub));
      }
      double sq = 0;
      for (int i = 0; i < grads.size(); i++) {
        double gi = grads.get(i).square().sum().getFloat();
        if (!Double.isFinite(gi)) {
          throw new IllegalStateException(
              "step "
                  + s
                  + ": gradient of trainable array "
                  + i
                  + " "
                  + params.get(i).getShape()
                  + " has squared norm "
                  + gi
                  + " (task loss "
                  + taskLossValue
                  + ", regulariser "
                  + regValue
                  + ")");
        }
        sq += gi;
      }
      double norm = Math.sqrt(sq);
      if (cfg.clip() > 0) {
        if (norm > cfg.clip()) {
          float f = (float) (cfg.clip() / (norm + 1e-6));
          for (NDArray g : grads) {
            g.muli(f);
          }
        }
      }
      optimizer.step(params, grads, lr);
      long a0 = System.nanoTime();
      for (StepStatistics st : statistics) {
        st.afterUpdate(w -> gradCache[params.indexOf(w)]);
      }
      allocNanos += System.nanoTime() - a0;
      for (NDArray g : grads) {
        g.subi(g); // zero-grad: gradients accumulate across collectors otherwise
      }
    }
    lastTaskLoss = taskLossValue;
    long a1 = System.nanoTime();
    activateDue(s);
    if (stickyMask) {
      for (AdaptedLinear a : adapters) {
        a.applyMask();
      }
    }
    for (StepStatistics st : statistics) {
      st.afterMasks(s);
    }
    if (host != null) {
      TrainerStep event = buildEvent(s, taskLossValue, regValue, lr);
      long p0 = System.nanoTime();
      List<Decision> decided = host.afterStep(event);
      policyNanos += System.nanoTime() - p0;
      pending.addAll(decided);
      for (StepStatistics st : statistics) {
        st.onDecisions(
            decided); // e.g. AdaLoRA's forced final mask clears the importance EMAs, as peft does
        // (spec §3.4)
      }
      activateDue(s);
    }
    allocNanos += System.nanoTime() - a1;
  }

  /**
   * The gradient of trainable array i. DJL's PyTorch engine hands out a wrapper of the parameter's
   * own grad tensor; closing that wrapper (as a per-step manager would) corrupts later gradients,
   * so each wrapper is fetched once, detached from every manager, and only temporarily attached to
   * the step's manager. Zero-grad is in place, so the grad tensor (and the wrapper) stays the same
   * for the whole run.
   */
  private NDArray gradient(int i, NDManager sub) {
    if (gradCache[i] == null) {
      NDArray g = params.get(i).getGradient();
      g.detach();
      g.tempAttach(sub);
      gradCache[i] = g;
    }
    return gradCache[i];
  }

  private void attachAll(NDManager sub) {
    task.attachAll(sub);
    for (NDArray g : gradCache) {
      if (g != null) {
        g.tempAttach(sub);
      }
    }
    for (NDArray a : optimizer.state()) {
      a.tempAttach(sub);
    }
    for (NDArray e : eyes) {
      e.tempAttach(sub);
    }
  }

  /** R = (1/(2M)) Σ_k (‖Q_k Q_kᵀ − I‖_F + ‖P_kᵀ P_k − I‖_F), unsquared (spec §1). */
  private NDArray orthogonalRegularizer() {
    NDArray sum = null;
    for (int k = 0; k < orthogonal.size(); k++) {
      NDArray term = orthogonal.get(k).orthogonalPenalty(eyes.get(k));
      sum = sum == null ? term : sum.add(term);
    }
    return sum.mul(invTwoM);
  }

  private TrainerStep buildEvent(long s, double taskLoss, double reg, float lr) {
    List<MatrixStep> ms = new ArrayList<>();
    for (AdaptedLinear a : adapters) {
      if (a.kind() != AdapterKind.NONE) {
        ms.add(new MatrixStep(a.module(), a.layer(), a.singularValues(), a.keep()));
      }
    }
    double[] trip = null;
    List<InputStats> stats = null;
    for (StepStatistics st : statistics) {
      if (trip == null && host.needsAt(AllocationHost.Need.TRIPLET_IMPORTANCE, s)) {
        trip = st.tripletImportance(s);
      }
      if (stats == null && host.needsAt(AllocationHost.Need.INPUT_STATS, s)) {
        stats = st.inputStats(s);
      }
    }
    return new TrainerStep(s, taskLoss, reg, lr, ms, trip, stats);
  }

  /** Activates queued decisions due at or before step s, in step order; a late one is counted. */
  private void activateDue(long s) {
    pending.sort(Comparator.comparingLong(Decision::effectiveFrom));
    while (!pending.isEmpty() && pending.get(0).effectiveFrom() <= s) {
      Decision d = pending.remove(0);
      if (d.effectiveFrom() < s) {
        lateCommands++;
      }
      apply(d);
    }
  }

  /**
   * Sets the keep bits of every adapted matrix from the decision's mask ({@link
   * MaskUpdate#byMatrix}: a triplet mask split per matrix in layout order, an entry mask per
   * matrix) and applies them once.
   */
  public void apply(Decision d) {
    gradModeOff();
    List<AdaptedLinear> masked =
        adapters.stream().filter(a -> a.kind() != AdapterKind.NONE).toList();
    if (layout == null) {
      throw new IllegalArgumentException(
          "decision of step " + d.decidedAt() + ": the model has no adapter to mask");
    }
    List<boolean[]> keep;
    try {
      keep = d.mask().byMatrix(layout);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "decision of step " + d.decidedAt() + " does not fit the model: " + e.getMessage(), e);
    }
    for (int k = 0; k < masked.size(); k++) {
      AdaptedLinear a = masked.get(k);
      a.setKeep(keep.get(k));
      a.applyMask();
    }
    stickyMask = d.persistent();
  }

  /**
   * The keep bits in force per adapted matrix ("1" kept, "0" pruned), for reports and loop
   * comparisons.
   */
  public Map<String, String> keepMasks() {
    Map<String, String> out = new LinkedHashMap<>();
    for (AdaptedLinear a : adapters) {
      boolean[] k = a.keep();
      if (k != null) {
        StringBuilder b = new StringBuilder(k.length);
        for (boolean bit : k) {
          b.append(bit ? '1' : '0');
        }
        out.put(a.module(), b.toString());
      }
    }
    return out;
  }

  /**
   * A CRC-32 over the exact bit patterns of every trainable array (adapters and head), in order:
   * equal checksums mean bit-identical adapters (used to show the Kafka loop reproduces the
   * in-process run).
   */
  public String adapterChecksum() {
    CRC32 crc = new CRC32();
    ByteBuffer buf = ByteBuffer.allocate(4);
    for (NDArray a : trainableArrays()) {
      for (float f : a.toFloatArray()) {
        buf.clear();
        buf.putInt(Float.floatToRawIntBits(f));
        crc.update(buf.array());
      }
    }
    return Long.toHexString(crc.getValue());
  }

  /** Σ of the active ranks (kept triplets for SVD, rows of A with a kept entry for LoRA). */
  public int totalActiveRank() {
    int n = 0;
    for (AdaptedLinear a : adapters) {
      n += a.activeRank();
    }
    return n;
  }

  /** Active rank per adapted matrix, keyed by module name (layout order). */
  public Map<String, Integer> activeRanks() {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (AdaptedLinear a : adapters) {
      if (a.kind() != AdapterKind.NONE) {
        out.put(a.module(), a.activeRank());
      }
    }
    return out;
  }

  /** Trainable parameters kept by the masks (adapters + head). */
  public long activeTrainableParameters() {
    long n = 0;
    for (AdaptedLinear a : adapters) {
      n += a.activeParameterCount();
    }
    for (NDArray h : task.headParameters()) {
      n += h.size();
    }
    return n;
  }

  /** All trainable arrays (adapters in layout order, then the head). */
  public List<NDArray> trainableArrays() {
    return params;
  }

  public List<AdaptedLinear> adapters() {
    return adapters;
  }

  public AdapterLayout layout() {
    return layout;
  }

  // ------------------------------------------------------------------ checkpoints

  /**
   * Writes a {@link TrainerCheckpoint}: arrays, Adam moments and step, masks, pending decisions,
   * policy and statistics.
   */
  public void saveCheckpoint(Path dir) throws IOException {
    List<boolean[]> keeps = new ArrayList<>();
    adapters.forEach(a -> keeps.add(a.keep()));
    Map<String, byte[]> stats = new LinkedHashMap<>();
    statistics.forEach(st -> stats.put(st.checkpointKey(), st.snapshot()));
    TrainerCheckpoint.save(
        dir,
        params,
        optimizer.state(),
        new TrainerCheckpoint.State(
            nextStep,
            cfg.seed(),
            optimizer.stepCount(),
            stickyMask,
            policyName(),
            keeps,
            pending,
            host == null ? null : host.snapshot(),
            stats));
  }

  /**
   * Restores what {@link #saveCheckpoint} wrote; the trainer must have been built with the same
   * task and seed.
   */
  public void restoreCheckpoint(Path dir) throws IOException {
    TrainerCheckpoint.State s =
        TrainerCheckpoint.restore(dir, params, optimizer.state(), cfg.seed(), policyName());
    optimizer.setStepCount(s.adamStep());
    nextStep = s.nextStep();
    for (int k = 0; k < adapters.size(); k++) {
      if (s.keeps().get(k) != null) {
        adapters.get(k).setKeep(s.keeps().get(k));
      }
    }
    stickyMask = s.stickyMask();
    pending.clear();
    pending.addAll(s.pending());
    if (host != null) {
      host.restore(s.host(), TrainerCheckpoint.claimResume(dir));
    }
    for (StepStatistics st : statistics) {
      byte[] state = s.statistics().get(st.checkpointKey());
      if (state == null) {
        throw new IOException("checkpoint in " + dir + " has no " + st.checkpointKey() + " state");
      }
      st.restore(state);
    }
  }

  private String policyName() {
    return host == null ? "none" : host.policyName();
  }

  /**
   * Turns PyTorch's grad mode off on this thread. The mode is per thread and on in a new one, and
   * DJL's gradient collector puts back the mode it found when it closes; so on any thread but the
   * one the engine started on, the optimizer's and the masks' in-place updates of leaf parameters
   * would run with grad mode on, which PyTorch refuses ("a leaf Variable that requires grad is
   * being used in an in-place operation"). Called before each step's collector opens (which then
   * restores "off") and before a mask is applied outside a step.
   */
  static void gradModeOff() {
    JniUtils.setGradMode(false);
  }
}
