package io.salientstream.trainer.host;

import java.util.List;

/**
 * Everything a rank-allocation host may need after optimizer step {@code step} — the in-process
 * host feeds it to a core policy; a Kafka host serialises it as the per-step singular-value event.
 *
 * <p>Produced by the trainer once per optimizer step, after the update, after {@code zero-grad} and
 * after the masks in force have been applied (spec §2.2 step 4a), so masked singular values are
 * exactly 0.
 *
 * @param step optimizer step index, from 0 (the global step before its increment)
 * @param taskLoss task loss of this step's batch
 * @param orthRegLoss the orthogonal regulariser R_s computed on the parameters before the update
 *     (NaN without SVD adapters)
 * @param learningRate the learning rate used for this step's update
 * @param matrices all adapted matrices in layout (global) order
 * @param tripletImportance AdaLoRA: N per-triplet scores from the |w·grad| EMAs, or null when not
 *     requested
 * @param inputStats PRILoRA: per matrix |A| and input-norm EMA, or null when not requested
 */
public record TrainerStep(
    long step,
    double taskLoss,
    double orthRegLoss,
    double learningRate,
    List<MatrixStep> matrices,
    double[] tripletImportance,
    List<InputStats> inputStats) {

  /** The N singular values of all SVD matrices concatenated in global order. */
  public double[] concatenatedSingularValues() {
    int n = 0;
    for (MatrixStep m : matrices) {
      n += m.singularValues() == null ? 0 : m.singularValues().length;
    }
    double[] out = new double[n];
    int o = 0;
    for (MatrixStep m : matrices) {
      if (m.singularValues() != null) {
        System.arraycopy(m.singularValues(), 0, out, o, m.singularValues().length);
        o += m.singularValues().length;
      }
    }
    return out;
  }

  /**
   * One adapted matrix in a {@code TrainerStep}.
   *
   * @param name HuggingFace module path, e.g. {@code encoder.layer.3.attention.self.query}
   * @param layer transformer layer (0-based)
   * @param singularValues the r_k values λ after this step's update and masking (SVD adapters);
   *     null for plain LoRA
   * @param keep the keep bits in force: one per triplet (SVD) or one per entry of A, row-major
   *     (LoRA)
   */
  public record MatrixStep(String name, int layer, double[] singularValues, boolean[] keep) {}

  /**
   * PRILoRA inputs of one plain-LoRA matrix after a step.
   *
   * @param absA |A| entries, row-major [r, d_in]
   * @param inputNormEma per input feature j, the EMA over steps of ‖X[:, j]‖₂ over all tokens of
   *     the batch (collected by a forward hook on the adapted layer)
   */
  public record InputStats(double[] absA, double[] inputNormEma) {}
}
