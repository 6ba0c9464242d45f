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

  @Test
  void aStartingPointReadAfterLaterPointsGoesInFrontOnce() {
    Series s = new Series(4);
    s.add(10, 1.0);
    s.add(20, 2.0);
    assertThat(s.addFirst(0, 5.0)).isTrue();
    assertThat(s.addFirst(0, 6.0)).isFalse(); // the registration read again
    assertThat(s.addFirst(15, 6.0)).isFalse(); // not before the first point
    assertThat(s.columns(10).get(0)).containsExactly(0L, 10L, 20L);
    assertThat(s.columns(10).get(1)).containsExactly(5.0, 1.0, 2.0);
    // at capacity the older half is thinned first, and the front stays the starting point
    Series full = new Series(4);
    for (long step = 1; step <= 4; step++) {
      full.add(step, step);
    }
    assertThat(full.addFirst(0, 0.0)).isTrue();
    assertThat(full.size()).isLessThanOrEqualTo(4);
    assertThat(full.columns(10).get(0)).startsWith(0L).endsWith(4L);
  }
}
