package io.salientstream.analyzer;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.BudgetSchedule;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.PriLoraInputs;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.schemas.PolicySpecs;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small registrations and step events for analyzer tests. */
final class Fixtures {

  private Fixtures() {}

  static ExperimentSpec spec(
      String id,
      String policy,
      int matrices,
      int rank,
      long totalSteps,
      long warmup,
      long finalSteps,
      int target,
      Map<String, String> params) {
    List<AdaptedMatrix> ms = new ArrayList<>();
    for (int k = 0; k < matrices; k++) {
      ms.add(new AdaptedMatrix("layer." + (k / 2) + ".m" + (k % 2), k / 2, 8, 8, rank));
    }
    return ExperimentSpec.newBuilder()
        .setExperimentId(id)
        .setCreatedAtMs(Instant.ofEpochMilli(1))
        .setModel("synthetic")
        .setMatrices(ms)
        .setPolicy(policy)
        .setPolicyParams(params)
        .setSchedule(new BudgetSchedule(totalSteps, warmup, finalSteps, matrices * rank, target))
        .build();
  }

  /**
   * A PRILoRA registration: {@link #spec}'s matrices with the ranks the policy gives their layers.
   */
  static ExperimentSpec priLoraSpec(String id, int matrices, Map<String, String> params) {
    ExperimentSpec spec = spec(id, "prilora", matrices, 1, 100, 0, 0, 0, params);
    AdapterLayout layout = PolicySpecs.create(spec).layout();
    for (int k = 0; k < matrices; k++) {
      spec.getMatrices().get(k).setInitialRank(layout.matrix(k).initialRank());
    }
    spec.getSchedule().setInitialBudget(layout.totalRank());
    return spec;
  }

  /**
   * A PRILoRA step as a plain-LoRA trainer sends it: no singular values or masks; |A| and the
   * input-norm EMA of every matrix when {@code withInputs} (at the policy's pruning steps).
   */
  static SingularValueStep priLoraStep(
      ExperimentSpec spec, String run, int epoch, long step, long seed, boolean withInputs) {
    Random rnd = new Random(seed * 1_000_003L + step);
    List<MatrixSingularValues> ms = new ArrayList<>();
    for (AdaptedMatrix m : spec.getMatrices()) {
      PriLoraInputs pri = null;
      if (withInputs) {
        List<Float> absA = new ArrayList<>();
        for (int i = 0; i < m.getInitialRank() * m.getDIn(); i++) {
          absA.add(Math.abs((float) rnd.nextGaussian()));
        }
        List<Double> ema = new ArrayList<>();
        for (int j = 0; j < m.getDIn(); j++) {
          ema.add(rnd.nextDouble());
        }
        pri = new PriLoraInputs(absA, ema);
      }
      ms.add(
          MatrixSingularValues.newBuilder()
              .setName(m.getName())
              .setLayer(m.getLayer())
              .setSingularValues(List.of())
              .setMask(List.of())
              .setPriLora(pri)
              .build());
    }
    return SingularValueStep.newBuilder()
        .setExperimentId(spec.getExperimentId())
        .setRunId(run)
        .setEpoch(epoch)
        .setStep(step)
        .setWallClockMs(Instant.ofEpochMilli(1000 + step))
        .setOrthRegLoss(Double.NaN)
        .setTaskLoss(1.0)
        .setLearningRate(1e-3)
        .setMatrices(ms)
        .build();
  }

  static int count(boolean[] bits) {
    int c = 0;
    for (boolean b : bits) {
      c += b ? 1 : 0;
    }
    return c;
  }

  /** A step whose singular values drift randomly (deterministic in seed and step). */
  static SingularValueStep step(ExperimentSpec spec, String run, int epoch, long step, long seed) {
    Random rnd = new Random(seed * 1_000_003L + step);
    List<MatrixSingularValues> ms = new ArrayList<>();
    for (AdaptedMatrix m : spec.getMatrices()) {
      List<Float> v = new ArrayList<>();
      List<Boolean> mask = new ArrayList<>();
      List<Double> imp = new ArrayList<>();
      for (int i = 0; i < m.getInitialRank(); i++) {
        v.add((float) (0.01 * (i + 1) + 1e-4 * step * (i % 3) + 1e-5 * rnd.nextGaussian()));
        mask.add(true);
        imp.add(Math.abs(rnd.nextGaussian()));
      }
      ms.add(
          MatrixSingularValues.newBuilder()
              .setName(m.getName())
              .setLayer(m.getLayer())
              .setSingularValues(v)
              .setMask(mask)
              .setImportance(spec.getPolicy().equals("adalora") ? imp : null)
              .build());
    }
    return SingularValueStep.newBuilder()
        .setExperimentId(spec.getExperimentId())
        .setRunId(run)
        .setEpoch(epoch)
        .setStep(step)
        .setWallClockMs(Instant.ofEpochMilli(1000 + step))
        .setOrthRegLoss(0.5 + 0.01 * rnd.nextDouble())
        .setTaskLoss(1.0)
        .setLearningRate(1e-3)
        .setMatrices(ms)
        .build();
  }
}
