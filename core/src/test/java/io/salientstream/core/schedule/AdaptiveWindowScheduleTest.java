package io.salientstream.core.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.core.Goldens;
import io.salientstream.core.salient.SalienceMode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdaptiveWindowScheduleTest {

  static AdaptiveWindowSchedule.Config config(JsonNode s, SalienceMode mode) {
    int n = s.get("matrices").asInt() * s.get("initialRankPerMatrix").asInt();
    int bt = s.get("matrices").asInt() * s.get("targetRankPerMatrix").asInt();
    return new AdaptiveWindowSchedule.Config(
        mode,
        s.get("totalSteps").asLong(),
        s.get("initialWarmupSteps").asLong(),
        s.get("finalSteps").asLong(),
        n,
        bt,
        s.get("initialWindow").asInt(),
        s.get("finalWindow").asInt());
  }

  @Test
  void referenceModeMatchesEveryGoldenSchedule() throws IOException {
    JsonNode root = new ObjectMapper().readTree(Goldens.scheduleFile().toFile());
    int checked = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = root.get("schedules").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      List<List<Long>> expected = new ArrayList<>();
      for (JsonNode row : e.getValue().get("windowEnds")) {
        expected.add(List.of(row.get(0).asLong(), row.get(1).asLong(), row.get(2).asLong()));
      }
      List<List<Long>> actual =
          AdaptiveWindowSchedule.windowEnds(config(e.getValue(), SalienceMode.REFERENCE)).stream()
              .map(t -> List.of(t.step(), (long) t.budget(), (long) t.nextWindow()))
              .toList();
      assertThat(actual).as(e.getKey()).isEqualTo(expected);
      checked++;
    }
    assertThat(checked).isEqualTo(5);
  }

  private static AdaptiveWindowSchedule.Config mrpc(SalienceMode mode) {
    return new AdaptiveWindowSchedule.Config(mode, 6600, 600, 5000, 1080, 144, 10, 200);
  }

  @Test
  void referenceEndsAboveTargetButCleanEndsExactlyAtTarget() {
    List<AdaptiveWindowSchedule.Tick> ref =
        AdaptiveWindowSchedule.windowEnds(mrpc(SalienceMode.REFERENCE));
    assertThat(ref.get(ref.size() - 1).budget()).isEqualTo(204);
    List<AdaptiveWindowSchedule.Tick> clean =
        AdaptiveWindowSchedule.windowEnds(mrpc(SalienceMode.CLEAN));
    AdaptiveWindowSchedule.Tick last = clean.get(clean.size() - 1);
    assertThat(last.step()).isEqualTo(1600);
    assertThat(last.budget()).isEqualTo(144);
    assertThat(last.forced()).isTrue();
    // The spec's sched2 check: with the allocation-length denominator the last natural window ends
    // at 148.
    assertThat(clean.get(clean.size() - 2).budget()).isEqualTo(148);
  }

  @Test
  void firstWindowIsTenStepsAndBudgetsNeverIncrease() {
    for (SalienceMode mode : SalienceMode.values()) {
      List<AdaptiveWindowSchedule.Tick> ends = AdaptiveWindowSchedule.windowEnds(mrpc(mode));
      assertThat(ends.get(0).step()).isEqualTo(610);
      for (int i = 1; i < ends.size(); i++) {
        assertThat(ends.get(i).budget()).isLessThanOrEqualTo(ends.get(i - 1).budget());
        if (!ends.get(i).forced()) {
          assertThat(ends.get(i).step() - ends.get(i - 1).step())
              .isEqualTo(ends.get(i - 1).nextWindow());
        }
      }
    }
  }

  @Test
  void phasesOutsideAllocation() {
    AdaptiveWindowSchedule s = new AdaptiveWindowSchedule(mrpc(SalienceMode.REFERENCE));
    assertThat(s.budgetAt(0)).isEqualTo(1080);
    assertThat(s.budgetAt(600)).isEqualTo(1080);
    assertThat(s.budgetAt(1601)).isEqualTo(144);
    assertThat(s.next(600).windowEnd()).isFalse();
  }

  @Test
  void roundsHalfToEven() {
    // tInit = 1, tFinal = 5, clean denominator 100: at s = 50, c = 0.5: T = rint(5 + (1−5)·0.125) =
    // rint(4.5) = 4 (half-even), Math.round would give 5
    AdaptiveWindowSchedule.Config c =
        new AdaptiveWindowSchedule.Config(SalienceMode.CLEAN, 100, 0, 0, 100, 10, 1, 5);
    AdaptiveWindowSchedule s = new AdaptiveWindowSchedule(c);
    assertThat(s.windowLengthAt(50)).isEqualTo(4);
  }

  @Test
  void rejectsBadConfig() {
    assertThatThrownBy(
            () ->
                new AdaptiveWindowSchedule.Config(SalienceMode.CLEAN, 100, 100, 0, 10, 2, 10, 200))
        .hasMessageContaining("initialWarmup");
    assertThatThrownBy(
            () -> new AdaptiveWindowSchedule.Config(SalienceMode.CLEAN, 100, 0, 0, 10, 20, 10, 200))
        .hasMessageContaining("targetBudget");
  }

  /**
   * The figures the root README quotes for the 200-step policy bench (warm-up 20, final phase 40,
   * budget 432 → 144): the paper's windows (10 → 200) give three window ends, windows scaled to the
   * run (5 → 20) give eleven.
   */
  @Test
  void aShortRunGetsFewWindowEndsWithThePapersWindowLengths() {
    List<Long> paper =
        AdaptiveWindowSchedule.windowEnds(
                new AdaptiveWindowSchedule.Config(
                    SalienceMode.CLEAN, 200, 20, 40, 432, 144, 10, 200))
            .stream()
            .map(AdaptiveWindowSchedule.Tick::step)
            .toList();
    assertThat(paper).containsExactly(30L, 78L, 160L);
    List<Long> scaled =
        AdaptiveWindowSchedule.windowEnds(
                new AdaptiveWindowSchedule.Config(SalienceMode.CLEAN, 200, 20, 40, 432, 144, 5, 20))
            .stream()
            .map(AdaptiveWindowSchedule.Tick::step)
            .toList();
    assertThat(scaled).containsExactly(25L, 32L, 41L, 52L, 65L, 80L, 97L, 116L, 136L, 156L, 160L);
  }
}
