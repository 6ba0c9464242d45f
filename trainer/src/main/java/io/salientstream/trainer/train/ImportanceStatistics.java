package io.salientstream.trainer.train;

import ai.djl.ndarray.NDArray;
import io.salientstream.core.adalora.AdaLoraImportance;
import io.salientstream.core.policy.Decision;
import io.salientstream.trainer.adapter.AdaptedLinear;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * AdaLoRA's importance (spec §3.2): after every optimizer update, |w·∂L/∂w| of each adapter's P, Λ
 * and Q goes into the sensitivity and uncertainty averages of {@link AdaLoraImportance}; every
 * event carries the triplet scores; after AdaLoRA's forced final mask (a persistent command) the
 * averages are cleared, as PEFT does (spec §3.4).
 */
final class ImportanceStatistics implements StepStatistics {

  private final List<AdaptedLinear> adapters;
  private final AdaLoraImportance importance;

  private ImportanceStatistics(List<AdaptedLinear> adapters) {
    this.adapters = adapters;
    this.importance = new AdaLoraImportance(Trainer.layoutOf(adapters));
  }

  /** Over the adapters with sensitivity factors (SVD adapters), or empty when there are none. */
  static Optional<ImportanceStatistics> of(List<AdaptedLinear> all) {
    List<AdaptedLinear> factored =
        all.stream().filter(a -> !a.sensitivityFactors().isEmpty()).toList();
    return factored.isEmpty() ? Optional.empty() : Optional.of(new ImportanceStatistics(factored));
  }

  @Override
  public void afterUpdate(UnaryOperator<NDArray> gradientOf) {
    for (int k = 0; k < adapters.size(); k++) {
      List<NDArray> f = adapters.get(k).sensitivityFactors();
      importance.update(
          k,
          sensitivity(f.get(0), gradientOf),
          sensitivity(f.get(1), gradientOf),
          sensitivity(f.get(2), gradientOf));
    }
  }

  private static double[] sensitivity(NDArray w, UnaryOperator<NDArray> gradientOf) {
    float[] f = w.mul(gradientOf.apply(w)).abs().toFloatArray();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  @Override
  public double[] tripletImportance(long step) {
    return importance.tripletScores();
  }

  @Override
  public void onDecisions(List<Decision> decisions) {
    if (decisions.stream().anyMatch(Decision::persistent)) {
      importance.reset();
    }
  }

  @Override
  public String checkpointKey() {
    return "importance";
  }

  @Override
  public byte[] snapshot() {
    return importance.snapshotState();
  }

  @Override
  public void restore(byte[] state) {
    importance.restoreState(state);
  }
}
