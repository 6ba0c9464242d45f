package io.salientstream.loop;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixMask;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.PriLoraInputs;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.avro.TrainerState;
import io.salientstream.avro.TrainerStatus;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.Diagnostics;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.schemas.PackedBits;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.trainer.host.AllocationHost;
import io.salientstream.trainer.host.TrainerStep;
import io.salientstream.trainer.host.TrainerStep.InputStats;
import io.salientstream.trainer.host.TrainerStep.MatrixStep;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongPredicate;

/**
 * {@code --allocation kafka-sync|kafka-async}: the trainer's allocation host when the policy runs
 * in the salience-analyzer and pruner. After every optimizer step it publishes the {@link
 * TrainerStep} as a {@link SingularValueStep} and returns the rank-pruning commands addressed to
 * this run as core {@link Decision}s at the step they name — the same type the in-process host
 * returns, so the trainer applies both alike.
 *
 * <ul>
 *   <li><b>sync</b>: at a step where the experiment's policy decides (window end, mask step), the
 *       host waits for that decision's command before the next step begins. Every command is then
 *       applied at exactly the step the in-process run applies it, so final masks and adapters are
 *       identical bit for bit.
 *   <li><b>async</b>: never waits; commands are returned at the first step boundary after they
 *       arrive (the trainer applies a command whose step has passed right away and counts it as
 *       late). The lag in steps is reported.
 * </ul>
 *
 * Replay safety: commands carry a per-experiment sequence; the client delivers each sequence at
 * most once and the last applied sequence is part of {@link #snapshot()} (trainer checkpoints).
 *
 * <p>What each event carries is asked of the policy the registration builds ({@link
 * RankPolicy#inputsAt}): AdaLoRA's triplet scores and PRILoRA's |A| and input-norm EMA travel only
 * at the steps where the policy reads them (its mask or pruning steps). PRILoRA's decisions read
 * nothing else of the steps between them — the EMA is accumulated here, in the trainer — so a
 * MiniLM run (36 matrices, ranks up to 12, d_in up to 1536: up to ~0.8 MB of |A| floats) sends that
 * bulk only at its pruning steps and a few hundred bytes at every other step. A policy with entry
 * masks ({@link RankPolicy.MaskKind#ENTRY}) runs on plain LoRA adapters: its events carry no
 * singular values, and its commands carry packed entry masks.
 */
public final class KafkaAllocationHost implements AllocationHost {

  /**
   * The status metric counting this run's refused commands ({@link
   * ExperimentClient#checkCommandsAgainst}).
   */
  public static final String COMMANDS_REFUSED = "commands_refused";

  public enum Mode {
    SYNC,
    ASYNC
  }

  private final ExperimentClient client;
  private final ExperimentSpec spec;
  private final Mode mode;
  private final LongPredicate decidesAt;
  private final Duration syncTimeout;
  private final Set<Need> needs;

  /** The registration's policy, asked what it reads at each step and how it masks (never fed). */
  private final RankPolicy shape;

  private final boolean entryMasks;
  private final LoopLatency latency = new LoopLatency();

  /**
   * Emit times of the last {@value #EMIT_HISTORY} steps (ring buffer; a command decided earlier is
   * not timed).
   */
  private static final int EMIT_HISTORY = 1 << 14;

  private final long[] emittedStep = new long[EMIT_HISTORY];
  private final long[] emittedNanos = new long[EMIT_HISTORY];
  private final int statusEvery;
  private long commandsApplied;
  private long lagStepsTotal;
  private long maxLagSteps;
  private long lastStep = -1;
  private long firstStepNanos;
  private long stepsSeen;
  private int lastTotalRank;
  private double lastLoss;

  /** Why the run failed ({@link #fail}), or null. */
  private String failure;

  /**
   * @param decidesAt the steps at which the policy decides (from the core's schedule); used in sync
   *     mode only
   * @param statusEvery publish a {@link TrainerStatus} every this many steps (0: never)
   */
  public KafkaAllocationHost(
      ExperimentClient client,
      ExperimentSpec spec,
      Mode mode,
      LongPredicate decidesAt,
      Duration syncTimeout,
      int statusEvery) {
    this.client = client;
    this.spec = spec;
    this.mode = mode;
    this.decidesAt = decidesAt;
    this.syncTimeout = syncTimeout;
    this.statusEvery = statusEvery;
    Arrays.fill(emittedStep, -1);
    this.shape = PolicySpecs.create(spec);
    this.needs = AllocationHost.needsOf(shape);
    this.entryMasks = shape.maskKind() == RankPolicy.MaskKind.ENTRY;
    client.checkCommandsAgainst(spec, decidesAt);
  }

  @Override
  public String policyName() {
    return spec.getPolicy();
  }

  @Override
  public Set<Need> needs() {
    return needs;
  }

  @Override
  public boolean needsAt(Need need, long step) {
    return AllocationHost.readsAt(shape, need, step);
  }

  /** Publishes the registration (call once before training). */
  public void register() {
    client.register(spec);
    status(TrainerState.STARTING, 0);
  }

  @Override
  public List<Decision> afterStep(TrainerStep e) {
    SingularValueStep event = toEvent(e);
    long now = System.nanoTime();
    client.emit(event);
    int slot = (int) (e.step() & (EMIT_HISTORY - 1));
    emittedStep[slot] = e.step();
    emittedNanos[slot] = now;
    if (stepsSeen++ == 0) {
      firstStepNanos = now;
    }
    lastStep = e.step();
    lastLoss = e.taskLoss();
    lastTotalRank = totalRank(e, spec);
    List<RankPruneCommand> received;
    if (mode == Mode.SYNC && decidesAt.test(e.step())) {
      client.flush();
      received = client.await(e.step(), syncTimeout);
    } else {
      received = client.poll(Duration.ZERO);
    }
    List<Decision> out = new ArrayList<>(received.size());
    long receivedAt = System.nanoTime();
    for (RankPruneCommand c : received) {
      int at = (int) (c.getDecidedAtStep() & (EMIT_HISTORY - 1));
      if (emittedStep[at] == c.getDecidedAtStep()) {
        latency.add((receivedAt - emittedNanos[at]) / 1e6);
        emittedStep[at] = -1;
      }
      long lag =
          Math.max(0, e.step() - c.getApplyAtStep()); // steps the command arrived too late for
      lagStepsTotal += lag;
      maxLagSteps = Math.max(maxLagSteps, lag);
      commandsApplied++;
      out.add(toDecision(c, spec));
    }
    if (statusEvery > 0 && e.step() % statusEvery == 0) {
      status(TrainerState.RUNNING, stepsPerSecond());
    }
    return out;
  }

  private SingularValueStep toEvent(TrainerStep e) {
    List<MatrixSingularValues> ms = new ArrayList<>(e.matrices().size());
    double[] imp = needsAt(Need.TRIPLET_IMPORTANCE, e.step()) ? e.tripletImportance() : null;
    List<InputStats> stats = needsAt(Need.INPUT_STATS, e.step()) ? e.inputStats() : null;
    int offset = 0;
    for (int k = 0; k < e.matrices().size(); k++) {
      MatrixStep m = e.matrices().get(k);
      double[] sv = m.singularValues();
      PriLoraInputs pri = stats == null ? null : priLora(stats.get(k));
      if (sv == null) {
        if (!entryMasks) {
          throw new IllegalStateException(
              "matrix "
                  + m.name()
                  + " has no singular values: policy "
                  + shape.name()
                  + " masks singular values and needs SVD adapters");
        }
        // plain LoRA: no singular values; the entry mask in force is the last command's (not sent
        // every step)
        ms.add(
            MatrixSingularValues.newBuilder()
                .setName(m.name())
                .setLayer(m.layer())
                .setSingularValues(List.of())
                .setMask(List.of())
                .setPriLora(pri)
                .build());
        continue;
      }
      List<Float> values = new ArrayList<>(sv.length);
      List<Boolean> mask = new ArrayList<>(sv.length);
      for (int i = 0; i < sv.length; i++) {
        values.add((float) sv[i]); // exact: the trainer's λ are float32
        mask.add(m.keep()[i]);
      }
      List<Double> importance = null;
      if (imp != null) {
        importance = new ArrayList<>(sv.length);
        for (int i = 0; i < sv.length; i++) {
          importance.add(imp[offset + i]);
        }
      }
      offset += sv.length;
      ms.add(
          MatrixSingularValues.newBuilder()
              .setName(m.name())
              .setLayer(m.layer())
              .setSingularValues(values)
              .setMask(mask)
              .setImportance(importance)
              .setPriLora(pri)
              .build());
    }
    return SingularValueStep.newBuilder()
        .setExperimentId(client.experimentId())
        .setRunId(client.runId())
        .setEpoch(client.epoch())
        .setStep(e.step())
        .setWallClockMs(Instant.now())
        .setOrthRegLoss(e.orthRegLoss())
        .setTaskLoss(e.taskLoss())
        .setLearningRate(e.learningRate())
        .setMatrices(ms)
        .build();
  }

  /** |A| as float32 (exact: the trainer's A is float32) and the EMA as double (as accumulated). */
  private static PriLoraInputs priLora(InputStats s) {
    List<Float> absA = new ArrayList<>(s.absA().length);
    for (double a : s.absA()) {
      absA.add((float) a);
    }
    List<Double> ema = new ArrayList<>(s.inputNormEma().length);
    for (double x : s.inputNormEma()) {
      ema.add(x);
    }
    return new PriLoraInputs(absA, ema);
  }

  /**
   * The decision a command carries, as the core's {@link Decision}: decided at {@code
   * decidedAtStep}, effective from {@code applyAtStep}, its persistence, and its mask — one triplet
   * mask over all matrices in registration order (keep bits per singular value), or one entry mask
   * per matrix (packed r·d_in bits of the registration, unpacked). The budget is what the mask
   * keeps; a command carries no diagnostics.
   *
   * @throws IllegalArgumentException when an entry mask does not fit its matrix, or the command
   *     mixes keep bits and entry masks (the run must not train on it)
   */
  static Decision toDecision(RankPruneCommand c, ExperimentSpec spec) {
    List<MatrixMask> masks = c.getMasks();
    long withEntries = masks.stream().filter(m -> m.getEntries() != null).count();
    MaskUpdate mask;
    if (withEntries > 0) {
      if (withEntries != masks.size()) {
        throw new IllegalArgumentException(
            "command "
                + c.getCommandId()
                + ": "
                + withEntries
                + " of "
                + masks.size()
                + " matrices have entry masks, the others keep bits");
      }
      List<boolean[]> entries = new ArrayList<>(masks.size());
      for (int j = 0; j < masks.size(); j++) {
        MatrixMask m = masks.get(j);
        AdaptedMatrix a = spec.getMatrices().get(j);
        try {
          entries.add(PackedBits.unpack(m.getEntries(), a.getInitialRank() * a.getDIn()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "command "
                  + c.getCommandId()
                  + ": entry mask of matrix "
                  + j
                  + " '"
                  + m.getName()
                  + "' does not fit rank "
                  + a.getInitialRank()
                  + " x dIn "
                  + a.getDIn()
                  + ": "
                  + e.getMessage(),
              e);
        }
      }
      mask = new MaskUpdate.EntryMask(entries);
    } else {
      int n = 0;
      for (MatrixMask m : masks) {
        n += m.getKeep().size();
      }
      boolean[] keep = new boolean[n];
      int at = 0;
      for (MatrixMask m : masks) {
        for (Boolean b : m.getKeep()) {
          keep[at++] = b;
        }
      }
      mask = new MaskUpdate.TripletMask(keep);
    }
    return new Decision(
        c.getDecidedAtStep(),
        c.getApplyAtStep(),
        mask.keptCount(),
        c.getPersistent(),
        mask,
        Diagnostics.none());
  }

  /**
   * Kept singular values; for entry masks the rows of A with a kept entry (the trainer's active
   * rank).
   */
  private static int totalRank(TrainerStep e, ExperimentSpec spec) {
    int r = 0;
    for (int k = 0; k < e.matrices().size(); k++) {
      MatrixStep m = e.matrices().get(k);
      boolean[] keep = m.keep();
      int cols = m.singularValues() == null ? spec.getMatrices().get(k).getDIn() : 1;
      for (int row = 0; row * cols < keep.length; row++) {
        boolean any = false;
        for (int c = row * cols; c < (row + 1) * cols && c < keep.length; c++) {
          any |= keep[c];
        }
        r += any ? 1 : 0;
      }
    }
    return r;
  }

  /** Publishes a status record (the {@code watch} monitor shows these). */
  public void status(TrainerState state, double stepsPerSecond) {
    status(state, stepsPerSecond, Map.of(), null);
  }

  public void status(
      TrainerState state, double stepsPerSecond, Map<String, Double> metrics, String message) {
    if (client.refused() > 0) {
      // refused commands are reported with every status (the watch monitor and dashboard show them)
      Map<String, Double> withRefusals = new TreeMap<>(metrics);
      withRefusals.put(COMMANDS_REFUSED, (double) client.refused());
      metrics = withRefusals;
      message = message == null ? client.lastRefusal() : message + "; " + client.lastRefusal();
    }
    client.status(
        TrainerStatus.newBuilder()
            .setExperimentId(client.experimentId())
            .setRunId(client.runId())
            .setEpoch(client.epoch())
            .setState(state)
            .setStep(Math.max(0, lastStep))
            .setTotalSteps(spec.getSchedule().getTotalSteps())
            .setWallClockMs(Instant.now())
            .setTaskLoss(Double.isFinite(lastLoss) ? lastLoss : 0.0)
            .setStepsPerSecond(stepsPerSecond)
            .setTotalRank(lastTotalRank)
            .setCommandsApplied(commandsApplied)
            .setLastAppliedSequence(client.lastSequence())
            .setCommandLagSteps(maxLagSteps)
            .setMetrics(metrics)
            .setMessage(message)
            .build());
  }

  /** Steps per second since the first step this host saw. */
  public double stepsPerSecond() {
    double secs = (System.nanoTime() - firstStepNanos) / 1e9;
    return stepsSeen < 2 || secs <= 0 ? 0 : (stepsSeen - 1) / secs;
  }

  public LoopLatency latency() {
    return latency;
  }

  /** This run's epoch (above the checkpoint's when the run was resumed). */
  public int epoch() {
    return client.epoch();
  }

  public long commandsApplied() {
    return commandsApplied;
  }

  /**
   * Commands addressed to this run that were refused (see {@link
   * ExperimentClient#checkCommandsAgainst}).
   */
  public long commandsRefused() {
    return client.refused();
  }

  /**
   * Mean lag in steps between the step a command names and the step it was applied at (0 in sync
   * mode).
   */
  public double meanLagSteps() {
    return commandsApplied == 0 ? 0 : (double) lagStepsTotal / commandsApplied;
  }

  public long maxLagSteps() {
    return maxLagSteps;
  }

  public Mode mode() {
    return mode;
  }

  @Override
  public byte[] snapshot() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(b)) {
      out.writeLong(client.lastSequence());
      out.writeLong(commandsApplied);
      out.writeInt(client.epoch());
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return b.toByteArray();
  }

  /**
   * Restores the count of applied commands and the last applied sequence from a trainer checkpoint,
   * so a replayed command is never applied twice. The resumed run gets an epoch above the
   * checkpoint's (a restart within the same second would otherwise reuse it). The analyzer accepts
   * the resumed run at any step after the oldest policy snapshot it keeps (by default the last
   * window end; {@code --resume-snapshots 4}: three window ends further back) up to the step after
   * the last one it processed — steps the crashed run sent after the checkpoint are dropped and
   * decided again, and the pruner rewinds its rank pattern — or a restart at step 0 (see {@code
   * AnalyzerProcessor}).
   */
  @Override
  public void restore(byte[] state) {
    restore(state, 0);
  }

  /**
   * As {@link #restore(byte[])}, for the {@code resumeNumber}-th resume from the checkpoint folder
   * (kept beside the checkpoint, never reused): the resumed run's epoch is the checkpoint's epoch
   * plus that number, so two runs resumed from one checkpoint — however close in time — never share
   * an epoch, and each is above every epoch the checkpoint's earlier resumes used. {@code 0}: no
   * counter (the epoch is only raised above the checkpoint's).
   */
  @Override
  public void restore(byte[] state, long resumeNumber) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
      client.skipUpTo(in.readLong());
      commandsApplied = in.readLong();
      if (in.available() >= Integer.BYTES) { // checkpoints of earlier versions end here
        int previous = in.readInt();
        if (resumeNumber > 0) {
          client.resumeEpoch(previous, resumeNumber);
        } else {
          client.requireEpochAbove(previous);
        }
      }
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  /** The run failed: {@link #close} publishes FAILED with this message instead of FINISHED. */
  @Override
  public void fail(Throwable cause) {
    failure = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }

  /**
   * Publishes the final status — FINISHED when the run reached its last step, FAILED with the
   * reason when it failed ({@link #fail}) or ended early — flushes outstanding events and closes
   * the Kafka clients (the host owns its {@link ExperimentClient}).
   */
  @Override
  public void close() {
    try {
      long total = spec.getSchedule().getTotalSteps();
      if (failure == null && lastStep + 1 < total) {
        failure = "run ended at step " + (lastStep + 1) + " of " + total;
      }
      if (failure == null) {
        status(TrainerState.FINISHED, stepsPerSecond());
        client.flush(); // the last events before the tombstone
        client.deregister(); // the apps' state of the experiment can go (a failed run keeps it)
      } else {
        status(TrainerState.FAILED, stepsPerSecond(), Map.of(), failure);
      }
      client.flush();
    } finally {
      client.close();
    }
  }
}
