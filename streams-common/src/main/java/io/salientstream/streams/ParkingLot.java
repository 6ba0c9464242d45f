package io.salientstream.streams;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Records that arrived before their experiment's registration. A Streams task reading two topics has no order
 * between them, so a trainer's first events can overtake its registration; they wait here (in a changelogged store)
 * and are released in their original order when the registration arrives. Records still waiting after the grace
 * period are handed back as expired, to be dead-lettered as {@code UNKNOWN_EXPERIMENT}.
 */
public final class ParkingLot {

  /** A parked record, with everything needed to process or dead-letter it later. */
  public record Parked(String experimentId, Position position, byte[] key, byte[] value, long timestamp, long parkedAtMs) {}

  private final KeyValueStore<String, byte[]> store;
  private final long graceMs;

  public ParkingLot(KeyValueStore<String, byte[]> store, long graceMs) {
    this.store = store;
    this.graceMs = graceMs;
  }

  public void park(Parked p) {
    store.put(p.experimentId() + '\u0000' + String.format("%019d", p.position().offset()), encode(p));
  }

  /** Removes and returns the experiment's parked records in arrival order. */
  public List<Parked> release(String experimentId) {
    List<KeyValue<String, byte[]>> found = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = store.prefixScan(experimentId + '\u0000', new StringSerializer())) {
      it.forEachRemaining(found::add);
    }
    List<Parked> out = new ArrayList<>(found.size());
    for (KeyValue<String, byte[]> kv : found) {
      store.delete(kv.key);
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
        out.add(p);
      }
    }
    return out;
  }

  public long graceMs() {
    return graceMs;
  }

  private static byte[] encode(Parked p) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(b)) {
      out.writeUTF(p.experimentId());
      out.writeUTF(p.position().topic());
      out.writeInt(p.position().partition());
      out.writeLong(p.position().offset());
      out.writeLong(p.timestamp());
      out.writeLong(p.parkedAtMs());
      writeBytes(out, p.key());
      writeBytes(out, p.value());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.toByteArray();
  }

  private static Parked decode(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      String id = in.readUTF();
      Position pos = new Position(in.readUTF(), in.readInt(), in.readLong());
      long ts = in.readLong();
      long parkedAt = in.readLong();
      return new Parked(id, pos, readBytes(in), readBytes(in), ts, parkedAt);
    } catch (IOException e) {
      throw new UncheckedIOException("corrupt parked record", e);
    }
  }

  private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
    out.writeInt(b == null ? -1 : b.length);
    if (b != null) {
      out.write(b);
    }
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
