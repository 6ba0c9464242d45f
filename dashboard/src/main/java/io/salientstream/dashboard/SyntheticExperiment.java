package io.salientstream.dashboard;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.BudgetSchedule;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixMask;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.Provenance;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SalienceReport;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.avro.TrainerState;
import io.salientstream.avro.TrainerStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The records of one made-up experiment, as a trainer, the analyzer and the pruner would write them
 * (registration, a singular-value event per step, a salience report and a command at each window
 * end, a status every few steps) — for the dashboard's tests and its benchmark, which need many
 * experiments without training anything. The numbers are plausible, not computed by a policy: at
 * each window end the lowest-scoring kept singular values are pruned down to a linearly shrinking
 * budget.
 */
public final class SyntheticExperiment {

  private static final String[] COLUMNS = {"query", "key", "value", "output", "ffn.in", "ffn.out"};

  private final String id;
  private final int layers;
  private final int rank;
  private final long totalSteps;
  private final int window;
  private final Random random;
  private final boolean[][] keep;
  private long sequence;

  /**
   * @param layers layers; each has six adapted matrices
   * @param rank initial rank of every matrix
   * @param window steps between window ends
   */
  public SyntheticExperiment(
      String id, int layers, int rank, long totalSteps, int window, long seed) {
    this.id = id;
    this.layers = layers;
    this.rank = rank;
    this.totalSteps = totalSteps;
    this.window = window;
    this.random = new Random(seed);
    this.keep = new boolean[layers * COLUMNS.length][rank];
    for (boolean[] k : keep) {
      Arrays.fill(k, true);
    }
  }

  public String id() {
    return id;
  }

  public int matrices() {
    return keep.length;
  }

  public int window() {
    return window;
  }

  private int initialBudget() {
    return matrices() * rank;
  }

  private int targetBudget() {
    return initialBudget() / 3;
  }

  private int budgetAt(long step) {
    double f = Math.min(1.0, (double) step / Math.max(1, totalSteps * 2 / 3));
    return (int) Math.round(initialBudget() - f * (initialBudget() - targetBudget()));
  }

  public ExperimentSpec spec() {
    List<AdaptedMatrix> ms = new ArrayList<>();
    for (int k = 0; k < matrices(); k++) {
      ms.add(new AdaptedMatrix(name(k), k / COLUMNS.length, 64, 64, rank));
    }
    return ExperimentSpec.newBuilder()
        .setExperimentId(id)
        .setCreatedAtMs(Instant.now())
        .setModel("synthetic")
        .setTask("synthetic")
        .setMatrices(ms)
        .setPolicy("synthetic")
        .setSchedule(
            new BudgetSchedule(totalSteps, (long) window, 0L, initialBudget(), targetBudget()))
        .setAllocation("kafka-async")
        .build();
  }

  private String name(int k) {
    return "encoder.layer." + (k / COLUMNS.length) + "." + COLUMNS[k % COLUMNS.length];
  }

  public SingularValueStep step(long step, long wallClockMs) {
    List<MatrixSingularValues> ms = new ArrayList<>(matrices());
    for (int k = 0; k < matrices(); k++) {
      List<Float> values = new ArrayList<>(rank);
      List<Boolean> mask = new ArrayList<>(rank);
      for (int i = 0; i < rank; i++) {
        values.add(keep[k][i] ? (float) (1.0 / (1 + i) + 0.01 * random.nextGaussian()) : 0f);
        mask.add(keep[k][i]);
      }
      ms.add(
          MatrixSingularValues.newBuilder()
              .setName(name(k))
              .setLayer(k / COLUMNS.length)
              .setSingularValues(values)
              .setMask(mask)
              .build());
    }
    double loss = 2.0 * Math.exp(-step / (totalSteps / 4.0)) + 0.05 * random.nextDouble();
    return SingularValueStep.newBuilder()
        .setExperimentId(id)
        .setRunId(id + "-run")
        .setEpoch(0)
        .setStep(step)
        .setWallClockMs(Instant.ofEpochMilli(wallClockMs))
        .setOrthRegLoss(0.0)
        .setTaskLoss(loss)
        .setLearningRate(1e-3)
        .setMatrices(ms)
        .build();
  }

  /** Whether {@code step} closes a window (then {@link #windowEnd} gives its records). */
  public boolean isWindowEnd(long step) {
    return step > 0 && step % window == 0 && step < totalSteps;
  }

  /** The salience report and the command of the window that {@code step} closes. */
  public List<Object> windowEnd(long step, long nowMs) {
    int budget = budgetAt(step);
    double[] scores = new double[matrices() * rank];
    List<Double> salience = new ArrayList<>(scores.length);
    for (int i = 0; i < scores.length; i++) {
      scores[i] = keep[i / rank][i % rank] ? random.nextDouble() : 0.0;
      salience.add(scores[i]);
    }
    double[] sorted = scores.clone();
    Arrays.sort(sorted);
    double threshold = sorted[Math.max(0, scores.length - budget - 1)];
    List<Boolean> keepMask = new ArrayList<>(scores.length);
    int total = 0;
    for (int i = 0; i < scores.length; i++) {
      boolean k = keep[i / rank][i % rank] && scores[i] > threshold;
      keep[i / rank][i % rank] = k;
      keepMask.add(k);
      total += k ? 1 : 0;
    }
    SalienceReport report =
        SalienceReport.newBuilder()
            .setExperimentId(id)
            .setRunId(id + "-run")
            .setEpoch(0)
            .setPolicy("synthetic")
            .setWindowIndex((int) (step / window))
            .setWindowStartStep(step - window + 1)
            .setWindowEndStep(step)
            .setWindowLength(window)
            .setNextWindowLength(window)
            .setEffectiveFromStep(step + 1)
            .setPersistent(true)
            .setBudget(budget)
            .setThreshold(threshold)
            .setSalience(salience)
            .setInfluence(List.of())
            .setMagnitude(List.of())
            .setKeepMask(keepMask)
            .setEdges(0)
            .setComputeMillis(1.0)
            .build();
    List<MatrixMask> masks = new ArrayList<>();
    for (int k = 0; k < matrices(); k++) {
      List<Boolean> kk = new ArrayList<>(rank);
      for (boolean b : keep[k]) {
        kk.add(b);
      }
      masks.add(new MatrixMask(name(k), k / COLUMNS.length, kk, null));
    }
    sequence++;
    RankPruneCommand command =
        RankPruneCommand.newBuilder()
            .setCommandId(id + "-" + sequence)
            .setSequence(sequence)
            .setExperimentId(id)
            .setTargetRunId(id + "-run")
            .setTargetEpoch(0)
            .setApplyAtStep(step + 1)
            .setPersistent(true)
            .setDecidedAtStep(step)
            .setMasks(masks)
            .setTotalRank(total)
            .setProvenance(
                new Provenance(
                    "synthetic",
                    Map.of("window", "" + window),
                    step - window + 1,
                    step,
                    threshold,
                    "synthetic"))
            .setCreatedAtMs(Instant.ofEpochMilli(nowMs))
            .setWindowClosedAtMs(Instant.ofEpochMilli(nowMs))
            .build();
    return List.of(report, command);
  }

  public TrainerStatus status(long step, long nowMs, double stepsPerSecond) {
    int total = 0;
    for (boolean[] k : keep) {
      for (boolean b : k) {
        total += b ? 1 : 0;
      }
    }
    return TrainerStatus.newBuilder()
        .setExperimentId(id)
        .setRunId(id + "-run")
        .setEpoch(0)
        .setState(step + 1 >= totalSteps ? TrainerState.FINISHED : TrainerState.RUNNING)
        .setStep(step)
        .setTotalSteps(totalSteps)
        .setWallClockMs(Instant.ofEpochMilli(nowMs))
        .setTaskLoss(2.0 * Math.exp(-step / (totalSteps / 4.0)))
        .setStepsPerSecond(stepsPerSecond)
        .setTotalRank(total)
        .setCommandsApplied(sequence)
        .setLastAppliedSequence(sequence)
        .setCommandLagSteps(0)
        .setMetrics(Map.of("accuracy", Math.min(1.0, 0.3 + step / (double) totalSteps)))
        .setMessage(null)
        .build();
  }
}
