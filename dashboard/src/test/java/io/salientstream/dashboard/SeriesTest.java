package io.salientstream.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A curve's memory stays bounded however long the run, and recent points keep full resolution. */
class SeriesTest {

  @Test
  void aLongRunStaysWithinTheCapacityKeepingTheEndsAndRecentPoints() {
    Series s = new Series(100);
    for (long step = 0; step < 1_000_000; step++) {
      assertThat(s.add(step, step * 0.5)).isTrue();
      assertThat(s.size()).isLessThanOrEqualTo(100);
    }
    List<List<Object>> c = s.columns(1000);
    List<Object> steps = c.get(0);
    assertThat(steps).hasSize(s.size()).hasSizeGreaterThan(50);
    assertThat(steps.get(0)).isEqualTo(0L);
    assertThat(steps.get(steps.size() - 1)).isEqualTo(999_999L);
    // strictly increasing, and the newest quarter at full resolution
    for (int i = 1; i < steps.size(); i++) {
      assertThat((Long) steps.get(i)).isGreaterThan((Long) steps.get(i - 1));
    }
    for (int i = steps.size() - 25; i < steps.size(); i++) {
      assertThat((Long) steps.get(i) - (Long) steps.get(i - 1)).isEqualTo(1L);
    }
    assertThat(c.get(1).get(steps.size() - 1)).isEqualTo(999_999 * 0.5);
  }

  @Test
  void replayedOrOutOfOrderPointsAreDroppedAndNonFiniteValuesBecomeNull() {
    Series s = new Series(8);
    assertThat(s.add(5, 1.0)).isTrue();
    assertThat(s.add(5, 2.0)).isFalse();
    assertThat(s.add(4, 2.0)).isFalse();
    assertThat(s.add(6, Double.NaN)).isTrue();
    assertThat(s.columns(10).get(1)).containsExactly(1.0, null);
    assertThat(s.columns(1).get(0)).containsExactly(6L);
    assertThatThrownBy(() -> new Series(2)).hasMessageContaining("capacity must be >= 4");
  }
}
