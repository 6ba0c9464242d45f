package io.salientstream.streams;

import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.DeadLetterReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shape shared by the salience-analyzer and the pruner: one processor fed, as raw bytes, by the
 * compacted experiments topic and by one input topic keyed by experiment id.
 *
 * <ul>
 *   <li>A registration goes to {@link #onRegistration}; the input records that overtook it (parked
 *       in a {@link ParkingLot} by {@link #park}) are then handled in their original order.
 *   <li>An input record goes to {@link #onInput}; a subclass that finds no registration calls
 *       {@link #park}.
 *   <li>A {@link RejectedRecord} (or any other exception about one record) becomes a dead letter
 *       with the original bytes and position; processing goes on. Parked records still unregistered
 *       after the grace period become {@code UNKNOWN_EXPERIMENT} dead letters (checked every second
 *       of wall-clock time).
 * </ul>
 */
public abstract class ExperimentInputProcessor implements Processor<Bytes, byte[], String, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(ExperimentInputProcessor.class);

  /** Where a subclass's records go and how it names itself. */
  public record Wiring(
      String applicationName,
      String experimentsTopic,
      String parkedStore,
      Duration grace,
      String deadLetterSink,
      LongAdder deadLetterCount) {}

  private final Wiring wiring;
  protected ProcessorContext<String, Object> context;
  private ParkingLot parking;

  protected ExperimentInputProcessor(Wiring wiring) {
    this.wiring = wiring;
  }

  @Override
  public final void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.parking =
        new ParkingLot(context.getStateStore(wiring.parkedStore()), wiring.grace().toMillis());
    context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::expireParked);
    onInit(context);
  }

  /** Subclass set-up: stores, deserializers, caches. */
  protected abstract void onInit(ProcessorContext<String, Object> context);

  /**
   * A registration (or tombstone) from the experiments topic; throw {@link RejectedRecord} to
   * refuse it.
   */
  protected abstract void onRegistration(Record<Bytes, byte[]> record, RecordMetadata meta);

  /** One input record of experiment {@code key}; throw {@link RejectedRecord} to refuse it. */
  protected abstract void onInput(
      String key, byte[] keyBytes, byte[] value, Position pos, long timestamp);

  /**
   * Called after a record of experiment {@code key} failed with an unexpected exception (drop
   * caches here).
   */
  protected void onFailure(String key) {}

  @Override
  public final void process(Record<Bytes, byte[]> record) {
    RecordMetadata meta = context.recordMetadata().orElseThrow();
    Position pos = Position.of(meta);
    byte[] keyBytes = record.key() == null ? null : record.key().get();
    if (meta.topic().equals(wiring.experimentsTopic())) {
      boolean registered =
          guarded(
              keyBytes,
              record.value(),
              pos,
              record.timestamp(),
              () -> onRegistration(record, meta));
      if (registered && record.value() != null) {
        for (ParkingLot.Parked p : parking.release(DeadLetters.keyOf(record))) {
          guarded(
              p.key(),
              p.value(),
              p.position(),
              p.timestamp(),
              () -> onInput(p.experimentId(), p.key(), p.value(), p.position(), p.timestamp()));
        }
      }
    } else {
      guarded(
          keyBytes,
          record.value(),
          pos,
          record.timestamp(),
          () ->
              onInput(
                  DeadLetters.keyOf(record), keyBytes, record.value(), pos, record.timestamp()));
    }
  }

  /**
   * Keeps an input record until its experiment's registration arrives (or the grace period ends).
   */
  protected final void park(
      String key, byte[] keyBytes, byte[] value, Position pos, long timestamp) {
    parking.park(
        new ParkingLot.Parked(key, pos, keyBytes, value, timestamp, context.currentSystemTimeMs()));
  }

  private boolean guarded(
      byte[] key, byte[] value, Position pos, long timestamp, Runnable handling) {
    try {
      handling.run();
      return true;
    } catch (RejectedRecord e) {
      deadLetter(key, value, pos, timestamp, e.reason(), e);
    } catch (RuntimeException e) {
      if (key != null) {
        onFailure(new String(key, StandardCharsets.UTF_8));
      }
      deadLetter(key, value, pos, timestamp, DeadLetterReason.OTHER, e);
    }
    return false;
  }

  private void expireParked(long now) {
    for (ParkingLot.Parked p : parking.expire(now)) {
      deadLetter(
          p.key(),
          p.value(),
          p.position(),
          p.timestamp(),
          DeadLetterReason.UNKNOWN_EXPERIMENT,
          new RejectedRecord(
              DeadLetterReason.UNKNOWN_EXPERIMENT,
              "experiment '"
                  + p.experimentId()
                  + "': no registration arrived within "
                  + parking.graceMs()
                  + " ms of this record (register the"
                  + " experiment on the experiments topic first)"));
    }
  }

  private void deadLetter(
      byte[] key,
      byte[] value,
      Position pos,
      long timestamp,
      DeadLetterReason reason,
      Exception e) {
    wiring.deadLetterCount().increment();
    DeadLetter dl =
        DeadLetters.of(
            key, value, pos, reason, e, wiring.applicationName(), context.currentSystemTimeMs());
    LOG.warn("{}: dead letter ({}): {}", wiring.applicationName(), reason, dl.getErrorMessage());
    String k = key == null ? null : new String(key, StandardCharsets.UTF_8);
    context.forward(new Record<String, Object>(k, dl, timestamp), wiring.deadLetterSink());
  }
}
