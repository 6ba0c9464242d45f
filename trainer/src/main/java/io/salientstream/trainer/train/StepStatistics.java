package io.salientstream.trainer.train;

import ai.djl.ndarray.NDArray;
import io.salientstream.core.policy.Decision;
import io.salientstream.trainer.adapter.AdaptedLinear;
import io.salientstream.trainer.host.AllocationHost;
import io.salientstream.trainer.host.TrainerStep.InputStats;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A statistic the trainer keeps beside the adapters because the run's policy asks for it ({@link
 * AllocationHost.Need}): AdaLoRA's importance averages ({@link ImportanceStatistics}), PRILoRA's
 * input norms ({@link InputNormStatistics}). The trainer calls every listener at fixed points of
 * each step (see {@link Trainer}) and knows none of them by name.
 */
interface StepStatistics {

  /** Chooses the listeners for what the host needs, in a fixed order. */
  static List<StepStatistics> forNeeds(
      AllocationHost host, List<AdaptedLinear> adapters, double inputEmaBeta) {
    if (host == null) {
      return List.of();
    }
    List<StepStatistics> out = new ArrayList<>();
    if (host.needs().contains(AllocationHost.Need.TRIPLET_IMPORTANCE)) {
      ImportanceStatistics.of(adapters).ifPresent(out::add);
    }
    if (host.needs().contains(AllocationHost.Need.INPUT_STATS)) {
      out.add(new InputNormStatistics(adapters, inputEmaBeta));
    }
    return out;
  }

  /**
   * After the optimizer update of a step, while its gradients are readable ({@code gradientOf},
   * before zero-grad).
   */
  default void afterUpdate(UnaryOperator<NDArray> gradientOf) {}

  /** After the masks in force at {@code step} are applied, before the step's event is built. */
  default void afterMasks(long step) {}

  /** AdaLoRA's per-triplet importance scores for the event of {@code step}, or null. */
  default double[] tripletImportance(long step) {
    return null;
  }

  /** PRILoRA's per-matrix inputs for the event of {@code step}, or null. */
  default List<InputStats> inputStats(long step) {
    return null;
  }

  /** The decisions the host returned for a step (in-process, or decoded from Kafka commands). */
  default void onDecisions(List<Decision> decisions) {}

  /** Name of this statistic in a checkpoint. */
  String checkpointKey();

  /** Complete state, bit-exact ({@link io.salientstream.core.policy.BinaryState}). */
  byte[] snapshot();

  void restore(byte[] state);
}
