package io.salientstream.streams;

import io.salientstream.core.policy.BinaryState;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Records that arrived before their experiment's registration. A Streams task reading two topics
 * has no order between them, so a trainer's first events can overtake its registration; they wait
 * here (in a changelogged store) and are released in their original order when the registration
 * arrives. Records still waiting after the grace period are handed back as expired, to be
 * dead-lettered as {@code UNKNOWN_EXPERIMENT}.
 */
public final class ParkingLot {

  /** A parked record, with everything needed to process or dead-letter it later. */
  public record Parked(
      String experimentId,
      Position position,
      byte[] key,
      byte[] value,
      long timestamp,
      long parkedAtMs) {}

  /** The most records one parking lot (one stream task) holds by default. */
  public static final int DEFAULT_CAPACITY = 10_000;

  private final KeyValueStore<String, byte[]> store;
  private final long graceMs;
  private final int capacity;
  private int size;

  public ParkingLot(KeyValueStore<String, byte[]> store, long graceMs) {
    this(store, graceMs, DEFAULT_CAPACITY);
  }

  /**
   * @param capacity the most records parked at once: a flood of records for experiments that never
   *     register cannot grow the store without bound
   */
  public ParkingLot(KeyValueStore<String, byte[]> store, long graceMs, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("parking capacity must be >= 1, got " + capacity);
    }
    this.store = store;
    this.graceMs = graceMs;
    this.capacity = capacity;
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      while (it.hasNext()) {
        it.next();
        size++;
      }
    }
  }

  /**
   * Parks a record unless the lot is full.
   *
   * @return false when {@link #capacity()} records are parked already (the caller dead-letters it)
   */
  public boolean park(Parked p) {
    if (size >= capacity) {
      return false;
    }
    String k = p.experimentId() + '\u0000' + String.format("%019d", p.position().offset());
    if (store.get(k) == null) {
      size++;
    }
    store.put(k, encode(p));
    return true;
  }

  /** Records parked now. */
  public int size() {
    return size;
  }

  public int capacity() {
    return capacity;
  }

  /** Removes and returns the experiment's parked records in arrival order. */
  public List<Parked> release(String experimentId) {
    List<KeyValue<String, byte[]>> found = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it =
        store.prefixScan(experimentId + '\u0000', new StringSerializer())) {
      it.forEachRemaining(found::add);
    }
    List<Parked> out = new ArrayList<>(found.size());
    for (KeyValue<String, byte[]> kv : found) {
      store.delete(kv.key);
      size--;
      out.add(decode(kv.value));
    }
    return out;
  }

  /** Removes and returns the records parked for longer than the grace period. */
  public List<Parked> expire(long nowMs) {
    List<KeyValue<String, byte[]>> found = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      it.forEachRemaining(found::add);
    }
    List<Parked> out = new ArrayList<>();
    for (KeyValue<String, byte[]> kv : found) {
      Parked p = decode(kv.value);
      if (nowMs - p.parkedAtMs() >= graceMs) {
        store.delete(kv.key);
        size--;
        out.add(p);
      }
    }
    return out;
  }

  public long graceMs() {
    return graceMs;
  }

  /** The stored layout (type {@code PRK}, version 1) of a parked record. */
  public static final BinaryState.Format FORMAT = new BinaryState.Format("PRK", 1, "parked record");

  /** The stored form of a parked record ({@link #FORMAT}). */
  public static byte[] encode(Parked p) {
    int size =
        64 + (p.key() == null ? 0 : p.key().length) + (p.value() == null ? 0 : p.value().length);
    return FORMAT
        .writer(size)
        .putString(p.experimentId())
        .putString(p.position().topic())
        .putInt(p.position().partition())
        .putLong(p.position().offset())
        .putLong(p.timestamp())
        .putLong(p.parkedAtMs())
        .putBytes(p.key())
        .putBytes(p.value())
        .toBytes();
  }

  /** Reads {@link #encode}d bytes; refuses another layout, naming its version. */
  public static Parked decode(byte[] bytes) {
    BinaryState.Reader in = FORMAT.reader(bytes);
    String id = in.getString();
    Position pos = new Position(in.getString(), in.getInt(), in.getLong());
    long ts = in.getLong();
    long parkedAt = in.getLong();
    Parked p = new Parked(id, pos, in.getBytes(), in.getBytes(), ts, parkedAt);
    in.requireEnd();
    return p;
  }
}
