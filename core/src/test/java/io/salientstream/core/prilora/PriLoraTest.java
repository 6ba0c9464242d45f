package io.salientstream.core.prilora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.policy.StepInput;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PriLoraTest {
  /** 12 layers × 2 matrices (d_out 6, d_in 10), the host's own rank 3 is replaced by PRILoRA's. */
  static final AdapterLayout LAYOUT = AdapterLayout.uniform(24, 2, 6, 10, 3);

  static List<StepInput.PriLoraMatrixInput> inputs(PriLoraPolicy p, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<StepInput.PriLoraMatrixInput> out = new ArrayList<>();
    for (AdapterLayout.Matrix m : p.layout().matrices()) {
      double[] a = new double[m.initialRank() * m.dIn()];
      for (int i = 0; i < a.length; i++) a[i] = rnd.nextGaussian();
      double[] x = new double[m.dIn()];
      for (int j = 0; j < x.length; j++) x[j] = rnd.nextDouble(0.1, 2);
      out.add(new StepInput.PriLoraMatrixInput(a, x));
    }
    return out;
  }

  @Test
  void ranksIncreaseLinearlyWithDepth() {
    PriLoraPolicy p = (PriLoraPolicy) Policies.create("prilora", Map.of(), LAYOUT);
    int[] expected = {4, 5, 5, 6, 7, 8, 8, 9, 10, 11, 11, 12};
    for (int k = 0; k < 24; k++)
      assertThat(p.layout().matrix(k).initialRank()).isEqualTo(expected[k / 2]);
    int total = 0;
    for (int r : expected) total += r;
    assertThat(total / 12.0).isEqualTo(8.0); // same parameter count as LoRA r = 8
    PriLoraPolicy floor =
        (PriLoraPolicy) Policies.create("prilora", Map.of("rankRounding", "floor"), LAYOUT);
    assertThat(floor.layout().matrix(2).initialRank()).isEqualTo(4); // 4.727 → 4
  }

  @Test
  void prunesTheRatioOfEachRowWithTheLowestImportance() {
    PriLoraPolicy p =
        (PriLoraPolicy)
            Policies.create("prilora", Map.of("pruneRatio", "0.3", "pruneInterval", "50"), LAYOUT);
    assertThat(p.onStep(StepInput.bare(1))).isEmpty();
    List<StepInput.PriLoraMatrixInput> in = inputs(p, 1);
    Decision d = p.onStep(StepInput.priLora(50, in)).orElseThrow();
    List<boolean[]> masks = ((MaskUpdate.EntryMask) d.mask()).perMatrix();
    for (int k = 0; k < 24; k++) {
      int r = p.layout().matrix(k).initialRank();
      double[] a = in.get(k).absA(), x = in.get(k).inputNormEma();
      for (int i = 0; i < r; i++) {
        int kept = 0;
        double minKept = Double.MAX_VALUE, maxPruned = -1;
        for (int j = 0; j < 10; j++) {
          double imp = Math.abs(a[i * 10 + j]) * x[j];
          if (masks.get(k)[i * 10 + j]) {
            kept++;
            minKept = Math.min(minKept, imp);
          } else {
            maxPruned = Math.max(maxPruned, imp);
          }
        }
        assertThat(kept).isEqualTo(7); // floor(0.3·10) = 3 pruned per row
        assertThat(maxPruned).isLessThanOrEqualTo(minKept);
      }
    }
    assertThat(d.budget())
        .isEqualTo(p.budgetAt(50))
        .isEqualTo((int) Math.round(0.7 * p.totalEntries()));
    assertThat(d.persistent()).isFalse(); // regrowth on by default
  }

  @Test
  void withoutRegrowthPruningIsPermanentAndCumulativeToTheQuota() {
    Map<String, String> params =
        new HashMap<>(
            Map.of(
                "pruneRatio",
                "0.5",
                "pruneInterval",
                "10",
                "grouping",
                "matrix",
                "regrowth",
                "false",
                "ratioSchedule",
                "linear",
                "pruneEnd",
                "100"));
    PriLoraPolicy p = (PriLoraPolicy) Policies.create("prilora", params, LAYOUT);
    boolean[] prev = null;
    for (long t = 10; t <= 100; t += 10) {
      Decision d = p.onStep(StepInput.priLora(t, inputs(p, t))).orElseThrow();
      assertThat(d.persistent()).isTrue();
      boolean[] m0 = ((MaskUpdate.EntryMask) d.mask()).perMatrix().get(0);
      if (prev != null)
        for (int e = 0; e < m0.length; e++) if (!prev[e]) assertThat(m0[e]).isFalse();
      prev = m0;
      assertThat(d.budget()).isEqualTo(p.budgetAt(t));
    }
    // at pruneEnd the linear ramp reaches 0.5: matrix 0 (rank 4 × 10) keeps 20
    int kept = 0;
    for (boolean b : prev) if (b) kept++;
    assertThat(kept).isEqualTo(20);
    assertThat(p.onStep(StepInput.bare(110))).isEmpty(); // after pruneEnd
  }

  @Test
  void stateRoundTripAndErrors() {
    PriLoraPolicy a =
        (PriLoraPolicy) Policies.create("prilora", Map.of("regrowth", "false"), LAYOUT);
    a.onStep(StepInput.priLora(0, inputs(a, 5)));
    RankPolicy b = Policies.create("prilora", Map.of("regrowth", "false"), LAYOUT);
    b.restoreState(a.snapshotState());
    List<StepInput.PriLoraMatrixInput> next = inputs(a, 6);
    assertThat(
            ((MaskUpdate.EntryMask) b.onStep(StepInput.priLora(100, next)).orElseThrow().mask())
                .perMatrix()
                .get(3))
        .isEqualTo(
            ((MaskUpdate.EntryMask) a.onStep(StepInput.priLora(100, next)).orElseThrow().mask())
                .perMatrix()
                .get(3));
    assertThatThrownBy(() -> Policies.create("prilora", Map.of("grouping", "global"), LAYOUT))
        .hasMessageContaining("'grouping'");
    assertThatThrownBy(() -> Policies.create("prilora", Map.of("ratioSchedule", "linear"), LAYOUT))
        .hasMessageContaining("'pruneEnd'");
    assertThatThrownBy(() -> a.onStep(StepInput.bare(200)))
        .hasMessageContaining("priLora inputs are required");
  }
}
