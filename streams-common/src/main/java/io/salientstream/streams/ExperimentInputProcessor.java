package io.salientstream.streams;

import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.DeadLetterReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
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
 *   <li>A registration tombstone (the trainer sends one when its run finished) removes everything
 *       of the experiment from the app's stores ({@link #forgetExperiment}) once the grace period
 *       has passed (its last step events may arrive after it); so does a minute check for
 *       experiments silent for the idle retention (default 7 days: abandoned runs). Records still
 *       parked for such an experiment become dead letters.
 *   <li>The parking lot is bounded ({@link ParkingLot#DEFAULT_CAPACITY} records per task): beyond
 *       it, a record of an unregistered experiment is dead-lettered at once.
 *   <li>A {@link RejectedRecord} (or any other exception about one record) becomes a dead letter
 *       with the original bytes and position; processing goes on. Parked records still unregistered
 *       after the grace period become {@code UNKNOWN_EXPERIMENT} dead letters (checked every second
 *       of wall-clock time).
 * </ul>
 */
public abstract class ExperimentInputProcessor implements Processor<Bytes, byte[], String, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(ExperimentInputProcessor.class);

  /** How long an experiment may stay silent before its state leaves the stores, by default. */
  public static final Duration DEFAULT_IDLE_RETENTION = Duration.ofDays(7);

  /** How often silent experiments are looked for (wall-clock time), at most. */
  static final Duration IDLE_CHECK_EVERY = Duration.ofMinutes(1);

  /**
   * How often silent experiments are looked for under {@code idleRetention}: every minute, or a
   * quarter of a shorter retention (at least every second), so a short retention is kept to within
   * a quarter of itself.
   */
  static Duration idleCheckEvery(Duration idleRetention) {
    Duration quarter = idleRetention.dividedBy(4);
    if (quarter.compareTo(IDLE_CHECK_EVERY) >= 0) {
      return IDLE_CHECK_EVERY;
    }
    return quarter.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : quarter;
  }

  /**
   * Where a subclass's records go and how it names itself.
   *
   * @param specsStore the store of registrations (one key per experiment): read at start-up, so
   *     experiments registered before a restart are subject to the idle retention too
   * @param idleRetention an experiment with no record (registration or input) for this long leaves
   *     the stores ({@link #forgetExperiment}); counted from the task's start for experiments
   *     registered before it
   * @param parkingCapacity the most records parked at once; beyond it a record of an unregistered
   *     experiment is dead-lettered at once
   */
  public record Wiring(
      String applicationName,
      String experimentsTopic,
      String parkedStore,
      Duration grace,
      String deadLetterSink,
      LongAdder deadLetterCount,
      String specsStore,
      Duration idleRetention,
      int parkingCapacity) {

    /** The defaults: {@link #DEFAULT_IDLE_RETENTION}, {@link ParkingLot#DEFAULT_CAPACITY}. */
    public Wiring(
        String applicationName,
        String experimentsTopic,
        String parkedStore,
        Duration grace,
        String deadLetterSink,
        LongAdder deadLetterCount,
        String specsStore) {
      this(
          applicationName,
          experimentsTopic,
          parkedStore,
          grace,
          deadLetterSink,
          deadLetterCount,
          specsStore,
          DEFAULT_IDLE_RETENTION,
          ParkingLot.DEFAULT_CAPACITY);
    }
  }

  private final Wiring wiring;
  protected ProcessorContext<String, Object> context;
  private ParkingLot parking;

  /**
   * Wall-clock time of the last record of each registered experiment of this task (in memory; one
   * entry per registered experiment, gone with it).
   */
  private final Map<String, Long> lastActivity = new HashMap<>();

  /**
   * Experiments whose registration was tombstoned, with the wall-clock time: forgotten once the
   * grace period has passed (a restart in between leaves them to the idle retention).
   */
  private final Map<String, Long> finished = new HashMap<>();

  protected ExperimentInputProcessor(Wiring wiring) {
    this.wiring = wiring;
  }

  @Override
  public final void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.parking =
        new ParkingLot(
            context.getStateStore(wiring.parkedStore()),
            wiring.grace().toMillis(),
            wiring.parkingCapacity());
    context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::expireParked);
    context.schedule(
        idleCheckEvery(wiring.idleRetention()), PunctuationType.WALL_CLOCK_TIME, this::expireIdle);
    onInit(context);
    long now = context.currentSystemTimeMs();
    KeyValueStore<String, ?> specs = context.getStateStore(wiring.specsStore());
    try (KeyValueIterator<String, ?> it = specs.all()) {
      it.forEachRemaining(kv -> lastActivity.put(kv.key, now));
    }
  }

  /**
   * Removes every entry of experiment {@code key} from this app's stores and caches, its
   * registration included: the experiment finished (a registration tombstone) or fell silent for
   * the idle retention.
   */
  protected abstract void forgetExperiment(String key);

  /** Experiments this task knows as registered (for tests and metrics). */
  protected final int trackedExperiments() {
    return lastActivity.size();
  }

  /**
   * True while experiment {@code key} has finished (its registration was tombstoned) but is not
   * forgotten yet (the grace period): its id is free for a new registration of any definition.
   */
  protected final boolean finished(String key) {
    return finished.containsKey(key);
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
      if (record.value() == null && keyBytes != null) {
        // the run finished: its last step events may still be on their way on the other input
        // topic (no order between the two), so the experiment is forgotten after the grace period
        String key = DeadLetters.keyOf(record);
        lastActivity.remove(key);
        finished.put(key, context.currentSystemTimeMs());
        return;
      }
      boolean registered =
          guarded(
              keyBytes,
              record.value(),
              pos,
              record.timestamp(),
              () -> onRegistration(record, meta));
      if (registered && record.value() != null) {
        finished.remove(DeadLetters.keyOf(record)); // registered again
        lastActivity.put(DeadLetters.keyOf(record), context.currentSystemTimeMs());
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
      String key = DeadLetters.keyOf(record);
      guarded(
          keyBytes,
          record.value(),
          pos,
          record.timestamp(),
          () -> onInput(key, keyBytes, record.value(), pos, record.timestamp()));
      if (key != null) {
        lastActivity.computeIfPresent(key, (k, t) -> context.currentSystemTimeMs());
      }
    }
  }

  /** Experiments silent for the idle retention leave the stores. */
  private void expireIdle(long now) {
    List<String> idle = new ArrayList<>();
    lastActivity.forEach(
        (k, t) -> {
          if (now - t >= wiring.idleRetention().toMillis()) {
            idle.add(k);
          }
        });
    for (String key : idle) {
      lastActivity.remove(key);
      LOG.info(
          "{}: experiment {} silent for {}: its state leaves the stores",
          wiring.applicationName(),
          key,
          wiring.idleRetention());
      forgetExperiment(key);
      deadLetterParked(key, "its experiment was silent for " + wiring.idleRetention());
    }
  }

  /** Parked records of an experiment that is gone become dead letters (never silently lost). */
  private void deadLetterParked(String key, String why) {
    for (ParkingLot.Parked p : parking.release(key)) {
      deadLetter(
          p.key(),
          p.value(),
          p.position(),
          p.timestamp(),
          DeadLetterReason.UNKNOWN_EXPERIMENT,
          new RejectedRecord(
              DeadLetterReason.UNKNOWN_EXPERIMENT,
              "experiment '" + key + "': record parked, then " + why));
    }
  }

  /**
   * Keeps an input record until its experiment's registration arrives (or the grace period ends).
   */
  protected final void park(
      String key, byte[] keyBytes, byte[] value, Position pos, long timestamp) {
    boolean parked =
        parking.park(
            new ParkingLot.Parked(
                key, pos, keyBytes, value, timestamp, context.currentSystemTimeMs()));
    if (!parked) {
      throw new RejectedRecord(
          DeadLetterReason.UNKNOWN_EXPERIMENT,
          "experiment '"
              + key
              + "' is not registered and the parking lot is full ("
              + parking.capacity()
              + " records waiting for registrations): register the experiment first");
    }
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
    List<String> done = new ArrayList<>();
    finished.forEach(
        (k, t) -> {
          if (now - t >= wiring.grace().toMillis()) {
            done.add(k);
          }
        });
    for (String key : done) {
      finished.remove(key);
      forgetExperiment(key);
      deadLetterParked(key, "its registration was deleted (the experiment finished)");
    }
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
