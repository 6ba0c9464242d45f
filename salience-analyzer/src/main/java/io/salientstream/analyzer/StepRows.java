package io.salientstream.analyzer;

import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.policy.BinaryState;
import io.salientstream.core.policy.StepInput;

/**
 * Converts singular-value events into the policy's {@link StepInput} and encodes that input as one
 * compact store row (so a restarted analyzer can replay the rows since the last snapshot through
 * the very same policy code).
 *
 * <p>Conversion is the contract the in-process trainer follows too: singular values travel as
 * float32 and widen exactly to double; the regulariser and importance scores travel as double. Rows
 * are stored in the {@link #FORMAT} layout of {@link BinaryState}.
 */
public final class StepRows {

  private StepRows() {}

  /**
   * The policy input carried by an event, in the experiment's global order (see {@link
   * SingularValueStepView#toInput}).
   */
  public static StepInput toInput(SingularValueStep e) {
    return SingularValueStepView.of(e).toInput();
  }

  /** The stored layout (type {@code ROW}, version 1) of one window row. */
  public static final BinaryState.Format FORMAT =
      new BinaryState.Format("ROW", 1, "analyzer window row");

  /**
   * Encodes one row: step, R, the singular values as float32, the importance scores (or absent).
   *
   * <p>PRILoRA's inputs have no place in this layout, and need none: the analyzer feeds a policy
   * only what it reads at a step ({@code RankPolicy.inputsAt}), PRILoRA reads them only at its
   * pruning steps, every pruning step is a decision, and a decision step is stored as a policy
   * snapshot, never as a row. A row that would carry them is refused rather than stored without
   * them (a policy reading them at a step where it does not decide needs a new row layout, version
   * 2).
   *
   * @throws IllegalStateException if {@code in} carries PRILoRA inputs
   */
  public static byte[] encode(StepInput in) {
    if (in.priLora() != null) {
      throw new IllegalStateException(
          FORMAT.what()
              + " of step "
              + in.step()
              + ": layout version "
              + FORMAT.version()
              + " holds no PRILoRA inputs (they are read only at decision steps, which are stored as snapshots)");
    }
    double[] sv = in.singularValues();
    double[] scores = in.tripletScores();
    return FORMAT
        .writer(32 + sv.length * 4 + (scores == null ? 0 : 4 + scores.length * 8))
        .putLong(in.step())
        .putDouble(in.orthRegLoss())
        .putFloats(sv) // exact: the values arrived as float32
        .putDoubles(scores)
        .toBytes();
  }

  /**
   * @throws IllegalArgumentException naming the layout versions, or the field, when the bytes
   *     cannot be read
   */
  public static StepInput decode(byte[] row) {
    BinaryState.Reader in = FORMAT.reader(row);
    long step = in.getLong();
    double r = in.getDouble();
    double[] sv = in.getFloats();
    double[] scores = in.getDoubles();
    in.requireEnd();
    if (sv == null || (scores != null && scores.length != sv.length)) {
      throw new IllegalArgumentException(
          FORMAT.what()
              + " of step "
              + step
              + ": "
              + (sv == null
                  ? "no singular values"
                  : scores.length + " scores for " + sv.length + " values"));
    }
    return new StepInput(step, r, sv, scores, null);
  }
}
