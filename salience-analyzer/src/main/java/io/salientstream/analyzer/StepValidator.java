package io.salientstream.analyzer;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.DeadLetterReason;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.SingularValueStep;
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

  public static void validate(String key, ExperimentSpec spec, SingularValueStep e) {
    String where = "experiment '" + key + "' step " + e.getStep();
    if (spec == null) {
      throw new RejectedRecord(DeadLetterReason.UNKNOWN_EXPERIMENT,
          where + ": no experiment registered under this id (register it on the experiments topic first)");
    }
    if (!key.equals(e.getExperimentId())) {
      throw new RejectedRecord(DeadLetterReason.INVALID_VALUE,
          where + ": record key does not match experimentId '" + e.getExperimentId() + "'");
    }
    if (e.getStep() < 0) {
      throw new RejectedRecord(DeadLetterReason.INVALID_VALUE, where + ": step must be >= 0");
    }
    List<AdaptedMatrix> expected = spec.getMatrices();
    List<MatrixSingularValues> got = e.getMatrices();
    if (got.size() != expected.size()) {
      throw new RejectedRecord(DeadLetterReason.WRONG_LENGTH,
          where + ": " + got.size() + " matrices, the experiment registers " + expected.size());
    }
    boolean needsR = spec.getPolicy().equals("salientlora");
    boolean needsImportance = spec.getPolicy().equals("adalora");
    if (needsR && !Double.isFinite(e.getOrthRegLoss())) {
      throw new RejectedRecord(DeadLetterReason.INVALID_VALUE, where + ": orthRegLoss is " + e.getOrthRegLoss());
    }
    for (int k = 0; k < got.size(); k++) {
      MatrixSingularValues m = got.get(k);
      AdaptedMatrix a = expected.get(k);
      String at = where + " matrix " + k + " '" + m.getName() + "'";
      if (!m.getName().equals(a.getName())) {
        throw new RejectedRecord(DeadLetterReason.WRONG_LENGTH, at + ": expected matrix '" + a.getName() + "' at this position");
      }
      int r = a.getInitialRank();
      checkLength(at, "singularValues", m.getSingularValues().size(), r);
      checkLength(at, "mask", m.getMask().size(), r);
      List<Float> sv = m.getSingularValues();
      for (int i = 0; i < r; i++) {
        float v = sv.get(i);
        if (!Float.isFinite(v)) {
          throw new RejectedRecord(DeadLetterReason.INVALID_VALUE, at + ": singularValues[" + i + "] is " + v);
        }
      }
      if (needsImportance) {
        if (m.getImportance() == null) {
          throw new RejectedRecord(DeadLetterReason.INVALID_VALUE, at + ": importance is required by policy adalora");
        }
        checkLength(at, "importance", m.getImportance().size(), r);
        for (int i = 0; i < r; i++) {
          double v = m.getImportance().get(i);
          if (!Double.isFinite(v)) {
            throw new RejectedRecord(DeadLetterReason.INVALID_VALUE, at + ": importance[" + i + "] is " + v);
          }
        }
      }
    }
  }

  private static void checkLength(String at, String field, int got, int expected) {
    if (got != expected) {
      throw new RejectedRecord(DeadLetterReason.WRONG_LENGTH,
          at + ": " + field + " has " + got + " entries, the matrix has rank " + expected);
    }
  }
}
