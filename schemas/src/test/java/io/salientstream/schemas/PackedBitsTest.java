package io.salientstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PackedBitsTest {

  @Test
  void roundTripsEveryLengthAndCounts() {
    Random rnd = new Random(7);
    for (int len = 0; len < 40; len++) {
      boolean[] bits = new boolean[len];
      int kept = 0;
      for (int i = 0; i < len; i++) {
        bits[i] = rnd.nextBoolean();
        kept += bits[i] ? 1 : 0;
      }
      ByteBuffer packed = PackedBits.pack(bits);
      assertThat(packed.remaining()).isEqualTo((len + 7) / 8);
      assertThat(PackedBits.unpack(packed, len)).isEqualTo(bits);
      assertThat(PackedBits.count(packed)).isEqualTo(kept);
    }
  }

  @Test
  void bitZeroIsTheLeastSignificantBitOfTheFirstByte() {
    assertThat(
            PackedBits.pack(
                    new boolean[] {
                      true, false, false, false, false, false, false, false, false, true
                    })
                .array())
        .containsExactly(0x01, 0x02);
  }

  @Test
  void refusesWrongByteCountsAndSetPaddingBits() {
    assertThatThrownBy(() -> PackedBits.unpack(ByteBuffer.wrap(new byte[2]), 17))
        .hasMessage("2 bytes for 17 bits (expected 3)");
    assertThatThrownBy(() -> PackedBits.unpack(ByteBuffer.wrap(new byte[] {(byte) 0x10}), 4))
        .hasMessageContaining("unused bits set");
    assertThatThrownBy(() -> PackedBits.unpack(null, 4))
        .hasMessage("no bytes for 4 bits (expected 1)");
  }
}
