package io.salientstream.core.policy;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The one codec for every piece of state SalientStream stores: policy snapshots (in the analyzer's
 * stores and in trainer checkpoints) and the values of the Streams apps' stores. Each value starts
 * with a 4-byte tag — a 3-letter type and a 1-byte layout version ({@link Format}) — then fields in
 * a fixed order written by the owner (big-endian; double arrays as raw IEEE 754 bits, so a decode
 * is bit-identical; boolean arrays as bits). Arrays carry their length (-1 for {@code null}).
 *
 * <p>A reader accepts exactly its format's type and version; anything else is refused with an error
 * that names the type and both versions, so an upgraded service never misreads state written by
 * another layout. Changing a layout means a new version number, and either a reader for the old one
 * or that refusal; the committed fixture files (tests named {@code StateFixturesTest}) hold the
 * bytes of every current layout.
 *
 * <p>Snapshots are taken at every decision by the salience-analyzer, so their cost is on the
 * control loop's critical path: this form is several times faster to write than JSON.
 */
public final class BinaryState {

  private BinaryState() {}

  /**
   * The layout of one kind of stored state.
   *
   * @param type three ASCII capital letters naming the kind (e.g. {@code SLR} for a SalientLoRA
   *     snapshot)
   * @param version the layout version, 1..255; bumped on every change of the field order or meaning
   * @param what a human name for error messages (e.g. "salientlora policy snapshot")
   */
  public record Format(String type, int version, String what) {
    public Format {
      if (type.length() != 3 || !type.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
        throw new IllegalArgumentException(
            "a state type is three capital letters, got '" + type + "'");
      }
      if (version < 1 || version > 255) {
        throw new IllegalArgumentException("a state layout version is in 1..255, got " + version);
      }
    }

    /** The first four bytes of every value of this format. */
    public int tag() {
      return (type.charAt(0) << 24) | (type.charAt(1) << 16) | (type.charAt(2) << 8) | version;
    }

    public Writer writer(int sizeHint) {
      return new Writer(tag(), sizeHint);
    }

    /**
     * A reader positioned after the tag.
     *
     * @throws IllegalArgumentException naming the type and the versions when {@code bytes} is not
     *     of this format
     */
    public Reader reader(byte[] bytes) {
      if (bytes == null || bytes.length < 4) {
        throw new IllegalArgumentException(
            what
                + ": stored value is empty or truncated ("
                + (bytes == null ? "null" : bytes.length + " bytes")
                + ")");
      }
      int found = ByteBuffer.wrap(bytes, 0, 4).getInt();
      String foundType =
          new String(
              new byte[] {(byte) (found >>> 24), (byte) (found >>> 16), (byte) (found >>> 8)},
              StandardCharsets.ISO_8859_1);
      int foundVersion = found & 0xFF;
      if (!foundType.equals(type)) {
        throw new IllegalArgumentException(
            what
                + ": stored value has no "
                + type
                + " tag (found "
                + printable(foundType)
                + "): not a "
                + what
                + ", or written before stored layouts carried a"
                + " version");
      }
      if (foundVersion != version) {
        throw new IllegalArgumentException(
            what
                + ": stored with layout version "
                + foundVersion
                + ", this build reads version "
                + version
                + (foundVersion > version
                    ? " (written by a newer SalientStream: upgrade this service, or reset its state)"
                    : " (an older layout this build no longer reads: reset the state or use an older build)"));
      }
      return new Reader(bytes, what);
    }

    private static String printable(String t) {
      StringBuilder b = new StringBuilder("'");
      for (char c : t.toCharArray()) {
        if (c >= 0x20 && c < 0x7F) b.append(c);
        else b.append(String.format("\\x%02x", (int) c));
      }
      return b.append('\'').toString();
    }
  }

  /** Appends fields to a growing buffer. */
  public static final class Writer {
    private ByteBuffer buf;

    private Writer(int tag, int sizeHint) {
      buf = ByteBuffer.allocate(Math.max(64, sizeHint));
      buf.putInt(tag);
    }

    private void ensure(int more) {
      if (buf.remaining() < more) {
        ByteBuffer bigger =
            ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + more));
        buf.flip();
        bigger.put(buf);
        buf = bigger;
      }
    }

    public Writer putInt(int v) {
      ensure(4);
      buf.putInt(v);
      return this;
    }

    public Writer putLong(long v) {
      ensure(8);
      buf.putLong(v);
      return this;
    }

    public Writer putDouble(double v) {
      ensure(8);
      buf.putDouble(v);
      return this;
    }

    public Writer putByte(int v) {
      ensure(1);
      buf.put((byte) v);
      return this;
    }

    /** A byte array ({@code null}: absent). */
    public Writer putBytes(byte[] v) {
      if (v == null) return putInt(-1);
      ensure(4 + v.length);
      buf.putInt(v.length).put(v);
      return this;
    }

    /**
     * Doubles that are exactly float32 values (e.g. singular values that arrived as float32), as
     * floats.
     */
    public Writer putFloats(double[] v) {
      if (v == null) return putInt(-1);
      ensure(4 + 4 * v.length);
      buf.putInt(v.length);
      for (double x : v) buf.putFloat((float) x);
      return this;
    }

    public Writer putString(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      ensure(4 + b.length);
      buf.putInt(b.length).put(b);
      return this;
    }

    /** The first {@code length} values of {@code v} ({@code null}: absent). */
    public Writer putDoubles(double[] v, int length) {
      if (v == null) return putInt(-1);
      ensure(4 + 8 * length);
      buf.putInt(length);
      buf.asDoubleBuffer().put(v, 0, length);
      buf.position(buf.position() + 8 * length);
      return this;
    }

    public Writer putDoubles(double[] v) {
      return putDoubles(v, v == null ? 0 : v.length);
    }

    public Writer putBooleans(boolean[] v) {
      if (v == null) return putInt(-1);
      ensure(4 + (v.length + 7) / 8);
      buf.putInt(v.length);
      for (int i = 0; i < v.length; i += 8) {
        int b = 0;
        for (int j = 0; j < 8 && i + j < v.length; j++) {
          if (v[i + j]) b |= 1 << j;
        }
        buf.put((byte) b);
      }
      return this;
    }

    public byte[] toBytes() {
      return Arrays.copyOf(buf.array(), buf.position());
    }
  }

  /**
   * Reads fields in the order they were written; any inconsistency is an {@link
   * IllegalArgumentException}.
   */
  public static final class Reader {
    private final ByteBuffer buf;
    private final String what;

    private Reader(byte[] bytes, String what) {
      this.what = what;
      this.buf = ByteBuffer.wrap(bytes, 4, bytes.length - 4);
    }

    private IllegalArgumentException truncated(RuntimeException e) {
      return new IllegalArgumentException(what + ": stored value is truncated or corrupt", e);
    }

    public int getByte() {
      try {
        return buf.get();
      } catch (BufferUnderflowException e) {
        throw truncated(e);
      }
    }

    /** A byte array, or {@code null} if it was written as absent. */
    public byte[] getBytes() {
      int len = getInt();
      if (len == -1) return null;
      if (len < 0 || len > buf.remaining()) throw truncated(new BufferUnderflowException());
      byte[] v = new byte[len];
      buf.get(v);
      return v;
    }

    /**
     * Floats written by {@link Writer#putFloats}, widened (exactly) to doubles; {@code null} if
     * absent.
     */
    public double[] getFloats() {
      int len = getInt();
      if (len == -1) return null;
      if (len < 0 || (long) len * 4 > buf.remaining())
        throw truncated(new BufferUnderflowException());
      double[] v = new double[len];
      for (int i = 0; i < len; i++) v[i] = buf.getFloat();
      return v;
    }

    public int getInt() {
      try {
        return buf.getInt();
      } catch (BufferUnderflowException e) {
        throw truncated(e);
      }
    }

    public long getLong() {
      try {
        return buf.getLong();
      } catch (BufferUnderflowException e) {
        throw truncated(e);
      }
    }

    public double getDouble() {
      try {
        return buf.getDouble();
      } catch (BufferUnderflowException e) {
        throw truncated(e);
      }
    }

    public String getString() {
      int len = getInt();
      if (len < 0 || len > buf.remaining()) throw truncated(new BufferUnderflowException());
      byte[] b = new byte[len];
      buf.get(b);
      return new String(b, StandardCharsets.UTF_8);
    }

    /** A double array, or {@code null} if it was written as absent. */
    public double[] getDoubles() {
      int len = getInt();
      if (len == -1) return null;
      if (len < 0 || (long) len * 8 > buf.remaining())
        throw truncated(new BufferUnderflowException());
      double[] v = new double[len];
      buf.asDoubleBuffer().get(v);
      buf.position(buf.position() + 8 * len);
      return v;
    }

    /** A boolean array, or {@code null} if it was written as absent. */
    public boolean[] getBooleans() {
      int len = getInt();
      if (len == -1) return null;
      if (len < 0 || (len + 7L) / 8 > buf.remaining())
        throw truncated(new BufferUnderflowException());
      boolean[] v = new boolean[len];
      for (int i = 0; i < len; i += 8) {
        int b = buf.get();
        for (int j = 0; j < 8 && i + j < len; j++) {
          v[i + j] = (b & (1 << j)) != 0;
        }
      }
      return v;
    }

    /** Fails unless every byte was read. */
    public void requireEnd() {
      if (buf.hasRemaining()) {
        throw new IllegalArgumentException(
            what + ": " + buf.remaining() + " unexpected bytes after the stored value");
      }
    }
  }
}
