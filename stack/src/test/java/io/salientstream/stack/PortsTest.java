package io.salientstream.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A broker needs two listener ports that differ. Probing them one after the other once gave the
 * same port twice on CI ("Each listener must have a different port"); ports taken together cannot.
 */
class PortsTest {

  @Test
  void portsTakenTogetherAreDistinct() {
    for (int round = 0; round < 20; round++) {
      int[] ports = Ports.free(40);
      assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(40);
      assertThat(Arrays.stream(ports).allMatch(p -> p > 0 && p <= 65535)).isTrue();
    }
  }

  @Test
  void aPortOtherThanOneAlreadyChosen() {
    int[] two = Ports.free(2);
    for (int round = 0; round < 50; round++) {
      assertThat(Ports.freeOtherThan(two[0])).isNotEqualTo(two[0]);
    }
  }
}
