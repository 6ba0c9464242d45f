package io.salientstream.core.policy;

/**
 * Validation of {@link StepInput} fields with errors that name the policy, the field and the step.
 */
public final class Inputs {
  private Inputs() {}

  /** Checks that {@code values} is present, has {@code length} entries and is finite everywhere. */
  public static double[] requireVector(
      String policy, long step, String field, double[] values, int length) {
    if (values == null)
      throw new IllegalArgumentException(policy + ": step " + step + ": " + field + " is required");
    if (values.length != length) {
      throw new IllegalArgumentException(
          policy
              + ": step "
              + step
              + ": "
              + field
              + " has "
              + values.length
              + " entries, expected "
              + length);
    }
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw new IllegalArgumentException(
            policy + ": step " + step + ": " + field + "[" + i + "] is " + values[i]);
      }
    }
    return values;
  }

  /** Checks that steps increase strictly. */
  public static void requireAfter(String policy, long step, long previous) {
    if (step < 0) throw new IllegalArgumentException(policy + ": step must be >= 0, got " + step);
    if (step <= previous) {
      throw new IllegalArgumentException(
          policy + ": step " + step + " is not after the previous step " + previous);
    }
  }
}
