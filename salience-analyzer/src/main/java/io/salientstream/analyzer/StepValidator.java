package io.salientstream.analyzer;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.DeadLetterReason;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.streams.RejectedRecord;
import java.util.List;
import java.util.Set;

/**
 * Checks a singular-value event against its experiment's registration before any state is touched.
 * Every rule rejects with a {@link RejectedRecord} whose message names the experiment, the step and
 * the offending field:
 *
 * <ul>
 *   <li>{@code UNKNOWN_EXPERIMENT} — no registration for the key;
 *   <li>{@code WRONG_LENGTH} — matrix count, a matrix name, or a vector length differs from the
 *       registration (singular values and mask: r entries for a policy with triplet masks, none for
 *       one with entry masks, whose adapters are plain LoRA; PRILoRA's |A|: r·d_in, its input-norm
 *       EMA: d_in);
 *   <li>{@code INVALID_VALUE} — NaN or infinite singular value, regulariser, importance or PRILoRA
 *       input, a negative step, or an input the experiment's policy reads at this step ({@link
 *       RankPolicy#inputsAt}) is missing.
 * </ul>
 *
 * What the policy reads is asked of the policy built from the registration, not decided here by its
 * name.
 */
public final class StepValidator {

  private StepValidator() {}

  /**
   * @param policy a policy built from {@code spec} (only its pure functions of the parameters are
   *     used; may be null when {@code spec} is)
   */
  public static void validate(String key, ExperimentSpec spec, RankPolicy policy, StepEvent e) {
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

  private static String where(String key, StepEvent e) {
    return "experiment '" + key + "' step " + e.step();
  }

  /** Messages are built only on failure (this runs for every event). */
  private static String at(String key, StepEvent e, int k) {
    return where(key, e) + " matrix " + k + " '" + e.names()[k] + "'";
  }

  private static void checkLength(
      String key, StepEvent e, int k, String field, int got, int expected) {
    checkLength(key, e, k, field, got, expected, "the matrix has rank " + expected);
  }

  private static void checkLength(
      String key, StepEvent e, int k, String field, int got, int expected, String why) {
    if (got != expected) {
      throw new RejectedRecord(
          DeadLetterReason.WRONG_LENGTH,
          at(key, e, k) + ": " + field + " has " + got + " entries, " + why);
    }
  }

  private static void checkPriLora(String key, StepEvent e, int k, AdaptedMatrix a, String policy) {
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
