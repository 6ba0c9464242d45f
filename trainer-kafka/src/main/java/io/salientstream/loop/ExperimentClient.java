package io.salientstream.loop;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixMask;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.avro.TrainerStatus;
import io.salientstream.core.cli.UnavailableException;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.http.HardenedHttpServer;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.streams.Dependencies;
import io.salientstream.streams.EventSerdes;
import io.salientstream.streams.LayeredConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka side of one trainer run (experiment id, run id, epoch): registers the experiment, emits
 * one {@link SingularValueStep} per optimizer step, and receives the {@link RankPruneCommand}s
 * addressed to this run.
 *
 * <ul>
 *   <li>Events go through an idempotent producer ({@code acks=all}) whose buffer is bounded ({@code
 *       buffer.memory}, default 16 MiB): when the broker falls behind, {@link #emit} blocks instead
 *       of growing memory. Events are sent uncompressed by default ({@code compression.type}
 *       overrides): float32 singular values barely compress, and lz4 on every 6 KB event cost the
 *       trainers and the broker CPU that the loop needed — on the 2-core benchmark machine p99 loop
 *       latency went from 141-144 ms to 113-114 ms without it (tools/BENCHMARKS.md).
 *   <li>Commands are read with {@code read_committed} from the one partition that holds this
 *       experiment's key, starting at its end when the run starts (no command for a new run epoch
 *       can exist before its first event). Only commands with this experiment id and epoch and a
 *       sequence above the last one seen are delivered, so a replayed or duplicated command is
 *       never applied twice; once the run has applied a command, only the next sequence is accepted
 *       (no jumps). Values are decoded only under this experiment's key (other experiments share
 *       the partition).
 *   <li>Every command of this run is also checked against what the trainer knows ({@link
 *       #checkCommandsAgainst}, when set: decision step, budget, mask sizes, no revival). A command
 *       that cannot be decoded or fails a check is <b>refused</b>: logged with its topic, partition
 *       and offset, counted ({@link #refused()}), never delivered, and it changes nothing later
 *       commands are checked against — so a forged record on the commands topic can neither steer
 *       the run nor stop it.
 * </ul>
 */
public final class ExperimentClient implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ExperimentClient.class);

  private final String experimentId;
  private final String runId;
  private int epoch;
  private boolean emitted;
  private final LoopTopics topics;
  private final KafkaProducer<String, Object> producer;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Deserializer<RankPruneCommand> commandDeserializer;
  private final Deque<RankPruneCommand> pending = new ArrayDeque<>();
  private long lastSequence;
  private boolean appliedInRun;
  private long lastEmittedStep = -1;
  // the command checks (checkCommandsAgainst); shape is null until they are set
  private ExperimentSpec commandSpec;
  private RankPolicy shape;
  private LongPredicate decidesAt;
  private boolean entryMasks;
  private long lastDecidedAt = -1;
  private boolean[] lastKeep; // flat; null until a command is applied
  private long refused;
  private String lastRefusal;
  private Duration waitNoticeEvery = Duration.ofSeconds(10);
  private Consumer<String> waitNotices = System.err::println;

  /**
   * @param kafka Kafka client properties (bootstrap servers, security) plus {@code
   *     schema.registry.url}
   * @param lastSequence the last command sequence already applied (from a checkpoint; 0 for a fresh
   *     run)
   */
  public ExperimentClient(
      Map<String, Object> kafka,
      LoopTopics topics,
      String experimentId,
      String runId,
      int epoch,
      long lastSequence) {
    this.experimentId = experimentId;
    this.runId = runId;
    this.epoch = epoch;
    this.topics = topics;
    this.lastSequence = lastSequence;

    Map<String, Object> p = new HashMap<>(kafka);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.putIfAbsent(ProducerConfig.BUFFER_MEMORY_CONFIG, 16 * 1024 * 1024);
    p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000);
    p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none"); // see the class doc
    this.producer =
        new KafkaProducer<>(clientProps(p), new StringSerializer(), EventSerdes.anyValue(kafka));

    Map<String, Object> c = new HashMap<>(kafka);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // fetch.max.wait.ms stays Kafka's default: the broker answers a waiting fetch as soon as the
    // command's transaction
    // marker lands, so a short wait only multiplies empty fetches (20 trainers x 100/s cost the
    // broker real CPU)
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    // values stay bytes until the key says the command is ours: experiments share partitions, and a
    // trainer would
    // otherwise decode every other experiment's commands (each with a keep flag per singular value)
    this.consumer =
        new KafkaConsumer<>(clientProps(c), new StringDeserializer(), new ByteArrayDeserializer());
    this.commandDeserializer = EventSerdes.of(RankPruneCommand.class, kafka).deserializer();
    int partitions;
    try {
      partitions = consumer.partitionsFor(topics.rankCommands(), Duration.ofSeconds(30)).size();
    } catch (
        org.apache.kafka.common.errors.TimeoutException e) { // qualified: two TimeoutExceptions
      close();
      throw new UnavailableException(
          "Kafka broker at "
              + p.get("bootstrap.servers")
              + " does not answer within 30 s: start it (salientstream local) or set"
              + " KAFKA_BOOTSTRAP_SERVERS",
          e);
    }
    if (partitions == 0) {
      close();
      throw new UnavailableException(
          Dependencies.missingTopics(
              List.of(topics.rankCommands()),
              tenantOf(topics),
              String.valueOf(p.get("bootstrap.servers"))));
    }
    TopicPartition tp =
        new TopicPartition(topics.rankCommands(), partitionFor(experimentId, partitions));
    consumer.assign(List.of(tp));
    consumer.seekToEnd(List.of(tp));
    consumer.position(tp, Duration.ofSeconds(30));
  }

  /** The tenant prefix of {@code topics} ({@code ""} when none), for advice in messages. */
  private static String tenantOf(LoopTopics topics) {
    String base = LoopTopics.forPrefix("").rankCommands();
    String t = topics.rankCommands();
    return t.endsWith(base) ? t.substring(0, t.length() - base.length()) : "";
  }

  /**
   * Kafka client properties without the registry's and SalientStream's settings ({@link
   * LayeredConfig}).
   */
  static Map<String, Object> clientProps(Map<String, Object> p) {
    return new HashMap<>(LayeredConfig.kafkaClientProperties(p));
  }

  /**
   * The partition Kafka's default partitioner picks for a String key (murmur2 of its UTF-8 bytes).
   */
  public static int partitionFor(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  public String experimentId() {
    return experimentId;
  }

  public String runId() {
    return runId;
  }

  public int epoch() {
    return epoch;
  }

  public long lastSequence() {
    return lastSequence;
  }

  /**
   * Never deliver commands with a sequence at or below {@code sequence} (already applied before a
   * restart).
   */
  public void skipUpTo(long sequence) {
    lastSequence = Math.max(lastSequence, sequence);
  }

  /**
   * While {@link #await} waits, it says what it waits for every {@code every} (default: every 10 s,
   * on stderr).
   */
  public void waitNotices(Duration every, Consumer<String> sink) {
    if (every.isNegative() || every.isZero()) {
      throw new IllegalArgumentException("wait-notice interval must be > 0, got " + every);
    }
    this.waitNoticeEvery = every;
    this.waitNotices = sink;
  }

  /** Publishes the registration and waits until the broker has it. */
  public void register(ExperimentSpec spec) {
    send(topics.experiments(), spec, true);
  }

  /**
   * Checks every later command of this run against the registration {@code spec} and the steps
   * where its policy decides ({@code decidesAt}, from the core's schedule) before delivering it —
   * beyond the ACL that lets only the pruner write commands, since run id and epoch can be read off
   * the run's own events and copied:
   *
   * <ol>
   *   <li>it is decided at a step where the experiment's policy decides, that this run has already
   *       reached, and after the decision last applied;
   *   <li>it applies at its decision step or the one after (the policies' {@code effectiveFrom});
   *   <li>it has one mask per registered matrix, of the registration's size and the policy's kind
   *       (keep bits per singular value, or packed entry bits of r·d_in);
   *   <li>it keeps no more units than the policy's budget at its decision step;
   *   <li>when the policy never revives a pruned unit, it keeps nothing the last applied command
   *       pruned, and its mask is persistent.
   * </ol>
   *
   * A command that fails is refused like a sequence jump: counted and reported, never delivered,
   * and it changes nothing that later commands are checked against. What this cannot tell apart: a
   * well-formed command for a decision still to come that keeps at most the budget. Only the
   * pruner's principal may write the commands topic for that reason (see the README's security
   * section).
   */
  public void checkCommandsAgainst(ExperimentSpec spec, LongPredicate decidesAt) {
    this.commandSpec = spec;
    this.shape = PolicySpecs.create(spec);
    this.decidesAt = decidesAt;
    this.entryMasks = shape.maskKind() == RankPolicy.MaskKind.ENTRY;
  }

  /** Commands of this run refused so far (undecodable, or failing a check). */
  public long refused() {
    return refused;
  }

  /** Why the last command was refused, or null. */
  public String lastRefusal() {
    return lastRefusal;
  }

  /**
   * Deletes the registration (a tombstone on the compacted experiments topic) once the run has
   * finished: the salience-analyzer and the pruner then drop every entry of the experiment from
   * their stores. Waits until the broker has it.
   */
  public void deregister() {
    send(topics.experiments(), null, true);
  }

  /** Publishes one step event (asynchronously; blocks only when the bounded buffer is full). */
  public void emit(SingularValueStep step) {
    emitted = true;
    lastEmittedStep = Math.max(lastEmittedStep, step.getStep());
    send(topics.singularValues(), step, false);
  }

  /**
   * A run resumed from a checkpoint of the run with epoch {@code previous} must have a higher epoch
   * (the analyzer takes a higher epoch as a new run of the experiment, an equal one as the same
   * run): raises this run's epoch above {@code previous} if it is not already. Only before the
   * first event.
   */
  public void requireEpochAbove(int previous) {
    if (epoch > previous) {
      return;
    }
    if (emitted) {
      throw new IllegalStateException(
          "experiment '"
              + experimentId
              + "': epoch "
              + epoch
              + " is not above the"
              + " checkpoint's epoch "
              + previous
              + ", and events were already sent under it");
    }
    epoch = previous + 1;
  }

  /**
   * The epoch of the {@code resumeNumber}-th run resumed from a checkpoint written under epoch
   * {@code checkpointEpoch}: exactly {@code checkpointEpoch + resumeNumber}. Resume numbers are
   * claimed from a counter kept with the checkpoint, so no two resumes of it share an epoch. Only
   * before the first event.
   */
  public void resumeEpoch(int checkpointEpoch, long resumeNumber) {
    if (resumeNumber < 1) {
      throw new IllegalArgumentException("resume number must be >= 1, got " + resumeNumber);
    }
    long e = (long) checkpointEpoch + resumeNumber;
    if (e > Integer.MAX_VALUE) {
      throw new IllegalStateException(
          "experiment '"
              + experimentId
              + "': checkpoint epoch "
              + checkpointEpoch
              + " + resume "
              + resumeNumber
              + " exceeds the largest epoch");
    }
    if (emitted) {
      throw new IllegalStateException(
          "experiment '" + experimentId + "': cannot change the epoch after events were sent");
    }
    epoch = (int) e;
  }

  /** Publishes a status record (asynchronously). */
  public void status(TrainerStatus status) {
    send(topics.trainerStatus(), status, false);
  }

  public void flush() {
    producer.flush();
  }

  private void send(String topic, Object value, boolean await) {
    var future = producer.send(new ProducerRecord<>(topic, experimentId, value));
    if (await) {
      try {
        future.get(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while publishing to " + topic, e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("cannot publish to " + topic + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * New commands for this run that arrived within {@code wait} (possibly none), in sequence order.
   */
  public List<RankPruneCommand> poll(Duration wait) {
    fetch(wait);
    List<RankPruneCommand> out = new ArrayList<>(pending);
    pending.clear();
    return out;
  }

  /**
   * Waits for the command decided at {@code decidedAtStep} (sync mode). Commands that arrive before
   * it are returned too, in order; the wanted one is last.
   *
   * @throws IllegalStateException after {@code timeout}, naming the step and what to check
   */
  public List<RankPruneCommand> await(long decidedAtStep, Duration timeout) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    long nextNotice = start + waitNoticeEvery.toNanos();
    List<RankPruneCommand> out = new ArrayList<>();
    while (true) {
      long now = System.nanoTime();
      if (now >= nextNotice) {
        nextNotice = now + waitNoticeEvery.toNanos();
        waitNotices.accept(
            "experiment '"
                + experimentId
                + "' epoch "
                + epoch
                + ": waiting for the rank-pruning command decided at step "
                + decidedAtStep
                + " on "
                + topics.rankCommands()
                + " ("
                + Duration.ofNanos(now - start).toSeconds()
                + " s of "
                + timeout.toSeconds()
                + " s): it comes from the salience-analyzer and the pruner; are both running"
                + " against the same broker and tenant?");
      }
      while (!pending.isEmpty()) {
        RankPruneCommand c = pending.poll();
        out.add(c);
        if (c.getDecidedAtStep() == decidedAtStep) {
          return out;
        }
        if (c.getDecidedAtStep() > decidedAtStep) {
          throw new IllegalStateException(
              "experiment '"
                  + experimentId
                  + "': expected a command decided at step "
                  + decidedAtStep
                  + " but received one decided at step "
                  + c.getDecidedAtStep());
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException(
            "experiment '"
                + experimentId
                + "' epoch "
                + epoch
                + ": no rank-pruning command"
                + " for the decision at step "
                + decidedAtStep
                + " within "
                + timeout.toSeconds()
                + " s (are the"
                + " salience-analyzer and pruner running, and is the experiment free of dead letters?)");
      }
      fetch(Duration.ofNanos(Math.min(left, Duration.ofMillis(50).toNanos())));
    }
  }

  private void fetch(Duration wait) {
    for (ConsumerRecord<String, byte[]> r : consumer.poll(wait)) {
      if (r.value() == null || !experimentId.equals(r.key())) {
        continue; // another experiment sharing the partition
      }
      RankPruneCommand c;
      try {
        c = commandDeserializer.deserialize(r.topic(), r.headers(), r.value());
      } catch (RuntimeException e) {
        refuse(r, "cannot be decoded: " + e.getMessage());
        continue;
      }
      if (c.getTargetEpoch() != epoch || !runId.equals(c.getTargetRunId())) {
        continue; // another run of this experiment
      }
      if (c.getSequence() <= lastSequence) {
        continue; // already seen: replays never apply twice
      }
      String why = null;
      if (appliedInRun && c.getSequence() != lastSequence + 1) {
        why =
            "command "
                + HardenedHttpServer.clip(c.getCommandId())
                + ": sequence "
                + c.getSequence()
                + " skips ahead of the next one, "
                + (lastSequence + 1);
      } else if (shape != null) {
        why = refusal(c, lastEmittedStep).orElse(null);
      }
      if (why != null) {
        refuse(r, why);
        continue;
      }
      applied(c);
      pending.add(c);
    }
  }

  /**
   * Why {@code c} must not be applied by a run that has emitted steps up to {@code lastStep}, or
   * empty when it may.
   */
  Optional<String> refusal(RankPruneCommand c, long lastStep) {
    ExperimentSpec spec = commandSpec;
    long d = c.getDecidedAtStep();
    if (!decidesAt.test(d)) {
      return why(c, "step " + d + " is not a decision step of policy " + shape.name());
    }
    if (d > lastStep) {
      return why(c, "decided at step " + d + ", but this run has only reached step " + lastStep);
    }
    if (d <= lastDecidedAt) {
      return why(c, "the decision at step " + lastDecidedAt + " was already applied");
    }
    long a = c.getApplyAtStep();
    if (a != d && a != d + 1) {
      return why(c, "applies at step " + a + ", not at its decision step " + d + " or the next");
    }
    List<MatrixMask> masks = c.getMasks();
    List<AdaptedMatrix> matrices = spec.getMatrices();
    if (masks.size() != matrices.size()) {
      return why(
          c, masks.size() + " masks for the registration's " + matrices.size() + " matrices");
    }
    for (int j = 0; j < masks.size(); j++) {
      MatrixMask m = masks.get(j);
      AdaptedMatrix a2 = matrices.get(j);
      if (entryMasks != (m.getEntries() != null)) {
        return why(
            c,
            "matrix "
                + j
                + (entryMasks ? " has no entry mask" : " has an entry mask")
                + " but policy "
                + shape.name()
                + (entryMasks ? " masks entries" : " masks singular values"));
      }
      if (!entryMasks && m.getKeep().size() != a2.getInitialRank()) {
        return why(
            c,
            "matrix "
                + j
                + " mask of "
                + m.getKeep().size()
                + " bits for rank "
                + a2.getInitialRank());
      }
    }
    boolean[] keep;
    try {
      keep = flat(KafkaAllocationHost.toDecision(c, spec));
    } catch (IllegalArgumentException e) {
      return why(c, e.getMessage());
    }
    int kept = 0;
    for (boolean k : keep) {
      kept += k ? 1 : 0;
    }
    int budget = shape.budgetAt(d);
    if (kept > budget) {
      return why(
          c,
          "keeps "
              + kept
              + (entryMasks ? " A entries" : " singular values")
              + ", above the budget "
              + budget
              + " at step "
              + d);
    }
    if (!shape.mayRevive()) {
      if (!c.getPersistent()) {
        return why(c, "not persistent, but policy " + shape.name() + " never revives");
      }
      if (lastKeep != null) {
        for (int i = 0; i < keep.length; i++) {
          if (keep[i] && !lastKeep[i]) {
            return why(
                c,
                "keeps unit "
                    + i
                    + ", pruned before, and policy "
                    + shape.name()
                    + " never revives a pruned unit");
          }
        }
      }
    }
    return Optional.empty();
  }

  /** Records {@code c} as applied: later commands are checked against it. */
  void applied(RankPruneCommand c) {
    appliedInRun = true;
    lastSequence = c.getSequence();
    if (shape != null) {
      lastDecidedAt = c.getDecidedAtStep();
      lastKeep = flat(KafkaAllocationHost.toDecision(c, commandSpec));
    }
  }

  /** The decision's keep bits in global order (triplets, or every matrix's A entries in turn). */
  private static boolean[] flat(Decision d) {
    if (d.mask() instanceof MaskUpdate.TripletMask t) {
      return t.keep();
    }
    List<boolean[]> perMatrix = ((MaskUpdate.EntryMask) d.mask()).perMatrix();
    int n = 0;
    for (boolean[] k : perMatrix) {
      n += k.length;
    }
    boolean[] out = new boolean[n];
    int at = 0;
    for (boolean[] k : perMatrix) {
      System.arraycopy(k, 0, out, at, k.length);
      at += k.length;
    }
    return out;
  }

  private static Optional<String> why(RankPruneCommand c, String reason) {
    return Optional.of(
        "command "
            + HardenedHttpServer.clip(c.getCommandId())
            + " (sequence "
            + c.getSequence()
            + "): "
            + reason);
  }

  private void refuse(ConsumerRecord<String, byte[]> r, String why) {
    refused++;
    lastRefusal =
        "refused the record at "
            + r.topic()
            + "-"
            + r.partition()
            + "@"
            + r.offset()
            + ": "
            + HardenedHttpServer.clip(why);
    LOG.warn("experiment '{}' run {}: {}", experimentId, runId, lastRefusal);
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
    consumer.close(Duration.ofSeconds(5));
    commandDeserializer.close();
  }
}
