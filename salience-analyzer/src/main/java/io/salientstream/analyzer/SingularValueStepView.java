package io.salientstream.analyzer;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.DeadLetterReason;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.PriLoraInputs;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.policy.StepInput;
import io.salientstream.streams.RejectedRecord;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What the analyzer reads from one {@link SingularValueStep} event, in primitive arrays: the
 * singular values of every matrix concatenated in the event's matrix order (float32 on the wire,
 * widened exactly to double), the importance scores likewise, and per matrix the name and the
 * length of each vector as sent (so {@link #check} can name a wrong one). Produced by {@link
 * SingularValueStepReader} straight from the Avro bytes, or by {@link #of} from a decoded record;
 * both give equal events.
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
public record SingularValueStepView(
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
   * passed {@link #check} (lengths equal to the registration's); the arrays are shared, not copied.
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
  public static SingularValueStepView of(SingularValueStep e) {
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
    return new SingularValueStepView(
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

  /**
   * Checks this event against its experiment's registration before any state is touched. Every rule
   * rejects with a {@link RejectedRecord} whose message names the experiment, the step and the
   * offending field:
   *
   * <ul>
   *   <li>{@code UNKNOWN_EXPERIMENT} — no registration for the key;
   *   <li>{@code WRONG_LENGTH} — matrix count, a matrix name, or a vector length differs from the
   *       registration (singular values and mask: r entries for a policy with triplet masks, none
   *       for one with entry masks, whose adapters are plain LoRA; PRILoRA's |A|: r·d_in, its
   *       input-norm EMA: d_in);
   *   <li>{@code INVALID_VALUE} — NaN or infinite singular value, regulariser, importance or
   *       PRILoRA input, a negative step, or an input the experiment's policy reads at this step
   *       ({@link RankPolicy#inputsAt}) is missing.
   * </ul>
   *
   * What the policy reads is asked of the policy built from the registration, not decided here by
   * its name.
   *
   * @param policy a policy built from {@code spec} (only its pure functions of the parameters are
   *     used; may be null when {@code spec} is)
   */
  public void check(String key, ExperimentSpec spec, RankPolicy policy) {
    SingularValueStepView e = this;
    if (spec == null) {
      throw new RejectedRecord(
          DeadLetterReason.UNKNOWN_EXPERIMENT,
          "experiment '"
              + key
              + "' step "
              + e.step()
              + ": no experiment registered under this id (register it on the experiments topic first)");
    }
    if (!key.equals(e.experimentId())) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE,
          where(key, e) + ": record key does not match experimentId '" + e.experimentId() + "'");
    }
    if (e.step() < 0) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE, where(key, e) + ": step must be >= 0");
    }
    long totalSteps = spec.getSchedule().getTotalSteps();
    if (e.step() >= totalSteps) { // the registration's cap on T: a run's rows never outgrow it
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE,
          where(key, e)
              + ": beyond the run, the experiment registers "
              + totalSteps
              + " steps (0 to "
              + (totalSteps - 1)
              + ")");
    }
    List<AdaptedMatrix> expected = spec.getMatrices();
    if (e.matrixCount() != expected.size()) {
      throw new RejectedRecord(
          DeadLetterReason.WRONG_LENGTH,
          where(key, e)
              + ": "
              + e.matrixCount()
              + " matrices, the experiment registers "
              + expected.size());
    }
    Set<RankPolicy.Input> reads = policy.inputsAt(e.step());
    boolean needsR = reads.contains(RankPolicy.Input.ORTH_REG_LOSS);
    boolean needsImportance = reads.contains(RankPolicy.Input.TRIPLET_SCORES);
    boolean needsPriLora = reads.contains(RankPolicy.Input.PRILORA);
    boolean entries = policy.maskKind() == RankPolicy.MaskKind.ENTRY;
    if (needsR && !Double.isFinite(e.orthRegLoss())) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE, where(key, e) + ": orthRegLoss is " + e.orthRegLoss());
    }
    double[] sv = e.singularValues();
    double[] importance = e.importance();
    int offset = 0;
    for (int k = 0; k < expected.size(); k++) {
      AdaptedMatrix a = expected.get(k);
      if (!e.names()[k].equals(a.getName())) {
        throw new RejectedRecord(
            DeadLetterReason.WRONG_LENGTH,
            at(key, e, k) + ": expected matrix '" + a.getName() + "' at this position");
      }
      int r = a.getInitialRank();
      if (needsPriLora) {
        checkPriLora(key, e, k, a, policy.name());
      }
      if (entries) { // plain LoRA adapters: no singular values, the entry mask is the last
        // command's
        checkLength(
            key, e, k, "singularValues", e.valueLengths()[k], 0, "a plain-LoRA matrix has none");
        checkLength(key, e, k, "mask", e.maskLengths()[k], 0, "a plain-LoRA matrix has none");
        continue;
      }
      checkLength(key, e, k, "singularValues", e.valueLengths()[k], r);
      checkLength(key, e, k, "mask", e.maskLengths()[k], r);
      for (int i = 0; i < r; i++) {
        if (!Double.isFinite(sv[offset + i])) {
          throw new RejectedRecord(
              DeadLetterReason.INVALID_VALUE,
              at(key, e, k) + ": singularValues[" + i + "] is " + (float) sv[offset + i]);
        }
      }
      if (needsImportance) {
        if (e.importanceLengths()[k] < 0) {
          throw new RejectedRecord(
              DeadLetterReason.INVALID_VALUE,
              at(key, e, k)
                  + ": importance is required by policy "
                  + policy.name()
                  + " at this step");
        }
        checkLength(key, e, k, "importance", e.importanceLengths()[k], r);
        for (int i = 0; i < r; i++) {
          if (!Double.isFinite(importance[offset + i])) {
            throw new RejectedRecord(
                DeadLetterReason.INVALID_VALUE,
                at(key, e, k) + ": importance[" + i + "] is " + importance[offset + i]);
          }
        }
      }
      offset += r;
    }
  }

  private static String where(String key, SingularValueStepView e) {
    return "experiment '" + key + "' step " + e.step();
  }

  /** Messages are built only on failure (this runs for every event). */
  private static String at(String key, SingularValueStepView e, int k) {
    return where(key, e) + " matrix " + k + " '" + e.names()[k] + "'";
  }

  private static void checkLength(
      String key, SingularValueStepView e, int k, String field, int got, int expected) {
    checkLength(key, e, k, field, got, expected, "the matrix has rank " + expected);
  }

  private static void checkLength(
      String key, SingularValueStepView e, int k, String field, int got, int expected, String why) {
    if (got != expected) {
      throw new RejectedRecord(
          DeadLetterReason.WRONG_LENGTH,
          at(key, e, k) + ": " + field + " has " + got + " entries, " + why);
    }
  }

  private static void checkPriLora(
      String key, SingularValueStepView e, int k, AdaptedMatrix a, String policy) {
    double[] absA = e.priLoraAbsA() == null ? null : e.priLoraAbsA()[k];
    if (absA == null) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE,
          at(key, e, k)
              + ": priLora (|A| and the input-norm EMA) is required: policy "
              + policy
              + " reads it at this step");
    }
    double[] ema = e.priLoraEma()[k];
    int r = a.getInitialRank();
    int dIn = a.getDIn();
    checkLength(
        key,
        e,
        k,
        "priLora.absA",
        absA.length,
        r * dIn,
        "the matrix has rank " + r + " x dIn " + dIn);
    checkLength(key, e, k, "priLora.inputNormEma", ema.length, dIn, "the matrix has dIn " + dIn);
    for (int i = 0; i < absA.length; i++) {
      if (!Double.isFinite(absA[i])) {
        throw new RejectedRecord(
            DeadLetterReason.INVALID_VALUE,
            at(key, e, k) + ": priLora.absA[" + i + "] is " + (float) absA[i]);
      }
    }
    for (int j = 0; j < ema.length; j++) {
      if (!Double.isFinite(ema[j])) {
        throw new RejectedRecord(
            DeadLetterReason.INVALID_VALUE,
            at(key, e, k) + ": priLora.inputNormEma[" + j + "] is " + ema[j]);
      }
    }
  }
}
