package io.salientstream.analyzer;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.DeadLetterReason;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.streams.RejectedRecord;
import java.util.List;

/**
 * Checks a singular-value event against its experiment's registration before any state is touched. Every rule
 * rejects with a {@link RejectedRecord} whose message names the experiment, the step and the offending field:
 *
 * <ul>
 *   <li>{@code UNKNOWN_EXPERIMENT} — no registration for the key;</li>
 *   <li>{@code WRONG_LENGTH} — matrix count, a matrix name, or a vector length differs from the registration;</li>
 *   <li>{@code INVALID_VALUE} — NaN or infinite singular value, regulariser or importance, a negative step, or an
 *       input the experiment's policy needs is missing.</li>
 * </ul>
 */
public final class StepValidator {

  private StepValidator() {}

  public static void validate(String key, ExperimentSpec spec, StepEvent e) {
    if (spec == null) {
      throw new RejectedRecord(DeadLetterReason.UNKNOWN_EXPERIMENT, "experiment '" + key + "' step " + e.step()
          + ": no experiment registered under this id (register it on the experiments topic first)");
    }
    if (!key.equals(e.experimentId())) {
      throw new RejectedRecord(DeadLetterReason.INVALID_VALUE, where(key, e)
          + ": record key does not match experimentId '" + e.experimentId() + "'");
    }
    if (e.step() < 0) {
      throw new RejectedRecord(DeadLetterReason.INVALID_VALUE, where(key, e) + ": step must be >= 0");
    }
    List<AdaptedMatrix> expected = spec.getMatrices();
    if (e.matrixCount() != expected.size()) {
      throw new RejectedRecord(DeadLetterReason.WRONG_LENGTH,
          where(key, e) + ": " + e.matrixCount() + " matrices, the experiment registers " + expected.size());
    }
    boolean needsR = spec.getPolicy().equals("salientlora");
    boolean needsImportance = spec.getPolicy().equals("adalora");
    if (needsR && !Double.isFinite(e.orthRegLoss())) {
      throw new RejectedRecord(DeadLetterReason.INVALID_VALUE, where(key, e) + ": orthRegLoss is " + e.orthRegLoss());
    }
    double[] sv = e.singularValues();
    double[] importance = e.importance();
    int offset = 0;
    for (int k = 0; k < expected.size(); k++) {
      AdaptedMatrix a = expected.get(k);
      if (!e.names()[k].equals(a.getName())) {
        throw new RejectedRecord(DeadLetterReason.WRONG_LENGTH, at(key, e, k) + ": expected matrix '" + a.getName() + "' at this position");
      }
      int r = a.getInitialRank();
      checkLength(key, e, k, "singularValues", e.valueLengths()[k], r);
      checkLength(key, e, k, "mask", e.maskLengths()[k], r);
      for (int i = 0; i < r; i++) {
        if (!Double.isFinite(sv[offset + i])) {
          throw new RejectedRecord(DeadLetterReason.INVALID_VALUE, at(key, e, k) + ": singularValues[" + i + "] is " + (float) sv[offset + i]);
        }
      }
      if (needsImportance) {
        if (e.importanceLengths()[k] < 0) {
          throw new RejectedRecord(DeadLetterReason.INVALID_VALUE, at(key, e, k) + ": importance is required by policy adalora");
        }
        checkLength(key, e, k, "importance", e.importanceLengths()[k], r);
        for (int i = 0; i < r; i++) {
          if (!Double.isFinite(importance[offset + i])) {
            throw new RejectedRecord(DeadLetterReason.INVALID_VALUE, at(key, e, k) + ": importance[" + i + "] is " + importance[offset + i]);
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

  private static void checkLength(String key, StepEvent e, int k, String field, int got, int expected) {
    if (got != expected) {
      throw new RejectedRecord(DeadLetterReason.WRONG_LENGTH,
          at(key, e, k) + ": " + field + " has " + got + " entries, the matrix has rank " + expected);
    }
  }
}
