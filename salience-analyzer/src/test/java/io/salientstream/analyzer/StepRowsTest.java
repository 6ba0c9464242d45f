package io.salientstream.analyzer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.core.policy.StepInput;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Store rows round-trip exactly; their layout is pinned by the committed fixture ({@code
 * StateFixturesTest}); rows that are cut short or of another layout version are refused, naming
 * why.
 */
class StepRowsTest {

  @Test
  void rowsRoundTripExactly() {
    StepInput plain = new StepInput(41, 0.125, new double[] {1.5f, 0.0, 3.25f}, null, null);
    StepInput scored =
        new StepInput(7, -2.0, new double[] {0.1f, 0.2f}, new double[] {Math.PI, -1e-300}, null);
    for (StepInput in : new StepInput[] {plain, scored}) {
      byte[] row = StepRows.encode(in);
      StepInput back = StepRows.decode(row);
      assertThat(back.step()).isEqualTo(in.step());
      assertThat(back.orthRegLoss()).isEqualTo(in.orthRegLoss());
      assertThat(back.singularValues()).containsExactly(in.singularValues());
      assertThat(back.tripletScores() == null ? null : Arrays.toString(back.tripletScores()))
          .isEqualTo(in.tripletScores() == null ? null : Arrays.toString(in.tripletScores()));
    }
  }

  @Test
  void truncatedOrForeignRowsAreRefused() {
    byte[] row = StepRows.encode(new StepInput(1, 0.5, new double[] {1, 2, 3}, null, null));
    assertThatThrownBy(() -> StepRows.decode(Arrays.copyOf(row, row.length - 5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("analyzer window row: stored value is truncated");
    byte[] newer = row.clone();
    newer[3] = 9;
    assertThatThrownBy(() -> StepRows.decode(newer)).hasMessageContaining("layout version 9");
  }

  @Test
  void aPriLoraRowHoldsNoInputsAndRowsWithThemAreRefused() {
    StepInput bare =
        new StepInput(
            3, Double.NaN, new double[0], null, null); // a plain-LoRA step between pruning steps
    assertThat(StepRows.decode(StepRows.encode(bare)).singularValues()).isEmpty();
    StepInput withInputs =
        StepInput.priLora(
            5,
            List.of(
                new StepInput.PriLoraMatrixInput(new double[] {1, 2}, new double[] {0.5, 0.5})));
    assertThatThrownBy(() -> StepRows.encode(withInputs))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("step 5")
        .hasMessageContaining("holds no PRILoRA inputs");
  }

  @Test
  void rowKeysSortByStepAsBefore() {
    for (long step : new long[] {0, 9, 10, 123456789, Long.MAX_VALUE}) {
      assertThat(AnalyzerProcessor.rowKey("exp-1", step))
          .isEqualTo("exp-1\u0000" + String.format("%019d", step));
    }
  }
}
