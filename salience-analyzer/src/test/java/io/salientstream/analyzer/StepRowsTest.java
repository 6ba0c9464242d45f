package io.salientstream.analyzer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.core.policy.StepInput;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Store rows keep their documented layout (rows written before an upgrade still replay) and round-trip exactly. */
class StepRowsTest {

  /** The layout as the class doc states it, written field by field with DataOutputStream. */
  private static byte[] documentedLayout(StepInput in) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(b)) {
      out.writeLong(in.step());
      out.writeDouble(in.orthRegLoss());
      out.writeInt(in.singularValues().length);
      for (double v : in.singularValues()) {
        out.writeFloat((float) v);
      }
      out.writeBoolean(in.tripletScores() != null);
      if (in.tripletScores() != null) {
        for (double v : in.tripletScores()) {
          out.writeDouble(v);
        }
      }
    }
    return b.toByteArray();
  }

  @Test
  void rowsHaveTheDocumentedLayoutAndRoundTrip() throws Exception {
    StepInput plain = new StepInput(41, 0.125, new double[] {1.5f, 0.0, 3.25f}, null, null);
    StepInput scored = new StepInput(7, -2.0, new double[] {0.1f, 0.2f}, new double[] {Math.PI, -1e-300}, null);
    for (StepInput in : new StepInput[] {plain, scored}) {
      byte[] row = StepRows.encode(in);
      assertThat(row).isEqualTo(documentedLayout(in));
      StepInput back = StepRows.decode(row);
      assertThat(back.step()).isEqualTo(in.step());
      assertThat(back.orthRegLoss()).isEqualTo(in.orthRegLoss());
      assertThat(back.singularValues()).containsExactly(in.singularValues());
      assertThat(back.tripletScores() == null ? null : Arrays.toString(back.tripletScores()))
          .isEqualTo(in.tripletScores() == null ? null : Arrays.toString(in.tripletScores()));
    }
  }

  @Test
  void truncatedRowIsReportedAsCorrupt() {
    byte[] row = StepRows.encode(new StepInput(1, 0.5, new double[] {1, 2, 3}, null, null));
    assertThatThrownBy(() -> StepRows.decode(Arrays.copyOf(row, row.length - 5)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("corrupt window row");
  }

  @Test
  void rowKeysSortByStepAsBefore() {
    for (long step : new long[] {0, 9, 10, 123456789, Long.MAX_VALUE}) {
      assertThat(AnalyzerProcessor.rowKey("exp-1", step)).isEqualTo("exp-1\u0000" + String.format("%019d", step));
    }
  }
}
