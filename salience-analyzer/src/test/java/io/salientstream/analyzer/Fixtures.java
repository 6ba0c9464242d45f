package io.salientstream.analyzer;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.BudgetSchedule;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.SingularValueStep;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small registrations and step events for analyzer tests. */
final class Fixtures {

  private Fixtures() {}

  static ExperimentSpec spec(String id, String policy, int matrices, int rank, long totalSteps, long warmup, long finalSteps,
                             int target, Map<String, String> params) {
    List<AdaptedMatrix> ms = new ArrayList<>();
    for (int k = 0; k < matrices; k++) {
      ms.add(new AdaptedMatrix("layer." + (k / 2) + ".m" + (k % 2), k / 2, 8, 8, rank));
    }
    return ExperimentSpec.newBuilder().setExperimentId(id).setCreatedAtMs(Instant.ofEpochMilli(1)).setModel("synthetic")
        .setMatrices(ms).setPolicy(policy).setPolicyParams(params)
        .setSchedule(new BudgetSchedule(totalSteps, warmup, finalSteps, matrices * rank, target)).build();
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
      ms.add(MatrixSingularValues.newBuilder().setName(m.getName()).setLayer(m.getLayer()).setSingularValues(v)
          .setMask(mask).setImportance(spec.getPolicy().equals("adalora") ? imp : null).build());
    }
    return SingularValueStep.newBuilder().setExperimentId(spec.getExperimentId()).setRunId(run).setEpoch(epoch)
        .setStep(step).setWallClockMs(Instant.ofEpochMilli(1000 + step)).setOrthRegLoss(0.5 + 0.01 * rnd.nextDouble())
        .setTaskLoss(1.0).setLearningRate(1e-3).setMatrices(ms).build();
  }
}
