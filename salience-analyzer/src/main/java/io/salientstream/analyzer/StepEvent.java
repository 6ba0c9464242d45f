package io.salientstream.analyzer;

import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.PriLoraInputs;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.policy.StepInput;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What the analyzer reads from one {@link SingularValueStep} event, in primitive arrays: the
 * singular values of every matrix concatenated in the event's matrix order (float32 on the wire,
 * widened exactly to double), the importance scores likewise, and per matrix the name and the
 * length of each vector as sent (so {@link StepValidator} can name a wrong one). Produced by {@link
 * StepEventReader} straight from the Avro bytes, or by {@link #of} from a decoded record; both give
 * equal events.
 *
 * <p>The mask and the unused v1 input summary are not kept (the analyzer does not use them); the
 * mask's length is. PRILoRA's inputs ({@code priLora}, sent only at its pruning steps) are kept per
 * matrix.
 *
 * @param importanceLengths per matrix, the length of its importance vector, or -1 when the event
 *     has none
 * @param importance the importance scores laid out like {@code singularValues} (matrix m's at the
 *     same offsets as its singular values; 0 where a matrix has none, entries beyond its value
 *     count dropped), or {@code null} when no matrix has any
 * @param priLoraAbsA per matrix, PRILoRA's |A| (float32 widened exactly), {@code null} where a
 *     matrix has none; the array itself is {@code null} when no matrix has any
 * @param priLoraEma per matrix, PRILoRA's input-norm EMA, laid out like {@code priLoraAbsA}
 */
public record StepEvent(
    String experimentId,
    String runId,
    int epoch,
    long step,
    long wallClockMs,
    double orthRegLoss,
    double taskLoss,
    double learningRate,
    String[] names,
    int[] valueLengths,
    int[] maskLengths,
    int[] importanceLengths,
    double[] singularValues,
    double[] importance,
    double[][] priLoraAbsA,
    double[][] priLoraEma) {

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

  /** True when every matrix carries PRILoRA inputs. */
  public boolean allPriLora() {
    if (priLoraAbsA == null) {
      return false;
    }
    for (double[] a : priLoraAbsA) {
      if (a == null) {
        return false;
      }
    }
    return true;
  }

  /**
   * The policy input carried by this event, in the experiment's global order. Valid once the event
   * passed {@link StepValidator} (lengths equal to the registration's); the arrays are shared, not
   * copied.
   */
  public StepInput toInput() {
    return toInput(EnumSet.allOf(RankPolicy.Input.class));
  }

  /**
   * The policy input with only the optional parts in {@code reads} ({@link RankPolicy#inputsAt} of
   * this step): what the policy does not read at this step is neither fed nor stored in the
   * analyzer's rows.
   */
  public StepInput toInput(Set<RankPolicy.Input> reads) {
    List<StepInput.PriLoraMatrixInput> pri = null;
    if (reads.contains(RankPolicy.Input.PRILORA) && allPriLora()) {
      pri = new ArrayList<>(priLoraAbsA.length);
      for (int m = 0; m < priLoraAbsA.length; m++) {
        pri.add(new StepInput.PriLoraMatrixInput(priLoraAbsA[m], priLoraEma[m]));
      }
    }
    return new StepInput(
        step,
        orthRegLoss,
        singularValues,
        reads.contains(RankPolicy.Input.TRIPLET_SCORES) && allImportance() ? importance : null,
        pri);
  }

  /**
   * The same event from a decoded record (the path for writer schemas other than the compiled one).
   */
  public static StepEvent of(SingularValueStep e) {
    List<MatrixSingularValues> ms = e.getMatrices();
    int k = ms.size();
    String[] names = new String[k];
    int[] valueLengths = new int[k];
    int[] maskLengths = new int[k];
    int[] importanceLengths = new int[k];
    int total = 0;
    boolean anyImportance = false;
    double[][] absA = null;
    double[][] ema = null;
    for (int m = 0; m < k; m++) {
      MatrixSingularValues v = ms.get(m);
      names[m] = v.getName();
      valueLengths[m] = v.getSingularValues().size();
      maskLengths[m] = v.getMask().size();
      importanceLengths[m] = v.getImportance() == null ? -1 : v.getImportance().size();
      anyImportance |= v.getImportance() != null;
      total += valueLengths[m];
      PriLoraInputs p = v.getPriLora();
      if (p != null) {
        if (absA == null) {
          absA = new double[k][];
          ema = new double[k][];
        }
        absA[m] = new double[p.getAbsA().size()];
        for (int j = 0; j < absA[m].length; j++) {
          absA[m][j] = p.getAbsA().get(j);
        }
        ema[m] = new double[p.getInputNormEma().size()];
        for (int j = 0; j < ema[m].length; j++) {
          ema[m][j] = p.getInputNormEma().get(j);
        }
      }
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
    return new StepEvent(
        e.getExperimentId(),
        e.getRunId(),
        e.getEpoch(),
        e.getStep(),
        e.getWallClockMs().toEpochMilli(),
        e.getOrthRegLoss(),
        e.getTaskLoss(),
        e.getLearningRate(),
        names,
        valueLengths,
        maskLengths,
        importanceLengths,
        sv,
        imp,
        absA,
        ema);
  }
}
