package io.salientstream.registry.serde;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Walks an Avro binary body along its writer schema <em>without allocating for it</em>, checking
 * every length and count the bytes announce against the bytes that remain: a string or bytes length
 * beyond the end, or an array or map block of more items than the rest of the body can hold (at the
 * smallest encoding of one item), is refused before any decoder sees it. Avro's own decoders
 * allocate what a length says and only then find the bytes missing: a 13-byte record announcing a 2
 * GB string took 2 GB of heap.
 *
 * <p>After this check passes, decoding allocates at most a small multiple of the body's size (a
 * boxed {@code List<Float>} is the worst case: about 6 heap bytes per encoded byte).
 */
final class AvroBodyBounds {

  /** Nesting deeper than this is refused (a recursive schema could otherwise exhaust the stack). */
  static final int MAX_DEPTH = 64;

  /**
   * Items of a type whose encoding takes no bytes (null, an empty record) cannot be bounded by the
   * remaining bytes; a block of more than this many of them is refused.
   */
  static final long MAX_EMPTY_ITEMS = 1 << 16;

  /** What the bytes announce that cannot be. */
  static final class Violation extends Exception {
    final boolean pastTheEnd;

    Violation(boolean pastTheEnd, String message) {
      super(message, null, false, false);
      this.pastTheEnd = pastTheEnd;
    }
  }

  private final byte[] b;
  private final int end;
  private final int start;
  private int pos;
  private final Map<Schema, Integer> minSizes = new IdentityHashMap<>();

  private AvroBodyBounds(byte[] bytes, int from, int to) {
    this.b = bytes;
    this.start = from;
    this.pos = from;
    this.end = to;
  }

  /**
   * Checks {@code bytes[from, to)} as one datum of {@code writer}. Trailing bytes are not checked
   * here (the decoder reports them).
   */
  static void check(Schema writer, byte[] bytes, int from, int to) throws Violation {
    new AvroBodyBounds(bytes, from, to).walk(writer, "", 0);
  }

  private int remaining() {
    return end - pos;
  }

  private String at() {
    return " at body byte " + (pos - start);
  }

  private void walk(Schema s, String path, int depth) throws Violation {
    if (depth > MAX_DEPTH) {
      throw new Violation(false, "nesting deeper than " + MAX_DEPTH + " at " + path);
    }
    switch (s.getType()) {
      case NULL -> {}
      case BOOLEAN -> skip(1, path);
      case INT, LONG, ENUM -> readLong(path);
      case FLOAT -> skip(4, path);
      case DOUBLE -> skip(8, path);
      case FIXED -> skip(s.getFixedSize(), path);
      case STRING, BYTES -> {
        int startAt = pos;
        long len = readLong(path);
        if (len < 0) {
          pos = startAt;
          throw new Violation(false, name(path) + " has a negative length " + len + at());
        }
        if (len > remaining()) {
          pos = startAt;
          throw new Violation(
              true,
              name(path) + " announces " + len + " bytes but " + remaining() + " remain" + at());
        }
        pos += (int) len;
      }
      case RECORD -> {
        for (Schema.Field f : s.getFields()) {
          walk(f.schema(), path.isEmpty() ? f.name() : path + "." + f.name(), depth + 1);
        }
      }
      case UNION -> {
        int startAt = pos;
        long index = readLong(path);
        List<Schema> branches = s.getTypes();
        if (index < 0 || index >= branches.size()) {
          pos = startAt;
          throw new Violation(
              false, name(path) + ": union index " + index + " out of range" + at());
        }
        walk(branches.get((int) index), path, depth + 1);
      }
      case ARRAY -> blocks(s.getElementType(), null, path, depth);
      case MAP -> blocks(s.getValueType(), Schema.create(Schema.Type.STRING), path, depth);
    }
  }

  private void blocks(Schema item, Schema key, String path, int depth) throws Violation {
    long minItem = minSize(item) + (key == null ? 0 : 1);
    int fixed = fixedSize(item);
    long index = 0;
    while (true) {
      int startAt = pos;
      long count = readLong(path);
      if (count == 0) {
        return;
      }
      if (count < 0) {
        if (count == Long.MIN_VALUE) {
          throw new Violation(false, name(path) + ": block count out of range" + at());
        }
        count = -count;
        long size = readLong(path);
        if (size < 0 || size > remaining()) {
          pos = startAt;
          throw new Violation(
              size >= 0,
              name(path) + ": block of " + size + " bytes but " + remaining() + " remain" + at());
        }
      }
      long limit = minItem > 0 ? remaining() / minItem : MAX_EMPTY_ITEMS;
      if (count > limit) {
        pos = startAt;
        throw new Violation(
            minItem > 0,
            name(path)
                + " announces a block of "
                + count
                + " items but "
                + remaining()
                + " bytes remain"
                + at());
      }
      if (key == null && fixed >= 0) {
        pos += (int) (count * fixed); // bounded by remaining() above
      } else {
        for (long i = 0; i < count; i++, index++) {
          String itemPath = path + "[" + index + "]";
          if (key != null) {
            walk(key, itemPath + ".key", depth + 1);
          }
          walk(item, itemPath, depth + 1);
        }
      }
    }
  }

  private static String name(String path) {
    return path.isEmpty() ? "the datum" : "field " + path;
  }

  /** The encoded size of every value of {@code s} when all are equal, else -1. */
  private static int fixedSize(Schema s) {
    return switch (s.getType()) {
      case NULL -> 0;
      case BOOLEAN -> 1;
      case FLOAT -> 4;
      case DOUBLE -> 8;
      case FIXED -> s.getFixedSize();
      default -> -1;
    };
  }

  /** The fewest bytes one value of {@code s} can take. */
  private long minSize(Schema s) {
    Integer known = minSizes.get(s);
    if (known != null) {
      return known;
    }
    minSizes.put(s, 0); // a recursive reference counts as empty
    long size =
        switch (s.getType()) {
          case NULL -> 0;
          case BOOLEAN, INT, LONG, ENUM, STRING, BYTES, ARRAY, MAP -> 1;
          case FLOAT -> 4;
          case DOUBLE -> 8;
          case FIXED -> s.getFixedSize();
          case RECORD -> {
            long sum = 0;
            for (Schema.Field f : s.getFields()) {
              sum += minSize(f.schema());
            }
            yield sum;
          }
          case UNION -> {
            long min = Long.MAX_VALUE;
            for (Schema branch : s.getTypes()) {
              min = Math.min(min, minSize(branch));
            }
            yield 1 + (min == Long.MAX_VALUE ? 0 : min);
          }
        };
    int clipped = (int) Math.min(size, Integer.MAX_VALUE);
    minSizes.put(s, clipped);
    return clipped;
  }

  private void skip(int n, String path) throws Violation {
    if (n > remaining()) {
      throw new Violation(
          true, name(path) + " needs " + n + " bytes but " + remaining() + " remain" + at());
    }
    pos += n;
  }

  /** A zig-zag varint (Avro int and long). */
  private long readLong(String path) throws Violation {
    long raw = 0;
    for (int shift = 0; ; shift += 7) {
      if (pos >= end) {
        throw new Violation(true, name(path) + ": the body ends inside a number" + at());
      }
      if (shift > 63) {
        throw new Violation(false, name(path) + ": a number longer than 10 bytes" + at());
      }
      int x = b[pos++] & 0xff;
      raw |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        break;
      }
    }
    return (raw >>> 1) ^ -(raw & 1);
  }
}
