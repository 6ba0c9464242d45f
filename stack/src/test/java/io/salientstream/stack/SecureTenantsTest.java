package io.salientstream.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.stack.junit.SharedSecureKafka;
import io.salientstream.stack.secure.TenantSetup;
import io.salientstream.stack.secure.TenantSetup.Role;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tenants on the secure broker (SASL_SSL, SCRAM-SHA-512, StandardAuthorizer, no access without an
 * ACL): each role of tenant {@code a.} and {@code b.} made by {@link TenantSetup}, probed with
 * plain Kafka clients.
 */
class SecureTenantsTest {
  private static final Topics A = Topics.withPrefix("a.");
  private static final Topics B = Topics.withPrefix("b.");
  private static EmbeddedKafka kafka;
  private static Map<Role, String> aPasswords;
  private static Map<Role, String> bPasswords;

  @BeforeAll
  static void tenants() throws Exception {
    kafka = SharedSecureKafka.get();
    try (Admin admin = Admin.create(kafka.adminClientProperties())) {
      TopicInitializer.ensureTopics(admin, A, (short) 1);
      TopicInitializer.ensureTopics(admin, B, (short) 1);
      aPasswords = TenantSetup.create(admin, "a.");
      bPasswords = TenantSetup.create(admin, "b.");
    }
    // ACLs and credentials reach the broker's authorizer asynchronously: wait until a's pruner
    // can write its commands topic.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try (KafkaProducer<byte[], byte[]> p = producer("a.", Role.PRUNER, aPasswords)) {
        p.send(new ProducerRecord<>(A.name(Topics.RANK_COMMANDS), new byte[] {1}))
            .get(10, TimeUnit.SECONDS);
        break;
      } catch (ExecutionException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(300);
      }
    }
  }

  private static Map<String, Object> client(String tenant, Role role, String password) {
    Map<String, Object> c = new HashMap<>(kafka.clientProperties(role.user(tenant), password));
    return c;
  }

  private static KafkaProducer<byte[], byte[]> producer(
      String tenant, Role role, Map<Role, String> passwords) {
    return producerWithPassword(tenant, role, passwords.get(role));
  }

  private static KafkaProducer<byte[], byte[]> producerWithPassword(
      String tenant, Role role, String password) {
    Map<String, Object> c = client(tenant, role, password);
    c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
    c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    return new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static KafkaConsumer<byte[], byte[]> consumer(
      String tenant, Role role, Map<Role, String> passwords, String group) {
    Map<String, Object> c = client(tenant, role, passwords.get(role));
    if (group != null) {
      c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    }
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** Sends one record and returns the failure's cause (null when it was written). */
  private static Throwable write(KafkaProducer<byte[], byte[]> p, String topic) {
    try {
      p.send(new ProducerRecord<>(topic, new byte[] {7}, new byte[] {7})).get(20, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      return e;
    }
  }

  @Test
  void onlyThePrunerWritesCommands() {
    String commands = A.name(Topics.RANK_COMMANDS);
    try (KafkaProducer<byte[], byte[]> trainer = producer("a.", Role.TRAINER, aPasswords);
        KafkaProducer<byte[], byte[]> monitor = producer("a.", Role.MONITOR, aPasswords);
        KafkaProducer<byte[], byte[]> analyzer = producer("a.", Role.ANALYZER, aPasswords);
        KafkaProducer<byte[], byte[]> pruner = producer("a.", Role.PRUNER, aPasswords)) {
      assertThat(write(trainer, A.name(Topics.SINGULAR_VALUES))).isNull();
      assertThat(write(trainer, A.name(Topics.EXPERIMENTS))).isNull();
      assertThat(write(trainer, A.name(Topics.TRAINER_STATUS))).isNull();
      assertThat(write(trainer, commands)).isInstanceOf(TopicAuthorizationException.class);
      // the monitor may write nothing at all: its idempotent producer is refused at the cluster
      assertThat(write(monitor, commands)).isInstanceOf(AuthorizationException.class);
      assertThat(write(analyzer, commands)).isInstanceOf(TopicAuthorizationException.class);
      assertThat(write(pruner, commands)).isNull();
    }
    // the trainer reads its commands; the monitor reads every topic of its tenant
    for (Role r : List.of(Role.TRAINER, Role.MONITOR)) {
      try (KafkaConsumer<byte[], byte[]> c = consumer("a.", r, aPasswords, null)) {
        c.assign(
            c.partitionsFor(commands).stream()
                .map(pi -> new TopicPartition(commands, pi.partition()))
                .toList());
        c.seekToBeginning(c.assignment());
        assertThat(pollUntilSome(c)).as(r + " reads the commands").isPositive();
      }
    }
  }

  private static int pollUntilSome(KafkaConsumer<byte[], byte[]> c) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    int n = 0;
    while (n == 0 && System.nanoTime() < deadline) {
      n = c.poll(Duration.ofMillis(500)).count();
    }
    return n;
  }

  @Test
  void tenantBCannotWriteTenantATopics() {
    for (Role r : Role.values()) {
      try (KafkaProducer<byte[], byte[]> p = producer("b.", r, bPasswords)) {
        for (var spec : List.of(Topics.SINGULAR_VALUES, Topics.RANK_COMMANDS, Topics.EXPERIMENTS)) {
          assertThat(write(p, A.name(spec)))
              .as("b's %s writing %s", r, A.name(spec))
              .isInstanceOf(AuthorizationException.class);
        }
      }
    }
  }

  @Test
  void tenantBCannotReadTenantATopics() {
    for (Role r : List.of(Role.MONITOR, Role.ADMIN, Role.TRAINER, Role.PRUNER)) {
      try (KafkaConsumer<byte[], byte[]> c = consumer("b.", r, bPasswords, null)) {
        c.assign(List.of(new TopicPartition(A.name(Topics.RANK_COMMANDS), 0)));
        c.seekToBeginning(c.assignment());
        assertThatThrownBy(() -> pollUntilSome(c))
            .as("b's %s reading a's commands", r)
            .isInstanceOf(TopicAuthorizationException.class);
      }
    }
    try (Admin admin = Admin.create(client("b.", Role.ADMIN, bPasswords.get(Role.ADMIN)))) {
      Set<String> visible = admin.listTopics().names().get(20, TimeUnit.SECONDS);
      assertThat(visible)
          .containsAll(B.names().stream().filter(n -> n.startsWith("b.")).toList())
          .noneMatch(n -> n.startsWith("a."));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void tenantBCannotJoinTenantAGroups() {
    // b's analyzer may read its own registrations, but not as a member of a's analyzer group
    try (KafkaConsumer<byte[], byte[]> c =
        consumer("b.", Role.ANALYZER, bPasswords, "a." + TenantSetup.ANALYZER_APP)) {
      c.subscribe(List.of(B.name(Topics.EXPERIMENTS)));
      assertThatThrownBy(() -> pollUntilSome(c)).isInstanceOf(GroupAuthorizationException.class);
    }
    try (KafkaConsumer<byte[], byte[]> c =
        consumer("b.", Role.ADMIN, bPasswords, "a." + TenantSetup.PRUNER_APP)) {
      c.subscribe(List.of(B.name(Topics.EXPERIMENTS)));
      assertThatThrownBy(() -> pollUntilSome(c)).isInstanceOf(GroupAuthorizationException.class);
    }
    // its own group works
    try (KafkaConsumer<byte[], byte[]> c =
        consumer("b.", Role.ANALYZER, bPasswords, "b." + TenantSetup.ANALYZER_APP)) {
      c.subscribe(List.of(B.name(Topics.EXPERIMENTS)));
      c.poll(Duration.ofSeconds(2));
      assertThat(c.assignment()).isNotEmpty();
    }
  }

  @Test
  void aWrongPasswordIsRefused() {
    try (KafkaProducer<byte[], byte[]> p =
        producerWithPassword("a.", Role.PRUNER, aPasswords.get(Role.PRUNER) + "x")) {
      assertThat(write(p, A.name(Topics.RANK_COMMANDS)))
          .isInstanceOf(SaslAuthenticationException.class);
    }
    // a known user of another tenant with a's password: refused too
    try (KafkaProducer<byte[], byte[]> p =
        producerWithPassword("b.", Role.PRUNER, aPasswords.get(Role.PRUNER))) {
      assertThat(write(p, B.name(Topics.RANK_COMMANDS)))
          .isInstanceOf(SaslAuthenticationException.class);
    }
  }
}
