package io.salientstream.analyzer;

import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.policy.StepInput;
import java.util.List;

/**
 * What the analyzer reads from one {@link SingularValueStep} event, in primitive arrays: the singular values of every
 * matrix concatenated in the event's matrix order (float32 on the wire, widened exactly to double), the importance
 * scores likewise, and per matrix the name and the length of each vector as sent (so {@link StepValidator} can name a
 * wrong one). Produced by {@link StepEventReader} straight from the Avro bytes, or by {@link #of} from a decoded record;
 * both give equal events.
 *
 * <p>The mask and PRILoRA's input statistics are not kept (the analyzer does not use them); the mask's length is.
 *
 * @param importanceLengths per matrix, the length of its importance vector, or -1 when the event has none
 * @param importance        the importance scores laid out like {@code singularValues} (matrix m's at the same
 *                          offsets as its singular values; 0 where a matrix has none, entries beyond its value count
 *                          dropped), or {@code null} when no matrix has any
 */
public record StepEvent(String experimentId, String runId, int epoch, long step, long wallClockMs, double orthRegLoss,
                        double taskLoss, double learningRate, String[] names, int[] valueLengths, int[] maskLengths,
                        int[] importanceLengths, double[] singularValues, double[] importance) {

  public int matrixCount() {
    return names.length;
  }

  /** True when every matrix carries importance scores. */
  public boolean allImportance() {
    for (int len : importanceLengths) {
      if (len < 0) {
        return false;
      }
    }
    return importance != null;
  }

  /**
   * The policy input carried by this event, in the experiment's global order. Valid once the event passed
   * {@link StepValidator} (lengths equal to the registration's); the arrays are shared, not copied.
   */
  public StepInput toInput() {
    return new StepInput(step, orthRegLoss, singularValues, allImportance() ? importance : null, null);
  }

  /** The same event from a decoded record (the path for writer schemas other than the compiled one). */
  public static StepEvent of(SingularValueStep e) {
    List<MatrixSingularValues> ms = e.getMatrices();
    int k = ms.size();
    String[] names = new String[k];
    int[] valueLengths = new int[k];
    int[] maskLengths = new int[k];
    int[] importanceLengths = new int[k];
    int total = 0;
    boolean anyImportance = false;
    for (int m = 0; m < k; m++) {
      MatrixSingularValues v = ms.get(m);
      names[m] = v.getName();
      valueLengths[m] = v.getSingularValues().size();
      maskLengths[m] = v.getMask().size();
      importanceLengths[m] = v.getImportance() == null ? -1 : v.getImportance().size();
      anyImportance |= v.getImportance() != null;
      total += valueLengths[m];
    }
    double[] sv = new double[total];
    double[] imp = anyImportance ? new double[total] : null;
    int at = 0;
    for (int m = 0; m < k; m++) {
      MatrixSingularValues v = ms.get(m);
      List<Float> values = v.getSingularValues();
      for (int j = 0; j < values.size(); j++) {
        sv[at + j] = values.get(j);
      }
      if (v.getImportance() != null) {
        List<Double> scores = v.getImportance();
        for (int j = 0; j < Math.min(scores.size(), valueLengths[m]); j++) {
          imp[at + j] = scores.get(j);
        }
      }
      at += valueLengths[m];
    }
    return new StepEvent(e.getExperimentId(), e.getRunId(), e.getEpoch(), e.getStep(), e.getWallClockMs().toEpochMilli(),
        e.getOrthRegLoss(), e.getTaskLoss(), e.getLearningRate(), names, valueLengths, maskLengths, importanceLengths, sv, imp);
  }
}
