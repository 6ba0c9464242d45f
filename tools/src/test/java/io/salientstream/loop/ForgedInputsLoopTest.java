package io.salientstream.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.BudgetSchedule;
import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.DeadLetterReason;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixMask;
import io.salientstream.avro.Provenance;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.avro.TrainerState;
import io.salientstream.avro.TrainerStatus;
import io.salientstream.core.cli.ExitCodes;
import io.salientstream.core.cli.InputException;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.EventSerdes;
import io.salientstream.trainer.host.AllocationHost;
import io.salientstream.trainer.host.TrainerStep;
import io.salientstream.trainer.train.Experiment;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15's probes against a running experiment, through the whole loop on the broker: a sync-mode
 * rank-recovery run (the victim) while a forger — a principal that may write the commands and
 * experiments topics, as a misconfigured one could — reads the victim's run id and epoch off its
 * step events and sends
 *
 * <ul>
 *   <li>a command for a step where the policy does not decide, cutting every matrix to rank 1 (the
 *       probe's "step 661");
 *   <li>a command with sequence 1000 (the probe's, which made the trainer ignore every real command
 *       after it);
 *   <li>a command with the next valid sequence for the decision the victim waits for, keeping every
 *       unit (above the budget, reviving what was pruned), sent the moment the victim's step event
 *       appears — before the pruner's;
 *   <li>a registration of the victim's id with another definition (the probe's takeover, which
 *       dead-lettered 68 of the victim's steps as WRONG_LENGTH and failed it).
 * </ul>
 *
 * The victim finishes with the keep masks, total rank and adapter checksum of the undisturbed
 * in-process run, bit for bit; the three commands are refused and counted in its final status; the
 * registration is dead-lettered by the analyzer and the pruner naming the experiment, and nothing
 * else of the victim is; a second trainer with the other definition is refused before it sends
 * anything, while the victim's own definition (a resume) is still accepted.
 */
@WithSharedStack
class ForgedInputsLoopTest {

  private static final String TENANT = "forge.";

  @Test
  void forgedCommandsAndATakeoverLeaveTheVictimBitIdenticalToAnUndisturbedRun(
      SharedStack stack, @TempDir Path state) throws Exception {
    Map<String, Object> config = stack.clientConfig();
    try (Admin admin = stack.admin()) {
      TopicInitializer.ensureTopics(admin, Topics.withPrefix(TENANT), (short) 1);
    }
    LoopTopics topics = LoopTopics.forPrefix(TENANT);
    Experiment.Spec spec = SyncLoopReproducesInProcessTest.spec("salientlora:small");
    Map<String, Object> undisturbed = Experiment.run(spec, null, null, Long.MAX_VALUE);
    String id = "victim-" + System.nanoTime();

    try (LoopServices services = LoopServices.start(config, topics, state, "-forge-test", "test");
        Forger forger = new Forger(config, topics, id)) {
      AtomicReference<KafkaAllocationHost> host = new AtomicReference<>();
      KafkaHosts hosts =
          new KafkaHosts(
              config,
              topics,
              id,
              TENANT,
              KafkaAllocationHost.Mode.SYNC,
              Duration.ofSeconds(90),
              host::set);
      AtomicReference<Attacked> attacked = new AtomicReference<>();
      Map<String, Object> run =
          Experiment.run(
              spec,
              null,
              null,
              Long.MAX_VALUE,
              (p, params, s) -> {
                Attacked a = new Attacked(hosts.create(p, params, s), p, forger, topics, config);
                attacked.set(a);
                return a;
              },
              "kafka-sync");
      Attacked a = attacked.get();
      a.joinRace();

      assertThat(a.forgedCommands).as("forged commands sent").isEqualTo(3);
      assertThat(run.get("keepMasks")).isEqualTo(undisturbed.get("keepMasks"));
      assertThat(run.get("finalTotalRank")).isEqualTo(undisturbed.get("finalTotalRank"));
      assertThat(run.get("adapterChecksum"))
          .as("adapters bit for bit")
          .isEqualTo(undisturbed.get("adapterChecksum"));
      assertThat((Integer) undisturbed.get("finalTotalRank"))
          .as("the policy pruned something")
          .isLessThan(spec.initRank() * spec.matrices());
      assertThat(host.get().commandsApplied())
          .as("one command per decision, the real ones")
          .isEqualTo(a.decisions.size());
      assertThat(host.get().commandsRefused()).as("commands refused").isEqualTo(3);

      TrainerStatus last = forger.lastStatus();
      assertThat(last.getState()).isEqualTo(TrainerState.FINISHED);
      assertThat(last.getMetrics())
          .containsEntry(KafkaAllocationHost.COMMANDS_REFUSED, 3.0)
          .as("the refusals are in the victim's status");
      assertThat(last.getMessage()).contains("refused the record at");

      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> forger.deadLetters().size() >= 2); // both apps have refused it by now
      List<DeadLetter> dls = forger.deadLetters();
      assertThat(dls)
          .as("the takeover registration, refused by the analyzer and by the pruner; nothing else")
          .hasSize(2)
          .allSatisfy(
              dl -> {
                assertThat(dl.getReason()).isEqualTo(DeadLetterReason.INVALID_VALUE);
                assertThat(dl.getErrorMessage())
                    .contains("experiment '" + id + "' is running with a different definition")
                    .contains("matrices instead of");
              });
      assertThat(a.takeoverRefusal).contains("--experiment-id").contains(id);
      assertThat(a.takeoverExitCode).isEqualTo(ExitCodes.USAGE);
    }
  }

  /**
   * The victim's allocation host with the forger's moves wired to its steps: each is made before
   * the victim's own step runs, so what happens when is fixed by the run, not by timing — except
   * the race for the decision the victim waits for, which is the point of that move.
   */
  static final class Attacked implements AllocationHost {
    final KafkaAllocationHost host;
    final RankPolicy policy;
    final Forger forger;
    final LoopTopics topics;
    final Map<String, Object> config;
    final List<Long> decisions = new ArrayList<>();
    final long raceAt;
    final long forgeAt;
    int forgedCommands;
    String takeoverRefusal = "";
    int takeoverExitCode = -1;
    Thread race;

    Attacked(
        KafkaAllocationHost host,
        RankPolicy policy,
        Forger forger,
        LoopTopics topics,
        Map<String, Object> config) {
      this.host = host;
      this.policy = policy;
      this.forger = forger;
      this.topics = topics;
      this.config = config;
      long total = 0;
      for (var m : policy.layout().matrices()) {
        total += m.initialRank();
      }
      long steps = forger.victimSteps();
      long race = -1;
      for (long s = 0; s < steps; s++) {
        if (policy.decidesAt(s)) {
          decisions.add(s);
          if (race < 0 && policy.budgetAt(s) < total) {
            race = s; // keeping every unit here is above the budget
          }
        }
      }
      assertThat(decisions).as("decision steps").isNotEmpty();
      this.raceAt = race;
      this.forgeAt = decisions.get(0) + 2;
      assertThat(raceAt).as("a decision below the initial budget").isNotNegative();
      assertThat(policy.decidesAt(forgeAt - 1)).as("step %d decides", forgeAt - 1).isFalse();
      assertThat(forgeAt).isLessThan(steps - 5);
    }

    @Override
    public List<Decision> afterStep(TrainerStep e) {
      try {
        if (e.step() == raceAt) {
          race = forger.raceTheDecision(raceAt, policy, host.commandsApplied() + 1);
          forgedCommands++;
        }
        if (e.step() == forgeAt) {
          forger.forge(e.step() - 1, 1, policy, host.commandsApplied() + 1); // "step 661"
          forger.forge(decisions.get(0), policy.layout().totalRank(), policy, 1000); // a jump
          forgedCommands += 2;
          takeOver();
        }
      } catch (Exception ex) {
        throw new IllegalStateException(ex);
      }
      return host.afterStep(e);
    }

    /** A registration with another definition, and a second trainer that would register it. */
    private void takeOver() throws Exception {
      ExperimentSpec running =
          ExperimentOwnership.current(config, topics, forger.id, Duration.ofSeconds(30))
              .orElseThrow();
      List<AdaptedMatrix> fewer = new ArrayList<>(running.getMatrices());
      AdaptedMatrix dropped = fewer.remove(fewer.size() - 1);
      BudgetSchedule s = running.getSchedule();
      ExperimentSpec other =
          ExperimentSpec.newBuilder(running)
              .setMatrices(fewer)
              .setSchedule(
                  BudgetSchedule.newBuilder(s)
                      .setInitialBudget(s.getInitialBudget() - dropped.getInitialRank())
                      .build())
              .build();
      forger.send(topics.experiments(), other);
      // the trainer-side check still sees the victim as the owner (as the apps do) ...
      ExperimentOwnership.requireFreeOrSame(config, topics, running, Duration.ofSeconds(30));
      // ... and refuses the other definition before sending anything
      Throwable refused =
          catchThrowable(
              () ->
                  ExperimentOwnership.requireFreeOrSame(
                      config, topics, other, Duration.ofSeconds(30)));
      assertThat(refused).isInstanceOf(InputException.class);
      assertThat(refused.getMessage().lines().count()).as("one line").isEqualTo(1);
      takeoverRefusal = refused.getMessage();
      takeoverExitCode = ExitCodes.of(refused);
    }

    void joinRace() throws InterruptedException {
      if (race != null) {
        race.join(60_000);
      }
    }

    @Override
    public String policyName() {
      return host.policyName();
    }

    @Override
    public Set<Need> needs() {
      return host.needs();
    }

    @Override
    public boolean needsAt(Need need, long step) {
      return host.needsAt(need, step);
    }

    @Override
    public byte[] snapshot() {
      return host.snapshot();
    }

    @Override
    public void restore(byte[] state) {
      host.restore(state);
    }

    @Override
    public void restore(byte[] state, long resumeNumber) {
      host.restore(state, resumeNumber);
    }

    @Override
    public void fail(Throwable cause) {
      host.fail(cause);
    }

    @Override
    public void close() {
      host.close();
    }
  }

  /** The forger: a plain Kafka client that reads the victim's events and writes what it likes. */
  static final class Forger implements AutoCloseable {
    final String id;
    final LoopTopics topics;
    final Map<String, Object> config;
    final KafkaProducer<String, Object> producer;

    Forger(Map<String, Object> config, LoopTopics topics, String id) {
      this.id = id;
      this.topics = topics;
      this.config = config;
      Map<String, Object> p = new HashMap<>(ExperimentClient.clientProps(config));
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      this.producer = new KafkaProducer<>(p, new StringSerializer(), EventSerdes.anyValue(config));
    }

    long victimSteps() {
      return ExperimentOwnership.current(config, topics, id, Duration.ofSeconds(30))
          .orElseThrow()
          .getSchedule()
          .getTotalSteps();
    }

    void send(String topic, Object value) throws Exception {
      producer.send(new ProducerRecord<>(topic, id, value)).get();
    }

    private KafkaConsumer<String, byte[]> consumer(String topic, boolean fromEnd) {
      Map<String, Object> c = new HashMap<>(ExperimentClient.clientProps(config));
      c.remove(ConsumerConfig.GROUP_ID_CONFIG);
      c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5);
      KafkaConsumer<String, byte[]> consumer =
          new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
      int n = consumer.partitionsFor(topic, Duration.ofSeconds(30)).size();
      TopicPartition tp = new TopicPartition(topic, ExperimentClient.partitionFor(id, n));
      consumer.assign(List.of(tp));
      if (fromEnd) {
        consumer.seekToEnd(List.of(tp));
        consumer.position(tp); // fixed now, before the victim's next event
      } else {
        consumer.seekToBeginning(List.of(tp));
      }
      return consumer;
    }

    /** The victim's step events so far (run id and epoch are on every one). */
    private SingularValueStep anyStep() {
      try (KafkaConsumer<String, byte[]> c = consumer(topics.singularValues(), false);
          var d = EventSerdes.of(SingularValueStep.class, config).deserializer()) {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < until) {
          for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
            if (id.equals(r.key())) {
              return d.deserialize(r.topic(), r.value());
            }
          }
        }
      }
      throw new IllegalStateException("no step event of " + id);
    }

    /** A command for the victim's run, decided at {@code decidedAt}, keeping {@code keepPer}. */
    private RankPruneCommand command(
        String runId, int epoch, long decidedAt, int keepPer, RankPolicy policy, long seq) {
      List<MatrixMask> masks = new ArrayList<>();
      int kept = 0;
      for (var m : policy.layout().matrices()) {
        List<Boolean> keep = new ArrayList<>();
        for (int i = 0; i < m.initialRank(); i++) {
          keep.add(i < keepPer);
          kept += i < keepPer ? 1 : 0;
        }
        masks.add(new MatrixMask(m.name(), m.layer(), keep, null));
      }
      return RankPruneCommand.newBuilder()
          .setCommandId(id + "/" + epoch + "/" + seq)
          .setSequence(seq)
          .setExperimentId(id)
          .setTargetRunId(runId)
          .setTargetEpoch(epoch)
          .setApplyAtStep(decidedAt + 1)
          .setPersistent(true)
          .setDecidedAtStep(decidedAt)
          .setMasks(masks)
          .setTotalRank(kept)
          .setProvenance(new Provenance(policy.name(), Map.of(), 0L, decidedAt, 0.0, "forged"))
          .setCreatedAtMs(Instant.now())
          .build();
    }

    void forge(long decidedAt, int keepPer, RankPolicy policy, long seq) throws Exception {
      SingularValueStep victim = anyStep();
      send(
          topics.rankCommands(),
          command(victim.getRunId(), victim.getEpoch(), decidedAt, keepPer, policy, seq));
    }

    /**
     * Waits (on another thread) for the victim's event of decision step {@code step} and answers it
     * at once with the next sequence and every unit kept — before the analyzer and pruner do.
     */
    Thread raceTheDecision(long step, RankPolicy policy, long nextSequence) {
      KafkaConsumer<String, byte[]> c = consumer(topics.singularValues(), true);
      Thread t =
          new Thread(
              () -> {
                try (c;
                    var d = EventSerdes.of(SingularValueStep.class, config).deserializer()) {
                  long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                  while (System.nanoTime() < until) {
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(20))) {
                      if (!id.equals(r.key())) {
                        continue;
                      }
                      SingularValueStep e = d.deserialize(r.topic(), r.value());
                      if (e.getStep() == step) {
                        send(
                            topics.rankCommands(),
                            command(
                                e.getRunId(),
                                e.getEpoch(),
                                step,
                                Integer.MAX_VALUE,
                                policy,
                                nextSequence));
                        return;
                      }
                    }
                  }
                } catch (Exception ex) {
                  throw new IllegalStateException(ex);
                }
              },
              "forger");
      t.start();
      return t;
    }

    private <T extends SpecificRecord> List<T> read(String topic, Class<T> type) {
      List<T> out = new ArrayList<>();
      try (KafkaConsumer<String, byte[]> c = consumer(topic, false);
          var d = EventSerdes.of(type, config).deserializer()) {
        TopicPartition tp = c.assignment().iterator().next();
        long end = c.endOffsets(List.of(tp)).get(tp);
        while (c.position(tp) < end) {
          for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
            if (id.equals(r.key()) && r.value() != null) {
              out.add(d.deserialize(r.topic(), r.value()));
            }
          }
        }
      }
      return out;
    }

    TrainerStatus lastStatus() {
      List<TrainerStatus> all = read(topics.trainerStatus(), TrainerStatus.class);
      return all.get(all.size() - 1);
    }

    /** The victim's dead letters so far. */
    List<DeadLetter> deadLetters() {
      return read(topics.deadLetters(), DeadLetter.class);
    }

    @Override
    public void close() {
      producer.close(Duration.ofSeconds(5));
    }
  }
}
