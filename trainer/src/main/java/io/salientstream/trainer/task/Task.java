package io.salientstream.trainer.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.salientstream.trainer.adapter.AdaptedLinear;
import java.util.List;
import java.util.Map;

/**
 * A model plus data the trainer can optimise: adapted layers, extra trainable arrays (e.g. a head),
 * a loss, metrics.
 */
public interface Task extends AutoCloseable {

  String name();

  /** The adapted matrices, in layout (global) order. */
  List<AdaptedLinear> adaptedLayers();

  /**
   * Trainable arrays that are not adapters and never masked (e.g. a classification head); may be
   * empty.
   */
  List<NDArray> headParameters();

  /**
   * Frozen arrays outside the adapted layers (embeddings, LayerNorms), for the per-step manager
   * scope.
   */
  List<NDArray> frozenArrays();

  /** Number of training examples (the data order is a seeded permutation per epoch). */
  int trainSize();

  /** The mean task loss over the given training examples; arrays created in {@code step}. */
  NDArray loss(ParameterStore ps, NDManager step, int[] examples);

  /**
   * Evaluation on the validation split (periodic, cheap) or the test split (final); no gradients.
   */
  Map<String, Double> evaluate(NDManager home, boolean test);

  /**
   * Temporarily attaches every array of the model (frozen weights, adapters, head) to a per-step
   * manager, so that results of operations whose first operand is a weight are freed with the step,
   * not kept in the long-lived manager.
   */
  default void attachAll(NDManager step) {
    for (NDArray f : frozenArrays()) {
      f.tempAttach(step);
    }
    for (NDArray h : headParameters()) {
      h.tempAttach(step);
    }
    for (AdaptedLinear a : adaptedLayers()) {
      a.baseWeight().tempAttach(step);
      if (a.baseBias() != null) {
        a.baseBias().tempAttach(step);
      }
      a.trainableParameters().forEach(p -> p.tempAttach(step));
    }
  }

  @Override
  default void close() {}
}
