package io.salientstream.analyzer;

import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.policy.StepInput;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

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

  /** The policy input carried by an event, in the experiment's global order. */
  public static StepInput toInput(SingularValueStep e) {
    int n = 0;
    boolean scores = true;
    for (MatrixSingularValues m : e.getMatrices()) {
      n += m.getSingularValues().size();
      scores &= m.getImportance() != null;
    }
    double[] sv = new double[n];
    double[] imp = scores ? new double[n] : null;
    int i = 0;
    for (MatrixSingularValues m : e.getMatrices()) {
      List<Float> v = m.getSingularValues();
      for (int j = 0; j < v.size(); j++, i++) {
        sv[i] = v.get(j);
        if (imp != null) {
          imp[i] = m.getImportance().get(j);
        }
      }
    }
    return new StepInput(e.getStep(), e.getOrthRegLoss(), sv, imp, null);
  }

  public static byte[] encode(StepInput in) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + in.singularValues().length * 12);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeLong(in.step());
      out.writeDouble(in.orthRegLoss());
      double[] sv = in.singularValues();
      out.writeInt(sv.length);
      for (double v : sv) {
        out.writeFloat((float) v); // exact: the values arrived as float32
      }
      double[] scores = in.tripletScores();
      out.writeBoolean(scores != null);
      if (scores != null) {
        for (double v : scores) {
          out.writeDouble(v);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static StepInput decode(byte[] row) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(row))) {
      long step = in.readLong();
      double r = in.readDouble();
      int n = in.readInt();
      double[] sv = new double[n];
      for (int i = 0; i < n; i++) {
        sv[i] = in.readFloat();
      }
      double[] scores = null;
      if (in.readBoolean()) {
        scores = new double[n];
        for (int i = 0; i < n; i++) {
          scores[i] = in.readDouble();
        }
      }
      return new StepInput(step, r, sv, scores, null);
    } catch (IOException e) {
      throw new UncheckedIOException("corrupt window row", e);
    }
  }
}
