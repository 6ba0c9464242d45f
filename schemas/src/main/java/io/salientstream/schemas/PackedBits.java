package io.salientstream.schemas;

import java.nio.ByteBuffer;

/**
 * The wire form of entry masks ({@code SalienceReport.entryMasks}, {@code MatrixMask.entries}):
 * keep bits packed eight to a byte, bit i in byte i/8 at position i%8 (least significant first),
 * the unused bits of the last byte 0. One bit per entry keeps a PRILoRA mask of MiniLM (up to 36
 * matrices of 12 x 1536 entries) at a few KB per matrix, where an Avro boolean array would take a
 * byte per entry.
 */
public final class PackedBits {

  private PackedBits() {}

  public static ByteBuffer pack(boolean[] bits) {
    byte[] out = new byte[(bits.length + 7) >>> 3];
    for (int i = 0; i < bits.length; i++) {
      if (bits[i]) {
        out[i >>> 3] |= (byte) (1 << (i & 7));
      }
    }
    return ByteBuffer.wrap(out);
  }

  /**
   * The {@code length} bits held by {@code packed} (its position is not moved).
   *
   * @throws IllegalArgumentException when the byte count is not ceil(length / 8) or an unused bit
   *     is set, naming both
   */
  public static boolean[] unpack(ByteBuffer packed, int length) {
    int bytes = (length + 7) >>> 3;
    if (packed == null || packed.remaining() != bytes) {
      throw new IllegalArgumentException(
          (packed == null ? "no" : Integer.toString(packed.remaining()))
              + " bytes for "
              + length
              + " bits (expected "
              + bytes
              + ")");
    }
    boolean[] bits = new boolean[length];
    int base = packed.position();
    for (int b = 0; b < bytes; b++) {
      int v = packed.get(base + b) & 0xFF;
      int n = Math.min(8, length - 8 * b);
      if (v >>> n != 0) {
        throw new IllegalArgumentException(
            "unused bits set in the last byte (0x"
                + Integer.toHexString(v)
                + " holds "
                + n
                + " bits)");
      }
      for (int j = 0; j < n; j++) {
        bits[8 * b + j] = (v & (1 << j)) != 0;
      }
    }
    return bits;
  }

  /** Kept bits in {@code packed} (bit count of every byte). */
  public static int count(ByteBuffer packed) {
    int c = 0;
    for (int i = packed.position(); i < packed.limit(); i++) {
      c += Integer.bitCount(packed.get(i) & 0xFF);
    }
    return c;
  }
}
