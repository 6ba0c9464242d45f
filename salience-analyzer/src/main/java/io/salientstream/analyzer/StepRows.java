package io.salientstream.analyzer;

import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.policy.StepInput;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * Converts singular-value events into the policy's {@link StepInput} and encodes that input as one compact store row
 * (so a restarted analyzer can replay the rows since the last snapshot through the very same policy code).
 *
 * <p>Conversion is the contract the in-process trainer follows too: singular values travel as float32 and widen
 * exactly to double; the regulariser and importance scores travel as double. Row layout: step (long), R (double),
 * N (int), N floats, hasScores (byte), [N doubles].
 */
public final class StepRows {

  private StepRows() {}

  /** The policy input carried by an event, in the experiment's global order (see {@link StepEvent#toInput}). */
  public static StepInput toInput(SingularValueStep e) {
    return StepEvent.of(e).toInput();
  }

  /** Encodes one row (big-endian, the layout above; the same bytes {@link java.io.DataOutputStream} would write). */
  public static byte[] encode(StepInput in) {
    double[] sv = in.singularValues();
    double[] scores = in.tripletScores();
    ByteBuffer out = ByteBuffer.allocate(8 + 8 + 4 + sv.length * 4 + 1 + (scores == null ? 0 : scores.length * 8));
    out.putLong(in.step());
    out.putDouble(in.orthRegLoss());
    out.putInt(sv.length);
    for (double v : sv) {
      out.putFloat((float) v); // exact: the values arrived as float32
    }
    out.put((byte) (scores != null ? 1 : 0));
    if (scores != null) {
      for (double v : scores) {
        out.putDouble(v);
      }
    }
    return out.array();
  }

  public static StepInput decode(byte[] row) {
    try {
      ByteBuffer in = ByteBuffer.wrap(row);
      long step = in.getLong();
      double r = in.getDouble();
      int n = in.getInt();
      if (n < 0 || n > in.remaining() / 4) {
        throw new IllegalArgumentException("row claims " + n + " values in " + row.length + " bytes");
      }
      double[] sv = new double[n];
      for (int i = 0; i < n; i++) {
        sv[i] = in.getFloat();
      }
      double[] scores = null;
      if (in.get() != 0) {
        scores = new double[n];
        for (int i = 0; i < n; i++) {
          scores[i] = in.getDouble();
        }
      }
      return new StepInput(step, r, sv, scores, null);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new IllegalStateException("corrupt window row: " + e.getMessage(), e);
    }
  }
}
